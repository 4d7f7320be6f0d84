import type { EvidenceEdge } from '@steward/protocol';
import type { Store } from '@steward/store';
import type { Clock } from '@steward/protocol';
import { ProvenanceError } from '../errors.ts';
import { loadSeedFacts } from '../import/facts-file.ts';
import type { AffiliationGraph } from './snapshot.ts';
import { saveFacts, type SaveResult } from './store.ts';
import type { EntityRecord, GraphEdge, PaidPlacementRecord } from './types.ts';
import { edgeValidOn, walkOwners } from './walk.ts';

/** Everything the graph says about one entity as of a date, with each fact's source. */
export interface EntityReport {
  entity: EntityRecord;
  asOf: string;
  /** Owners reached by the walk, nearest first, each with its path of edges. */
  owners: { id: string; name: string; path: EvidenceEdge[] }[];
  ultimate: string[];
  /** What it owns or controls directly on the date. */
  owns: EvidenceEdge[];
  /** Money ties where it is the paid or fee-earning side. */
  moneyTies: EvidenceEdge[];
  paidPlacements: PaidPlacementRecord[];
  /** Its edges that do not hold on the date (ended or not yet begun). */
  inactive: EvidenceEdge[];
  cycle: boolean;
  truncated: boolean;
}

/** An edge as evidence, with both ends named from the graph. */
export function toEvidence(graph: AffiliationGraph, e: GraphEdge): EvidenceEdge {
  return {
    child: e.child,
    parent: e.parent,
    childName: (graph.entity(e.child)?.name ?? e.child).slice(0, 200),
    parentName: (graph.entity(e.parent)?.name ?? e.parent).slice(0, 200),
    relation: e.relation,
    ...(e.stake === undefined ? {} : { stake: e.stake }),
    ...(e.validFrom === undefined ? {} : { validFrom: e.validFrom }),
    ...(e.validTo === undefined ? {} : { validTo: e.validTo }),
    origin: e.origin,
    source: e.source.slice(0, 1000),
    ...(e.sourceUrl === undefined ? {} : { sourceUrl: e.sourceUrl }),
    ...(e.retrievedAt === undefined ? {} : { retrievedAt: e.retrievedAt }),
  };
}

/** Describes an entity as of a date (`ERR_PROVENANCE_ENTITY_UNKNOWN` when it is not in the graph). */
export function describeEntity(graph: AffiliationGraph, id: string, asOf: string): EntityReport {
  const entity = graph.entity(id);
  if (!entity)
    throw new ProvenanceError('ERR_PROVENANCE_ENTITY_UNKNOWN', `entity \`${id}\` is not in the graph`, {
      details: { entityId: id },
    });
  const walk = walkOwners(graph, id, { asOf });
  const owners = [...walk.paths]
    .filter(([other]) => other !== id)
    .map(([other, path]) => ({
      id: other,
      name: graph.entity(other)?.name ?? other,
      path: path.map((e) => toEvidence(graph, e)),
    }))
    .sort((a, b) => a.path.length - b.path.length);
  const all = [...graph.ownersOf(id), ...graph.ownedBy(id), ...graph.affiliationsOf(id)];
  return {
    entity,
    asOf,
    owners,
    ultimate: walk.ultimate,
    owns: graph
      .ownedBy(id)
      .filter((e) => edgeValidOn(e, asOf))
      .map((e) => toEvidence(graph, e)),
    moneyTies: graph
      .affiliationsOf(id)
      .filter((e) => edgeValidOn(e, asOf))
      .map((e) => toEvidence(graph, e)),
    paidPlacements: [...graph.paidPlacementsOf(id)],
    inactive: all.filter((e) => !edgeValidOn(e, asOf)).map((e) => toEvidence(graph, e)),
    cycle: walk.cycle,
    truncated: walk.truncated,
  };
}

/**
 * Imports the shipped seed when the store holds no provenance entity yet, so a new database
 * starts with the public facts. Returns what was written, or `null` when nothing was needed.
 */
export function ensureSeed(store: Store, clock?: Clock): SaveResult | null {
  const any = store.db.prepare('SELECT 1 FROM provenance_entities LIMIT 1').get();
  if (any !== undefined) return null;
  return saveFacts(store, loadSeedFacts(), clock ? { clock } : {});
}
