import { z } from 'zod';
import { EntityRef, Relation } from './entity.ts';
import { Id, IsoDate, IsoDateTime, HttpUrl } from './primitives.ts';

/**
 * Where the person's own agent came from: who built it, who runs it, whose model it uses, and
 * what its maker declares. Signed by its maker where available (`signature`: compact JWS over the
 * RFC 8785 canonical manifest without `signature`).
 */
export const AgentManifest = z.strictObject({
  manifestVersion: z.literal(1),
  agent: z.strictObject({ name: z.string().min(1).max(200), version: z.string().min(1).max(64) }),
  maker: EntityRef,
  operator: EntityRef,
  modelProvider: EntityRef,
  model: z.string().max(200).optional(),
  declaredAffiliations: z
    .array(z.strictObject({ entity: EntityRef, relation: Relation, note: z.string().max(300).optional() }))
    .max(50),
  issuedAt: IsoDateTime,
  signature: z.string().max(8192).optional(),
});
export type AgentManifest = z.infer<typeof AgentManifest>;

/** Where a fact in the affiliation graph came from, from strongest to weakest. */
export const FactOrigin = z.enum(['seed', 'registry', 'declared', 'local']);
export type FactOrigin = z.infer<typeof FactOrigin>;

/** One sourced, dated fact in an evidence path. */
export const EvidenceEdge = z.strictObject({
  child: z.string().max(128),
  parent: z.string().max(128),
  childName: z.string().max(200).optional(),
  parentName: z.string().max(200).optional(),
  relation: Relation,
  stake: z.number().min(0).max(1).optional(),
  validFrom: IsoDate.optional(),
  validTo: IsoDate.optional(),
  origin: FactOrigin,
  source: z.string().max(1000),
  sourceUrl: HttpUrl.optional(),
  retrievedAt: IsoDateTime.optional(),
});
export type EvidenceEdge = z.infer<typeof EvidenceEdge>;

/** Kinds of conflict-of-interest and screening flags. */
export const FlagKind = z.enum([
  'affiliated_counterparty',
  'undisclosed_affiliation',
  'paid_placement',
  'steering_suspected',
  'self_preferencing',
  'sybil_competition',
  'confusable_name',
  'stale_provenance',
  'instruction_like_text',
  'urgency_language',
  'short_deadline',
  'task_mismatch',
  'unverified_claim',
]);
export type FlagKind = z.infer<typeof FlagKind>;

/** A flag with its evidence: every flag must say why, with the path of facts that produced it. */
export const Flag = z.strictObject({
  kind: FlagKind,
  severity: z.enum(['info', 'warning', 'critical']),
  summary: z.string().max(500),
  confidence: z.number().min(0).max(1),
  vendor: z.string().max(256).optional(),
  offerId: Id.optional(),
  evidence: z.array(EvidenceEdge).max(64),
  /** Facts that are not graph edges (e.g. the sponsored label, the matched phrase). */
  notes: z.array(z.string().max(500)).max(20).optional(),
  /** The other vendors (origins) this flag ties the vendor to as one party (`sybil_competition`). */
  related: z.array(z.string().max(256)).max(64).optional(),
});
export type Flag = z.infer<typeof Flag>;
