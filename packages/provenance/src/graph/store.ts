import type { Store } from '@steward/store';
import { parseStrict, systemClock, type Clock, type FactOrigin, type Relation } from '@steward/protocol';
import { ProvenanceError } from '../errors.ts';
import { buildGraph, type AffiliationGraph } from './snapshot.ts';
import {
  DEFAULT_CONFIDENCE,
  EdgeRecord,
  type EntityRecord,
  type GraphFacts,
  type PaidPlacementRecord,
} from './types.ts';

/** Counts of what {@link saveFacts} wrote. */
export interface SaveResult {
  entities: number;
  edges: number;
  paidPlacements: number;
}

/** Options for {@link saveFacts}. */
export interface SaveOptions {
  /** Called every `progressEvery` facts and at the end with (done, total). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  clock?: Clock;
}

interface EntityRow {
  id: string;
  name: string;
  aliases: string;
  lei: string | null;
  wikidata: string | null;
}

interface EdgeRow {
  child: string;
  parent: string;
  relation: string;
  stake: number | null;
  valid_from: string | null;
  valid_to: string | null;
  origin: string;
  source: string;
  source_url: string | null;
  retrieved_at: string | null;
  licence: string | null;
  confidence: number;
}

interface PlacementRow {
  entity_id: string;
  kind: string;
  origin: string;
  source: string;
  source_url: string | null;
  retrieved_at: string | null;
  licence: string | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/**
 * Writes entities, edges and paid-placement facts in one transaction. Entities merge by id
 * (aliases and domains are added; a LEI, Wikidata id or domain already held by another entity is
 * refused with `ERR_PROVENANCE_ENTITY_INVALID`); edges are upserted by (child, parent, relation,
 * origin, source, validFrom), so importing the same file twice changes nothing.
 */
export function saveFacts(store: Store, facts: GraphFacts, options: SaveOptions = {}): SaveResult {
  const db = store.db;
  const now = new Date((options.clock ?? systemClock).now()).toISOString();
  const total = facts.entities.length + facts.edges.length + facts.paidPlacements.length;
  const every = options.progressEvery ?? 10_000;
  let done = 0;
  const tick = (): void => {
    done++;
    if (options.onProgress && (done % every === 0 || done === total)) options.onProgress(done, total);
  };
  const getEntity = db.prepare<[string], EntityRow>(
    'SELECT id, name, aliases, lei, wikidata FROM provenance_entities WHERE id = ?',
  );
  const byLei = db.prepare<[string], { id: string }>('SELECT id FROM provenance_entities WHERE lei = ?');
  const byWd = db.prepare<[string], { id: string }>('SELECT id FROM provenance_entities WHERE wikidata = ?');
  const insertEntity = db.prepare(
    'INSERT OR IGNORE INTO provenance_entities (id, name, aliases, lei, wikidata, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const updateEntity = db.prepare(
    'UPDATE provenance_entities SET name = ?, aliases = ?, lei = ?, wikidata = ?, updated_at = ? WHERE id = ?',
  );
  const domainOwner = db.prepare<[string], { entity_id: string }>(
    'SELECT entity_id FROM provenance_domains WHERE domain = ?',
  );
  const insertDomain = db.prepare(
    'INSERT OR IGNORE INTO provenance_domains (domain, entity_id) VALUES (?, ?)',
  );
  const upsertEdge = db.prepare(
    `INSERT INTO provenance_edges (child, parent, relation, stake, valid_from, valid_to, origin, source, source_url, retrieved_at, licence, confidence)
     VALUES (@child, @parent, @relation, @stake, @validFrom, @validTo, @origin, @source, @sourceUrl, @retrievedAt, @licence, @confidence)
     ON CONFLICT DO UPDATE SET stake = excluded.stake, valid_to = excluded.valid_to, source_url = excluded.source_url,
       retrieved_at = excluded.retrieved_at, licence = excluded.licence, confidence = excluded.confidence`,
  );
  const upsertPlacement = db.prepare(
    `INSERT INTO provenance_paid_placements (entity_id, kind, origin, source, source_url, retrieved_at, licence)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET source_url = excluded.source_url, retrieved_at = excluded.retrieved_at, licence = excluded.licence`,
  );

  const claimed = (what: string, value: string, holder: string | undefined, id: string): void => {
    if (holder !== undefined && holder !== id) {
      throw new ProvenanceError(
        'ERR_PROVENANCE_ENTITY_INVALID',
        `${what} \`${value}\` already belongs to entity \`${holder}\`, not \`${id}\``,
        {
          details: { what, value, holder, entityId: id },
        },
      );
    }
  };

  // A bigger page cache for large imports keeps the indexes in memory (default is 2 MB).
  const cacheBefore = db.pragma('cache_size', { simple: true }) as number;
  if (total > 10_000) db.pragma('cache_size = -131072');
  try {
    return write();
  } finally {
    if (total > 10_000) db.pragma(`cache_size = ${Math.trunc(cacheBefore)}`);
  }

  function write(): SaveResult {
    return store.transaction(() => {
      for (const e of facts.entities) {
        if (e.lei) claimed('lei', e.lei, byLei.get(e.lei)?.id, e.id);
        if (e.wikidata) claimed('wikidata id', e.wikidata, byWd.get(e.wikidata)?.id, e.id);
        // Fast path: a new entity is one insert; only an existing id needs reading and merging.
        const inserted =
          insertEntity.run(
            e.id,
            e.name,
            JSON.stringify(e.aliases ?? []),
            e.lei ?? null,
            e.wikidata ?? null,
            now,
          ).changes === 1;
        if (!inserted) {
          const existing = getEntity.get(e.id)!;
          if (existing.lei && e.lei && existing.lei !== e.lei)
            claimed('entity', e.id, `${existing.id} (lei ${existing.lei})`, e.id);
          const aliases = new Set<string>(JSON.parse(existing.aliases) as string[]);
          for (const a of e.aliases ?? []) aliases.add(a);
          if (existing.name !== e.name) aliases.add(existing.name);
          aliases.delete(e.name);
          updateEntity.run(
            e.name,
            JSON.stringify([...aliases].slice(0, 20)),
            existing.lei ?? e.lei ?? null,
            existing.wikidata ?? e.wikidata ?? null,
            now,
            e.id,
          );
        }
        for (const d of e.domains ?? []) {
          if (insertDomain.run(d, e.id).changes === 0)
            claimed('domain', d, domainOwner.get(d)?.entity_id, e.id);
        }
        tick();
      }
      for (const e of facts.edges) {
        try {
          upsertEdge.run({
            child: e.child,
            parent: e.parent,
            relation: e.relation,
            stake: e.stake ?? null,
            validFrom: e.validFrom ?? null,
            validTo: e.validTo ?? null,
            origin: e.origin,
            source: e.source,
            sourceUrl: e.sourceUrl ?? null,
            retrievedAt: e.retrievedAt ?? null,
            licence: e.licence ?? null,
            confidence: e.confidence ?? DEFAULT_CONFIDENCE[e.origin],
          });
        } catch (cause) {
          throw edgeError(e.child, e.parent, cause);
        }
        tick();
      }
      for (const p of facts.paidPlacements) {
        try {
          upsertPlacement.run(
            p.entity,
            p.kind,
            p.origin,
            p.source,
            p.sourceUrl ?? null,
            p.retrievedAt ?? null,
            p.licence ?? null,
          );
        } catch (cause) {
          throw edgeError(p.entity, p.entity, cause);
        }
        tick();
      }
      return {
        entities: facts.entities.length,
        edges: facts.edges.length,
        paidPlacements: facts.paidPlacements.length,
      };
    });
  }
}

function edgeError(child: string, parent: string, cause: unknown): unknown {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new ProvenanceError(
      'ERR_PROVENANCE_ENTITY_UNKNOWN',
      `an edge names an entity that is not in the graph: \`${child}\` or \`${parent}\``,
      {
        cause,
        details: { child, parent },
      },
    );
  }
  if (code === 'SQLITE_CONSTRAINT_CHECK') {
    return new ProvenanceError(
      'ERR_PROVENANCE_EDGE_INVALID',
      `edge \`${child}\` → \`${parent}\` breaks a rule of the graph`,
      { cause, details: { child, parent } },
    );
  }
  return cause;
}

/** Reads the whole graph from SQLite into an in-memory {@link AffiliationGraph} snapshot. */
export function loadGraph(store: Store): AffiliationGraph {
  return buildGraph(readFacts(store));
}

/** Reads every fact as plain data (for export, or to build a snapshot). */
export function readFacts(store: Store): GraphFacts {
  const db = store.db;
  const domains = new Map<string, string[]>();
  for (const r of db
    .prepare<[], { domain: string; entity_id: string }>('SELECT domain, entity_id FROM provenance_domains')
    .iterate()) {
    const list = domains.get(r.entity_id);
    if (list) list.push(r.domain);
    else domains.set(r.entity_id, [r.domain]);
  }
  const entities: EntityRecord[] = [];
  for (const r of db
    .prepare<[], EntityRow>('SELECT id, name, aliases, lei, wikidata FROM provenance_entities')
    .iterate()) {
    const aliases = r.aliases === '[]' ? [] : (JSON.parse(r.aliases) as string[]);
    const ds = domains.get(r.id);
    entities.push({
      id: r.id,
      name: r.name,
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(r.lei ? { lei: r.lei } : {}),
      ...(r.wikidata ? { wikidata: r.wikidata } : {}),
      ...(ds ? { domains: ds } : {}),
    });
  }
  const edges: EdgeRecord[] = [];
  for (const r of db.prepare<[], EdgeRow>('SELECT * FROM provenance_edges ORDER BY id').iterate()) {
    const e: EdgeRecord = {
      child: r.child,
      parent: r.parent,
      relation: r.relation as Relation,
      origin: r.origin as FactOrigin,
      source: r.source,
      confidence: r.confidence,
    };
    if (r.stake !== null) e.stake = r.stake;
    if (r.valid_from !== null) e.validFrom = r.valid_from;
    if (r.valid_to !== null) e.validTo = r.valid_to;
    if (r.source_url !== null) e.sourceUrl = r.source_url;
    if (r.retrieved_at !== null) e.retrievedAt = r.retrieved_at;
    if (r.licence !== null) e.licence = r.licence;
    edges.push(e);
  }
  const paidPlacements: PaidPlacementRecord[] = [];
  for (const r of db
    .prepare<[], PlacementRow>('SELECT * FROM provenance_paid_placements ORDER BY id')
    .iterate()) {
    paidPlacements.push(
      stripUndefined({
        entity: r.entity_id,
        kind: r.kind,
        origin: r.origin as FactOrigin,
        source: r.source,
        sourceUrl: opt(r.source_url),
        retrievedAt: opt(r.retrieved_at),
        licence: opt(r.licence),
      }),
    );
  }
  return { entities, edges, paidPlacements };
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** A note the person adds by hand: `parent` <relation> `child`, origin `local`. */
export interface LocalEdgeInput {
  child: string;
  parent: string;
  relation: Relation;
  stake?: number;
  validFrom?: string;
  validTo?: string;
  source?: string;
  sourceUrl?: string;
}

/**
 * Adds one of the person's own notes as an edge of origin `local`. Both entities must exist
 * (`ERR_PROVENANCE_ENTITY_UNKNOWN`); the edge is validated (`ERR_PROVENANCE_EDGE_INVALID`).
 */
export function addLocalEdge(store: Store, input: LocalEdgeInput, clock: Clock = systemClock): EdgeRecord {
  let edge: EdgeRecord;
  try {
    edge = parseStrict(
      EdgeRecord,
      {
        ...input,
        origin: 'local',
        source: input.source ?? 'note added by the person',
        retrievedAt: new Date(clock.now()).toISOString(),
        licence: 'local',
      },
      'edge',
    );
  } catch (cause) {
    throw new ProvenanceError('ERR_PROVENANCE_EDGE_INVALID', (cause as Error).message, {
      cause,
      details: { child: input.child, parent: input.parent },
    });
  }
  if (edge.validFrom && edge.validTo && edge.validTo < edge.validFrom) {
    throw new ProvenanceError(
      'ERR_PROVENANCE_EDGE_INVALID',
      `edge ends (\`${edge.validTo}\`) before it starts (\`${edge.validFrom}\`)`,
      {
        details: { child: edge.child, parent: edge.parent },
      },
    );
  }
  for (const id of [edge.child, edge.parent]) {
    const found = store.db.prepare('SELECT 1 FROM provenance_entities WHERE id = ?').get(id);
    if (!found)
      throw new ProvenanceError('ERR_PROVENANCE_ENTITY_UNKNOWN', `entity \`${id}\` is not in the graph`, {
        details: { entityId: id },
      });
  }
  saveFacts(store, { entities: [], edges: [edge], paidPlacements: [] }, { clock });
  return edge;
}
