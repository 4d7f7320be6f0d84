import { z } from 'zod';
import { Flag } from './provenance.ts';
import { DataClass, Id, IsoDateTime, Money, Sha256B64u } from './primitives.ts';

/** The three answers a policy gives. Deny beats ask beats allow. */
export const Effect = z.enum(['allow', 'ask', 'deny']);
export type Effect = z.infer<typeof Effect>;

/** Why a rule fired, in words a person understands. */
export const Reason = z.strictObject({
  ruleId: z.string().max(128),
  effect: Effect,
  message: z.string().max(1000),
  shadow: z.boolean().optional(),
});
export type Reason = z.infer<typeof Reason>;

/** A policy decision: effect, the rules that decided, reasons, obligations and what would change it. */
export const Decision = z.strictObject({
  effect: Effect,
  determiningRules: z.array(z.string().max(128)).max(200),
  reasons: z.array(Reason).max(200),
  obligations: z.strictObject({
    redact: z.array(DataClass).max(20),
    /** Data classes to share only through a relay (e.g. a relay email address), never the real value. */
    relay: z.array(DataClass).max(20).optional(),
    amountCap: Money.optional(),
  }),
  /** For ask and deny: what would have to change for this to be allowed. */
  remedies: z.array(z.string().max(500)).max(50),
  /** Rules that errored; each counts as firing with its effect (fail closed). */
  errors: z.array(z.strictObject({ ruleId: z.string().max(128), message: z.string().max(1000) })).max(200),
  policyVersion: z.string().min(1).max(128),
  decidedAt: IsoDateTime,
});
export type Decision = z.infer<typeof Decision>;

/** What an approval is for. */
export const ApprovalKind = z.enum(['order', 'data_share', 'vendor_enrolment', 'vendor_change']);

/** The status of an approval over its life. */
export const ApprovalStatus = z.enum(['pending', 'approved', 'denied', 'expired', 'consumed']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/**
 * A request for the person's approval, bound to the hash of the exact thing approved. Its text is
 * rendered by the broker from these structured fields, never from vendor wording.
 */
export const Approval = z.strictObject({
  approvalId: Id,
  kind: ApprovalKind,
  taskId: Id.optional(),
  /** SHA-256 over the canonical cart, data to share, quote id and policy version. */
  subjectHash: Sha256B64u,
  summary: z.strictObject({
    vendor: z.string().max(256).optional(),
    vendorName: z.string().max(200).optional(),
    items: z.array(z.strictObject({ name: z.string().max(200), quantity: z.number().int(), lineTotal: Money })).max(100),
    total: Money.optional(),
    dataToShare: z.array(DataClass).max(20),
    flags: z.array(Flag).max(50),
    reasons: z.array(z.string().max(1000)).max(50),
  }),
  policyVersion: z.string().min(1).max(128),
  status: ApprovalStatus,
  createdAt: IsoDateTime,
  expiresAt: IsoDateTime,
  decidedAt: IsoDateTime.optional(),
});
export type Approval = z.infer<typeof Approval>;
