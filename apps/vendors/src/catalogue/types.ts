import type { Category, CommerceExtension, DeclaredAffiliation, EntityRef, Fee, RfqConstraints } from '@steward/protocol';

/** One thing a vendor sells, with its list price and the lowest price it will negotiate to. */
export interface CatalogueItem {
  readonly sku: string;
  readonly name: string;
  /** Pack size or unit as shown to a shopper, e.g. `1 gal`, `per person`. */
  readonly unit: string;
  /** List price in USD minor units. */
  readonly priceMinor: number;
  /** Negotiation floor in USD minor units (≤ price). INVARIANT: never quoted below. */
  readonly floorMinor: number;
  /** Words a request may use for this item (lowercase). */
  readonly keywords: readonly string[];
  /** Paid placement: the vendor is paid to put this item forward (disclosed as `sponsored`). */
  readonly sponsored?: boolean;
}

/** The fees a vendor adds to a quote, computed from the list subtotal and the request. */
export type FeeRule = (input: { listSubtotalMinor: number; constraints: RfqConstraints; quantity: number }) => Fee[];

/** Everything that makes one vendor who it is: identity, disclosure, catalogue, terms and rules. */
export interface VendorProfile {
  /** Short stable id, used for key files, registry paths and ports. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: Category;
  readonly legalEntity: EntityRef;
  /** What the vendor's own card discloses (may omit the truth: see the registry). */
  readonly disclosedOwners: readonly DeclaredAffiliation[];
  readonly affiliations: readonly DeclaredAffiliation[];
  readonly payout: CommerceExtension['payout'];
  readonly terms: string;
  readonly catalogue: readonly CatalogueItem[];
  readonly fees: FeeRule;
  /** How many counter-offer rounds the vendor entertains. */
  readonly maxRounds: number;
  /** Personal data classes the vendor needs to fulfil an order. */
  readonly requiredData: readonly ('name' | 'email' | 'phone' | 'address')[];
  readonly skills: readonly { id: string; name: string; description: string; tags: string[]; examples?: string[] }[];
  /**
   * The items on sale for this request, when they depend on it (fares by route and date), or a
   * refusal reason. Default: the static catalogue.
   */
  readonly itemsFor?: (constraints: RfqConstraints) => readonly CatalogueItem[] | { refuse: string };
  /** The item quoted when a request matches nothing (e.g. the table itself for a booking). */
  readonly defaultItem?: (items: readonly CatalogueItem[]) => CatalogueItem | undefined;
  /** The quantity to quote for a matched item (e.g. one fare per traveller). Default: as requested. */
  readonly quantityFor?: (item: CatalogueItem, requested: number, constraints: RfqConstraints) => number;
  /** The delivery, service or travel window of a quote, or a refusal reason. */
  readonly windowFor: (constraints: RfqConstraints, nowMs: number) => Window | null | { refuse: string };
}

/** A delivery or service window as ISO timestamps. */
export interface Window {
  start: string;
  end: string;
}
