import type {
  AuditEvent,
  Category,
  DataClass,
  DeclaredAffiliation,
  EntityRef,
  Flag,
  Money,
  Purpose,
  SignedOffer,
  TaskSpec,
  VerificationLevel,
} from '@steward/protocol';

/** A vendor the person enrolled, as the broker verified it (never as the vendor describes itself). */
export interface EnrolledVendor {
  origin: string;
  displayName: string;
  /** The A2A endpoint from the verified card; must be on `origin`. */
  a2aUrl: string;
  categories: readonly Category[];
  status: 'active' | 'suspended' | 'revoked';
  /** JWK thumbprints of the vendor's pinned keys. */
  keyThumbprints: readonly string[];
  /** The pinned public keys themselves (JWK), the only keys its messages may verify with. */
  publicJwks: readonly unknown[];
  payoutId: string;
  verified: boolean;
  signedCard: boolean;
  registry?: string;
  verificationLevel?: VerificationLevel;
  trustTier?: string;
  legalEntity?: EntityRef;
  declaredOwners: readonly DeclaredAffiliation[];
  declaredAffiliations: readonly DeclaredAffiliation[];
  /** True when no order was ever placed with this vendor. */
  isNew: boolean;
}

/** The person's enrolled vendors (identity's trust store behind it). */
export interface VendorDirectory {
  list(): EnrolledVendor[];
  get(origin: string): EnrolledVendor | undefined;
}

/** A Steward message for a vendor, carried as an A2A data part (docs/wire-protocol.md). */
export interface OutboundMessage {
  steward: 'rfq' | 'counter_offer' | 'order';
  jws: string;
}

/** What a vendor answered. Untrusted until verified. */
export interface VendorReply {
  steward: string;
  jws?: string;
  reason?: string;
  /**
   * Set by the transport when the reply itself broke the wire format (several parts, extra keys):
   * the broker's own finding, refused and logged with a code, unlike a vendor's refusal.
   */
  malformed?: string;
}

/**
 * Sends one message to a vendor and returns its answer (A2A over HTTP, RFC 9421-signed). A failure
 * that proves nothing was sent carries `details.sent === false` (or a connect error code such as
 * `ECONNREFUSED`); any other failure may have reached the vendor, and an order then has an unknown
 * outcome (its money stays counted).
 */
export interface VendorTransport {
  exchange(vendor: EnrolledVendor, message: OutboundMessage, signal: AbortSignal): Promise<VendorReply>;
  /** The bytes the vendor serves at `/terms` (docs/wire-protocol.md), whose SHA-256 its offers sign. */
  fetchTerms(vendor: EnrolledVendor, signal: AbortSignal): Promise<Buffer>;
}

/** An offer the broker received, verified and screened. */
export interface ReceivedOffer {
  offer: SignedOffer;
  /** SHA-256 of the compact JWS, what an order binds to. */
  offerHash: string;
  jws: string;
  flags: Flag[];
  /** Vendor free text a model may see (screened, link-free), or empty. */
  modelNote: string;
}

/** Conflict-of-interest detection (packages/provenance behind it). */
export interface ProvenancePort {
  /** Flags about the vendors and offers presented together. */
  flagOffers(input: { vendors: readonly EnrolledVendor[]; offers: readonly ReceivedOffer[]; asOf: string }): Flag[];
  /** Flags about the agent's pick among the offers (steering). */
  checkPick(input: { vendors: readonly EnrolledVendor[]; offers: readonly ReceivedOffer[]; pickOfferHash: string; task: TaskSpec; asOf: string }): Flag[];
  /** True when the vendor shares an owner with the person's agent (maker, operator, model provider). */
  isAffiliated(vendor: EnrolledVendor, asOf: string): boolean;
  /**
   * `confusable_name` flags of vendors whose name or domain imitates another known vendor or
   * entity (THREATS #23), judged before any of them is contacted.
   */
  impersonation(input: { vendors: readonly EnrolledVendor[]; asOf: string }): Flag[];
}

/** The outcome of asking for personal data for one vendor and purpose. */
export interface DisclosurePlan {
  /** Identifies the plan, so that exactly what was planned is recorded once sent. */
  disclosureId?: string;
  allowed: Partial<Record<DataClass, string>>;
  ask: DataClass[];
  denied: Array<{ dataClass: DataClass; reason: string }>;
}

/** The person's profile (packages/profile behind it). */
export interface DisclosurePort {
  /** Asks the policy field by field; releases nothing yet. `approval` covers fields the person approved. */
  plan(input: {
    vendor: EnrolledVendor;
    purpose: Purpose;
    classes: readonly DataClass[];
    taskId: string;
    category: Category;
    approval?: { approvalId: string; dataClasses: readonly DataClass[] };
  }): DisclosurePlan;
  /** Records what was actually sent (the disclosure ledger). */
  record(plan: DisclosurePlan, input: { vendor: EnrolledVendor; taskId: string }): void;
  /** Throws when a message carries profile values beyond `allowed` (outbound DLP); the port logs the block. */
  scanOutbound(message: unknown, allowed: Partial<Record<DataClass, string>>, context: { vendor: string; taskId?: string; messageType: string }): void;
}

/** Scoped, single-use payment tokens bound to one order (packages/profile behind it). */
export interface PaymentPort {
  /** A compact JWS for this order, or undefined when the person keeps no payment means. */
  issue(input: {
    orderId: string;
    vendor: string;
    payee: { payoutId: string };
    total: Money;
    policyVersion: string;
    taskId: string;
    approvalId?: string;
  }): Promise<string | undefined>;
}

/** The audit log (packages/audit behind it). */
export interface AuditPort {
  append(event: AuditEvent, options?: { durable?: boolean; payload?: unknown }): unknown;
  /**
   * Appends `event` and runs `write` in one durable commit on the same store: both or neither
   * (packages/audit `AuditLog.appendWith`). A port without it gets `append` called inside the
   * transaction of `write`, so an append that throws rolls the write back.
   */
  appendWith?<T>(event: AuditEvent, write: () => T, options?: { payload?: unknown }): T;
}
