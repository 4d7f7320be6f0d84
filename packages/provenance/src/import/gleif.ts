import { z } from 'zod';
import { ProvenanceError } from '../errors.ts';
import type { EdgeRecord, EntityRecord, GraphFacts } from '../graph/types.ts';
import type { IdLookup } from './lookup.ts';

const LeiNode = z.object({ id: z.string().regex(/^[A-Z0-9]{18}[0-9]{2}$/), type: z.string().optional() });
const Period = z.object({
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  type: z.string().optional(),
});
const Quantifier = z.object({
  measurementMethod: z.string().optional(),
  quantifierAmount: z.union([z.number(), z.string()]),
  quantifierUnits: z.string().optional(),
});

/**
 * The subset of a GLEIF Level 2 relationship record (JSON:API form of `api.gleif.org`,
 * `relationship-records`) that Steward reads; other fields are ignored.
 */
const GleifRecord = z.object({
  type: z.literal('relationship-records').optional(),
  id: z.string().max(200).optional(),
  attributes: z.object({
    relationship: z.object({
      startNode: LeiNode,
      endNode: LeiNode,
      type: z.string(),
      status: z.string().optional(),
      periods: z.array(Period).max(50).optional(),
      quantifiers: z.array(Quantifier).max(20).optional(),
    }),
    registration: z
      .object({ lastUpdateDate: z.string().optional(), status: z.string().optional() })
      .optional(),
  }),
});

/** The subset of a GLEIF Level 1 LEI record read for names: `attributes.lei` and `attributes.entity.legalName.name`. */
const LeiRecord = z.object({
  type: z.literal('lei-records'),
  attributes: z.object({
    lei: z.string().regex(/^[A-Z0-9]{18}[0-9]{2}$/),
    entity: z.object({ legalName: z.object({ name: z.string().min(1) }) }),
  }),
});

/** A GLEIF file: `{ "data": [relationship-record, …] }`. */
export const GleifFile = z.object({ data: z.array(z.unknown()).max(5_000_000) });

const RELATIONS: Readonly<Record<string, EdgeRecord['relation']>> = {
  IS_DIRECTLY_CONSOLIDATED_BY: 'owns',
  IS_ULTIMATELY_CONSOLIDATED_BY: 'controls',
  IS_INTERNATIONAL_BRANCH_OF: 'controls',
};

/** What a format-specific import produced and skipped. */
export interface ImportedFacts extends GraphFacts {
  skipped: number;
}

const day = (s: string | undefined): string | undefined =>
  s !== undefined && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : undefined;

/**
 * Turns GLEIF Level 2 relationship records into edges (origin `seed`, licence CC0-1.0):
 * `IS_DIRECTLY_CONSOLIDATED_BY` → owns, `IS_ULTIMATELY_CONSOLIDATED_BY` and
 * `IS_INTERNATIONAL_BRANCH_OF` → controls; the `RELATIONSHIP_PERIOD` gives validFrom/validTo; a
 * `PERCENTAGE` quantifier gives the stake. Unknown LEIs become entities `lei-<lei>`; other
 * relationship types (fund management, …) and inactive records without an end date are skipped.
 * Level 1 `lei-records` in the same `data` array name the entities (`entity.legalName.name`).
 * @see https://www.gleif.org/en/lei-data/access-and-use-lei-data/level-2-data-who-owns-whom
 */
export function factsFromGleif(value: unknown, lookup: IdLookup, retrievedAt: string): ImportedFacts {
  const file = GleifFile.safeParse(value);
  if (!file.success)
    throw new ProvenanceError(
      'ERR_PROVENANCE_IMPORT_INVALID',
      'gleif file must be an object with a `data` array of relationship records',
      { details: { format: 'gleif' } },
    );
  const entities = new Map<string, EntityRecord>();
  const edges: EdgeRecord[] = [];
  let skipped = 0;
  // Level 1 records in the same file give legal names to the LEIs the relationships use.
  const names = new Map<string, string>();
  for (const raw of file.data.data) {
    const l1 = LeiRecord.safeParse(raw);
    if (l1.success) names.set(l1.data.attributes.lei, l1.data.attributes.entity.legalName.name.slice(0, 200));
  }
  const idFor = (lei: string): string => {
    const known = lookup.byLei(lei);
    if (known !== undefined) return known;
    const id = `lei-${lei.toLowerCase()}`;
    if (!entities.has(id)) entities.set(id, { id, name: names.get(lei) ?? `LEI ${lei}`, lei });
    return id;
  };
  file.data.data.forEach((raw, i) => {
    if ((raw as { type?: unknown } | null)?.type === 'lei-records') return;
    const parsed = GleifRecord.safeParse(raw);
    if (!parsed.success) {
      throw new ProvenanceError(
        'ERR_PROVENANCE_IMPORT_INVALID',
        `gleif record ${i} is not a relationship record: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim(),
        {
          details: { format: 'gleif', index: i },
        },
      );
    }
    const rel = parsed.data.attributes.relationship;
    const relation = RELATIONS[rel.type];
    const period = rel.periods?.find((p) => p.type === 'RELATIONSHIP_PERIOD');
    let validTo = day(period?.endDate);
    if (rel.status === 'INACTIVE' && validTo === undefined)
      validTo = day(parsed.data.attributes.registration?.lastUpdateDate);
    if (
      relation === undefined ||
      (rel.status === 'INACTIVE' && validTo === undefined) ||
      rel.startNode.id === rel.endNode.id
    ) {
      skipped++;
      return;
    }
    const pct = rel.quantifiers?.find((q) => q.quantifierUnits === 'PERCENTAGE');
    const amount = pct === undefined ? Number.NaN : Number(pct.quantifierAmount);
    const validFrom = day(period?.startDate);
    edges.push({
      child: idFor(rel.startNode.id),
      parent: idFor(rel.endNode.id),
      relation,
      ...(amount >= 0 && amount <= 100 ? { stake: Math.round(amount * 100) / 10_000 } : {}),
      ...(validFrom === undefined ? {} : { validFrom }),
      ...(validTo === undefined ? {} : { validTo }),
      origin: 'seed',
      source: `GLEIF relationship record: ${rel.startNode.id} ${rel.type} ${rel.endNode.id}`,
      sourceUrl: `https://search.gleif.org/#/record/${rel.startNode.id}`,
      retrievedAt,
      licence: 'CC0-1.0',
      confidence: 0.95,
    });
  });
  return { entities: [...entities.values()], edges, paidPlacements: [], skipped };
}
