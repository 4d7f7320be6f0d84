import type { AgentManifest, Approval, AuditEvent, DataClass, Flag, FlagKind, Money } from '@steward/protocol';

export type { AgentManifest, Approval, AuditEvent, DataClass, Flag, FlagKind, Money };

/** Every audit event type, for the filter (a test keeps this in step with @steward/protocol). */
export const AUDIT_EVENT_TYPES = [
  'message.received', 'message.sent', 'message.rejected', 'decision', 'flag', 'task.created', 'task.updated',
  'chat.message', 'agent.violation', 'approval.requested', 'approval.granted', 'approval.denied', 'approval.expired', 'order.signed',
  'order.failed', 'order.settled', 'receipt.received', 'ledger.reserved', 'ledger.committed', 'ledger.released', 'policy.applied',
  'policy.rolled_back', 'key.created', 'key.rotated', 'key.revoked', 'vendor.enrolled', 'vendor.changed',
  'vendor.suspended', 'vendor.confirmed', 'vendor.revoked', 'provenance.changed', 'disclosure', 'disclosure.blocked',
  'erasure.requested', 'payload.erased', 'profile.changed', 'checkpoint', 'gap',
] as const;

/** Every flag kind, for the filter and the conflicts form (kept in step by a test). */
export const FLAG_KINDS = [
  'affiliated_counterparty', 'undisclosed_affiliation', 'paid_placement', 'steering_suspected', 'self_preferencing',
  'sybil_competition', 'confusable_name', 'stale_provenance', 'instruction_like_text', 'urgency_language', 'short_deadline', 'task_mismatch', 'unverified_claim',
] as const;

/** Every data class (kept in step by a test). */
export const DATA_CLASSES = [
  'name', 'email', 'phone', 'address', 'payment', 'birth_date', 'health', 'location', 'identity_document', 'preferences',
] as const;

/** `GET /api/status`. */
export interface StatusView {
  brokerId: string;
  mode: 'offline-rules' | 'model';
  model?: string;
  agent: { manifest: AgentManifest; disclosure: string };
  checkpoint: { size: number; rootHash: string } | null;
  pendingApprovals: number;
  /** Orders whose outcome is unknown, waiting for the person (absent from older brokers). */
  unsettledOrders?: number;
  policyVersion: string;
}

/** A short flag as offers carry it. */
export interface OfferFlag {
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  summary: string;
}

/** `OfferView` of docs/api.md. */
export interface OfferView {
  offerId: string;
  vendorOfferId: string;
  offerHash: string;
  vendor: { origin: string; displayName: string; verified: boolean; verificationLevel?: string };
  items: { sku: string; name: string; quantity: number; lineTotal: Money }[];
  fees: { kind?: string; label?: string; name?: string; amount?: Money }[] | Money | null;
  total: Money;
  billingPeriod: string;
  delivery?: unknown;
  /** ISO string or epoch seconds. */
  expiresAt: string | number;
  sponsored: boolean;
  round: number;
  constraintGaps: string[];
  flags: OfferFlag[];
  /** The other vendors that are one party with this one: one competitor, not rivals. */
  sameParty?: { vendors: string[]; offerIds: string[] };
  untrustedVendorText?: string | Record<string, string> | null;
}

/** One row of the audit table. */
export interface AuditEntry {
  index: number;
  event: AuditEvent;
  leafHash: string;
}

/** One graph edge with its source. */
export interface GraphEdge {
  from: string;
  to: string;
  relation: string;
  source: string;
  sourceUrl?: string;
  validFrom?: string;
  validTo?: string;
  origin: string;
}

/** A graph of entities. */
export interface Graph {
  nodes: { id: string; name: string }[];
  edges: GraphEdge[];
}
