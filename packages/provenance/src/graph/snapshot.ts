import {
  AFFILIATION_RELATIONS,
  DEFAULT_CONFIDENCE,
  type EdgeRecord,
  type EntityRecord,
  type GraphEdge,
  type GraphFacts,
  type PaidPlacementRecord,
} from './types.ts';

const NO_EDGES: readonly GraphEdge[] = Object.freeze([]);
const NO_PLACEMENTS: readonly PaidPlacementRecord[] = Object.freeze([]);

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * An in-memory, read-only snapshot of the affiliation graph with indexes by id, LEI, Wikidata id
 * and domain, and edges indexed by child. Detectors and walks take a snapshot and never do I/O.
 * Build one with {@link buildGraph} or `loadGraph(store)`.
 */
export class AffiliationGraph {
  readonly #entities = new Map<string, EntityRecord>();
  readonly #byLei = new Map<string, string>();
  readonly #byWikidata = new Map<string, string>();
  readonly #byDomain = new Map<string, string>();
  readonly #ownersOf = new Map<string, GraphEdge[]>();
  readonly #affiliationsOf = new Map<string, GraphEdge[]>();
  readonly #ownedBy = new Map<string, GraphEdge[]>();
  readonly #placements = new Map<string, PaidPlacementRecord[]>();
  #edgeCount = 0;

  /** Use {@link buildGraph}. */
  constructor(facts: GraphFacts) {
    for (const e of facts.entities) this.#addEntity(e);
    for (const e of facts.edges) this.#addEdge(e);
    for (const p of facts.paidPlacements) push(this.#placements, p.entity, p);
  }

  #addEntity(e: EntityRecord): void {
    this.#entities.set(e.id, e);
    // INVARIANT: the first entity to claim an identifier keeps it; stores enforce uniqueness.
    if (e.lei && !this.#byLei.has(e.lei)) this.#byLei.set(e.lei, e.id);
    if (e.wikidata && !this.#byWikidata.has(e.wikidata)) this.#byWikidata.set(e.wikidata, e.id);
    for (const d of e.domains ?? []) if (!this.#byDomain.has(d)) this.#byDomain.set(d, e.id);
  }

  #addEdge(e: EdgeRecord): void {
    const edge: GraphEdge = { ...e, confidence: e.confidence ?? DEFAULT_CONFIDENCE[e.origin] };
    if (AFFILIATION_RELATIONS.has(e.relation)) push(this.#affiliationsOf, e.child, edge);
    else {
      push(this.#ownersOf, e.child, edge);
      push(this.#ownedBy, e.parent, edge);
    }
    this.#edgeCount++;
  }

  /** Number of entities. */
  get entityCount(): number {
    return this.#entities.size;
  }

  /** Number of edges. */
  get edgeCount(): number {
    return this.#edgeCount;
  }

  /** The entity with this id, if known. */
  entity(id: string): EntityRecord | undefined {
    return this.#entities.get(id);
  }

  /** Every entity, in insertion order. */
  entities(): IterableIterator<EntityRecord> {
    return this.#entities.values();
  }

  /** The entity id holding this LEI. */
  byLei(lei: string): string | undefined {
    return this.#byLei.get(lei);
  }

  /** The entity id holding this Wikidata item id. */
  byWikidata(qid: string): string | undefined {
    return this.#byWikidata.get(qid);
  }

  /** The entity id holding this (registrable) domain. */
  byDomain(domain: string): string | undefined {
    return this.#byDomain.get(domain.toLowerCase());
  }

  /** Ownership-like edges (owns, controls, brand_of, operates) where `id` is the child, any date. */
  ownersOf(id: string): readonly GraphEdge[] {
    return this.#ownersOf.get(id) ?? NO_EDGES;
  }

  /** Ownership-like edges where `id` is the parent (what it owns or controls), any date. */
  ownedBy(id: string): readonly GraphEdge[] {
    return this.#ownedBy.get(id) ?? NO_EDGES;
  }

  /** Money ties (paid_partner, affiliate_fee) where `id` is the child, any date. */
  affiliationsOf(id: string): readonly GraphEdge[] {
    return this.#affiliationsOf.get(id) ?? NO_EDGES;
  }

  /** Paid-placement facts about `id`. */
  paidPlacementsOf(id: string): readonly PaidPlacementRecord[] {
    return this.#placements.get(id) ?? NO_PLACEMENTS;
  }

  /** Every edge (ownership and money ties), for export and staleness checks. */
  *edges(): IterableIterator<GraphEdge> {
    for (const list of this.#ownersOf.values()) yield* list;
    for (const list of this.#affiliationsOf.values()) yield* list;
  }
}

/** Builds an in-memory snapshot from plain facts (e.g. a parsed seed, or rows loaded from SQLite). */
export function buildGraph(facts: GraphFacts): AffiliationGraph {
  return new AffiliationGraph(facts);
}
