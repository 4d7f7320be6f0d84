import { z } from 'zod';
import { Effect } from './decision.ts';
import { FlagKind } from './provenance.ts';
import { Id, IsoDateTime, Sha256B64u } from './primitives.ts';

/** Every kind of audit event. Closed, so filters and the docs know them all. */
export const AuditEventType = z.enum([
  'message.received',
  'message.sent',
  'message.rejected',
  'decision',
  'flag',
  'task.created',
  'task.updated',
  'chat.message',
  'agent.violation',
  'approval.requested',
  'approval.granted',
  'approval.denied',
  'approval.expired',
  'order.signed',
  'order.failed',
  'order.settled',
  'receipt.received',
  'ledger.reserved',
  'ledger.committed',
  'ledger.released',
  'policy.applied',
  'policy.rolled_back',
  'key.created',
  'key.rotated',
  'key.revoked',
  'vendor.enrolled',
  'vendor.changed',
  'vendor.suspended',
  'vendor.confirmed',
  'vendor.revoked',
  'provenance.changed',
  'disclosure',
  'disclosure.blocked',
  'erasure.requested',
  'payload.erased',
  'profile.changed',
  'checkpoint',
  'gap',
]);
export type AuditEventType = z.infer<typeof AuditEventType>;

/** Who caused an event: the broker, the person, their agent or a vendor (by origin). */
export const Actor = z.union([
  z.enum(['broker', 'person', 'agent']),
  z.string().regex(/^vendor:https?:\/\/[^\s]{1,250}$/),
]);

/**
 * An audit event as appended to the log. Personal payloads are not here: they are committed by
 * `payloadCommitment` (a salted hash) and stored apart, so they can be erased without breaking
 * the log.
 */
export const AuditEvent = z.strictObject({
  type: AuditEventType,
  at: IsoDateTime,
  actor: Actor,
  taskId: Id.optional(),
  vendor: z.string().max(256).optional(),
  decision: Effect.optional(),
  flags: z.array(FlagKind).max(50).optional(),
  policyVersion: z.string().max(128).optional(),
  /** A short line a person can read in the log table. */
  summary: z.string().max(1000),
  /** Non-personal structured facts (ids, hashes, codes, reasons). */
  data: z.record(z.string().max(64), z.json()).optional(),
  /** Salted SHA-256 commitment to a personal payload kept in a separate, erasable table. */
  payloadCommitment: Sha256B64u.optional(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
