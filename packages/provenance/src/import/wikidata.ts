import { z } from 'zod';
import { ProvenanceError } from '../errors.ts';
import type { EdgeRecord, EntityRecord } from '../graph/types.ts';
import { registrableDomain } from '../resolve/domain.ts';
import type { ImportedFacts } from './gleif.ts';
import type { IdLookup } from './lookup.ts';

const Snak = z.object({
  snaktype: z.string().optional(),
  datavalue: z.object({ value: z.unknown() }).optional(),
});
const Statement = z.object({
  mainsnak: Snak,
  qualifiers: z.record(z.string(), z.array(Snak)).optional(),
  rank: z.string().optional(),
});
const Item = z.object({
  id: z.string().regex(/^Q[1-9][0-9]*$/),
  labels: z.record(z.string(), z.object({ value: z.string() })).optional(),
  claims: z.record(z.string(), z.array(z.unknown())).optional(),
});

/** A Wikidata file: `{ "entities": { "Q…": item, … } }`, as `wbgetentities` or `Special:EntityData` return. */
export const WikidataFile = z.object({ entities: z.record(z.string(), z.unknown()) });

const QID = /^Q[1-9][0-9]*$/;
const itemId = (v: unknown): string | undefined => {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'string' && QID.test(id) ? id : undefined;
};

/** A Wikidata time value at day, month or year precision as a date; `end` picks the last day. */
export function wikidataDate(v: unknown, end: boolean): string | undefined {
  const o = v as { time?: unknown; precision?: unknown } | null;
  if (typeof o?.time !== 'string' || typeof o.precision !== 'number') return undefined;
  const m = /^\+(\d{4})-(\d{2})-(\d{2})T/.exec(o.time);
  if (!m) return undefined;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (o.precision >= 11) return `${y}-${mo}-${d}`;
  if (o.precision === 10) {
    if (!end) return `${y}-${mo}-01`;
    const last = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
    return `${y}-${mo}-${String(last).padStart(2, '0')}`;
  }
  if (o.precision === 9) return end ? `${y}-12-31` : `${y}-01-01`;
  return undefined;
}

/**
 * Turns Wikidata statements into edges (origin `seed`, licence CC0-1.0): P127 owned by and P749
 * parent organization (subject is the child), P355 subsidiary (subject is the parent); qualifiers
 * P580 start time → validFrom, P582 end time → validTo, P1107 proportion → stake. P1278 gives
 * the LEI and P856 the official website's registrable domain. Deprecated statements are skipped.
 * @see https://www.wikidata.org/wiki/Help:Statements
 */
export function factsFromWikidata(value: unknown, lookup: IdLookup, retrievedAt: string): ImportedFacts {
  const file = WikidataFile.safeParse(value);
  if (!file.success)
    throw new ProvenanceError(
      'ERR_PROVENANCE_IMPORT_INVALID',
      'wikidata file must be an object with an `entities` map of items',
      { details: { format: 'wikidata' } },
    );
  const entities = new Map<string, EntityRecord>();
  const edges: EdgeRecord[] = [];
  const takenDomains = new Set<string>();
  let skipped = 0;
  const ids = new Map<string, string>();
  const idFor = (qid: string): string => {
    let id = ids.get(qid) ?? lookup.byWikidata(qid);
    if (id === undefined) {
      id = `wd-${qid.toLowerCase()}`;
      if (!entities.has(id)) entities.set(id, { id, name: qid, wikidata: qid });
    }
    ids.set(qid, id);
    return id;
  };
  const items = Object.values(file.data.entities).map((raw, i) => {
    const parsed = Item.safeParse(raw);
    if (!parsed.success)
      throw new ProvenanceError(
        'ERR_PROVENANCE_IMPORT_INVALID',
        `wikidata item ${i} is not an item with an id`,
        { details: { format: 'wikidata', index: i } },
      );
    return parsed.data;
  });
  // First pass: the items themselves, reusing entities known by Wikidata id or LEI.
  for (const item of items) {
    const statements = (p: string) =>
      (item.claims?.[p] ?? [])
        .map((s) => Statement.safeParse(s))
        .flatMap((r) => (r.success && r.data.rank !== 'deprecated' ? [r.data] : []));
    const leiValue = statements('P1278')
      .map((s) => s.mainsnak.datavalue?.value)
      .find((v): v is string => typeof v === 'string' && /^[A-Z0-9]{18}[0-9]{2}$/.test(v));
    const existing =
      lookup.byWikidata(item.id) ?? (leiValue === undefined ? undefined : lookup.byLei(leiValue));
    if (existing !== undefined) {
      ids.set(item.id, existing);
      continue;
    }
    const name =
      (item.labels?.en ?? item.labels?.mul ?? Object.values(item.labels ?? {})[0])?.value.slice(0, 200) ||
      item.id;
    const domains: string[] = [];
    for (const s of statements('P856')) {
      const url = s.mainsnak.datavalue?.value;
      const d = typeof url === 'string' ? registrableDomain(url) : undefined;
      if (
        d !== undefined &&
        !takenDomains.has(d) &&
        lookup.byDomain(d) === undefined &&
        !domains.includes(d)
      ) {
        takenDomains.add(d);
        domains.push(d);
      }
    }
    const id = `wd-${item.id.toLowerCase()}`;
    ids.set(item.id, id);
    entities.set(id, {
      id,
      name,
      wikidata: item.id,
      ...(leiValue === undefined ? {} : { lei: leiValue }),
      ...(domains.length > 0 ? { domains: domains.slice(0, 50) } : {}),
    });
  }
  // Second pass: ownership statements.
  for (const item of items) {
    for (const [prop, subjectIsChild] of [
      ['P127', true],
      ['P749', true],
      ['P355', false],
    ] as const) {
      for (const raw of item.claims?.[prop] ?? []) {
        const st = Statement.safeParse(raw);
        const target =
          st.success && st.data.mainsnak.snaktype !== 'novalue'
            ? itemId(st.data.mainsnak.datavalue?.value)
            : undefined;
        if (!st.success || st.data.rank === 'deprecated' || target === undefined || target === item.id) {
          skipped++;
          continue;
        }
        const q = (p: string) => st.data.qualifiers?.[p]?.[0]?.datavalue?.value;
        const validFrom = wikidataDate(q('P580'), false);
        const validTo = wikidataDate(q('P582'), true);
        const proportion = Number((q('P1107') as { amount?: unknown } | undefined)?.amount);
        const [child, parent] = subjectIsChild ? [item.id, target] : [target, item.id];
        edges.push({
          child: idFor(child),
          parent: idFor(parent),
          relation: 'owns',
          ...(proportion >= 0 && proportion <= 1 ? { stake: proportion } : {}),
          ...(validFrom === undefined ? {} : { validFrom }),
          ...(validTo === undefined ? {} : { validTo }),
          origin: 'seed',
          source: `Wikidata: ${item.id} ${prop === 'P127' ? 'owned by (P127)' : prop === 'P749' ? 'parent organization (P749)' : 'has subsidiary (P355)'} ${target}`,
          sourceUrl: `https://www.wikidata.org/wiki/${item.id}#${prop}`,
          retrievedAt,
          licence: 'CC0-1.0',
          confidence: 0.85,
        });
      }
    }
  }
  return {
    entities: [...entities.values()],
    edges: edges.filter((e) => e.child !== e.parent),
    paidPlacements: [],
    skipped,
  };
}
