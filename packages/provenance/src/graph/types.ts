import { z } from 'zod';
import { FactOrigin, HttpUrl, IsoDate, IsoDateTime, Relation } from '@steward/protocol';

/** Steward's own entity id: lowercase letters, digits and `._-` (same rule as `EntityRef.entityId`). */
export const EntityId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be a lowercase entity id of letters, digits and ._-');

/** An ISO 17442 LEI. */
export const Lei = z.string().regex(/^[A-Z0-9]{18}[0-9]{2}$/, 'must be a 20-character LEI');

/** A Wikidata item id such as `Q3884`. */
export const WikidataId = z.string().regex(/^Q[1-9][0-9]*$/, 'must be a Wikidata item id such as `Q3884`');

/** A lowercase DNS name (a registrable domain such as `amazon.com`). */
export const DomainName = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}$/,
    'must be a lowercase domain such as `shop.example`',
  );

/** One legal entity (or brand) in the affiliation graph. */
export const EntityRecord = z.strictObject({
  id: EntityId,
  name: z.string().min(1).max(200),
  /** Other names it trades under; used only for showing and for confusable-name checks, never to resolve. */
  aliases: z.array(z.string().min(1).max(200)).max(20).optional(),
  lei: Lei.optional(),
  wikidata: WikidataId.optional(),
  domains: z.array(DomainName).max(50).optional(),
});
export type EntityRecord = z.infer<typeof EntityRecord>;

/**
 * One sourced, dated edge: `parent` <relation> `child` (Amazon owns Whole Foods: child
 * `whole-foods`, parent `amazon`). For `paid_partner` / `affiliate_fee` the child is the party
 * whose listings or advice are paid for, the parent the one who pays.
 */
export const EdgeRecord = z.strictObject({
  child: EntityId,
  parent: EntityId,
  relation: Relation,
  /** Share held, 0..1, for ownership relations. */
  stake: z.number().min(0).max(1).optional(),
  validFrom: IsoDate.optional(),
  /** Last day the fact held; an edge whose `validTo` is before the date asked about does not count. */
  validTo: IsoDate.optional(),
  origin: FactOrigin,
  source: z.string().min(1).max(1000),
  sourceUrl: HttpUrl.optional(),
  retrievedAt: IsoDateTime.optional(),
  /** SPDX id of the licence the fact came under, e.g. `CC0-1.0`. */
  licence: z.string().min(1).max(64).optional(),
  /** How sure the source is, 0..1 (defaults by origin: seed 0.9, registry 0.95, declared 0.8, local 0.7). */
  confidence: z.number().min(0).max(1).optional(),
});
export type EdgeRecord = z.infer<typeof EdgeRecord>;

/** A sourced fact that an entity sells paid placement (sponsored listings). */
export const PaidPlacementRecord = z.strictObject({
  entity: EntityId,
  kind: z.string().min(1).max(64),
  origin: FactOrigin,
  source: z.string().min(1).max(1000),
  sourceUrl: HttpUrl.optional(),
  retrievedAt: IsoDateTime.optional(),
  licence: z.string().min(1).max(64).optional(),
});
export type PaidPlacementRecord = z.infer<typeof PaidPlacementRecord>;

/** Everything the graph holds, as plain data: what imports produce and what a snapshot is built from. */
export interface GraphFacts {
  entities: EntityRecord[];
  edges: EdgeRecord[];
  paidPlacements: PaidPlacementRecord[];
}

/** An edge as held in a snapshot: the record with its confidence resolved. */
export type GraphEdge = EdgeRecord & { confidence: number };

/** Relations walked to reach owners: the parent has a say over the child. */
export const OWNERSHIP_RELATIONS: ReadonlySet<Relation> = new Set<Relation>([
  'owns',
  'controls',
  'brand_of',
  'operates',
]);

/** Relations that are money ties but not ownership; not walked transitively. */
export const AFFILIATION_RELATIONS: ReadonlySet<Relation> = new Set<Relation>([
  'paid_partner',
  'affiliate_fee',
]);

/** Default confidence of a fact by where it came from. */
export const DEFAULT_CONFIDENCE: Readonly<Record<FactOrigin, number>> = {
  seed: 0.9,
  registry: 0.95,
  declared: 0.8,
  local: 0.7,
};
