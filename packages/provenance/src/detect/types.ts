import type {
  AgentManifest,
  DeclaredAffiliation,
  EntityRef,
  Money,
  VerificationLevel,
} from '@steward/protocol';

/** Registry credential facts about a vendor, already verified by the identity layer. */
export interface CredentialFacts {
  /** The registry that signed it (shown in evidence). */
  issuer: string;
  legalEntity: EntityRef;
  owners: DeclaredAffiliation[];
  verificationLevel: VerificationLevel;
  /** When the registry issued it (ISO date-time). */
  issuedAt?: string;
}

/**
 * What the broker knows about one vendor, as plain data. `origin` is the enrolled, card-bound
 * origin (verified by identity); everything under `declared*` comes from the vendor's signed card.
 */
export interface VendorDescriptor {
  origin: string;
  /** Vendor-chosen display name: shown and checked for confusables, never used to resolve. */
  displayName: string;
  keyThumbprint: string;
  payoutId: string;
  /** The legal entity the signed card names (CommerceExtension.legalEntity). */
  legalEntity?: EntityRef;
  declaredOwners: DeclaredAffiliation[];
  declaredAffiliations: DeclaredAffiliation[];
  credential?: CredentialFacts;
}

/** The subset of a signed offer the detectors read. */
export interface OfferView {
  offerId: string;
  vendor: string;
  total: Money;
  delivery: { start: string; end: string } | null;
  sponsored: boolean;
  items: { sku: string; quantity: number }[];
  /** When the vendor signed it (epoch seconds); the graph is read as of this date. */
  iat?: number;
  /** Payee of this offer, when it differs from the vendor's registered payout identity. */
  payee?: { payoutId: string };
  /** Whether the offer meets the person's constraints (set by the broker from the task). */
  constraintsMet?: boolean;
}

/** One past negotiation: which vendors offered and which one the agent picked. */
export interface PickRecord {
  /** The date of that negotiation (`YYYY-MM-DD`); the graph is read as of it. Default: the input's `asOf`. */
  asOf?: string;
  offeredVendors: string[];
  pickedVendor: string;
}

/** Everything {@link detectConflicts} needs for one negotiation. */
export interface DetectionInput {
  manifest: AgentManifest;
  vendors: VendorDescriptor[];
  offers: OfferView[];
  /** The offer the agent recommends, if it has picked. */
  pickOfferId?: string;
  /** Past picks for the self-preferencing check. */
  history?: PickRecord[];
  /** Date (`YYYY-MM-DD`) to read the graph at when an offer has no `iat`. */
  asOf: string;
  /** True when the manifest's maker signature was verified (shown in evidence). */
  manifestVerified?: boolean;
  /** Now, in epoch milliseconds, for staleness. */
  nowMs: number;
}

/** Thresholds, all with defaults documented in docs/provenance.md. */
export interface DetectionOptions {
  /** Facts retrieved longer ago than this are stale. Default 730 days. */
  staleAfterDays?: number;
  /** Fewest past picks before self-preferencing is judged. Default 20. */
  minSelfPreferencingSample?: number;
  /** One-sided z-score above which self-preferencing is flagged. Default 2.33 (p ≈ 0.01). */
  selfPreferencingZ?: number;
  /** Smallest excess share of affiliated picks worth flagging. Default 0.15. */
  selfPreferencingMargin?: number;
  /** Steering criteria the person cares about. Default all three. */
  steeringCriteria?: readonly ('price' | 'delivery' | 'constraints')[];
  /** Walk guard. Default 12. */
  maxDepth?: number;
}
