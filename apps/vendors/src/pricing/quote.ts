import type { Fee, Money, OfferItem, Rfq, RfqConstraints } from '@steward/protocol';
import type { CatalogueItem, VendorProfile, Window } from '../catalogue/types.ts';
import { matchItem } from './match.ts';

/** One priced line with what the vendor knows about it (floor, sponsorship), kept server-side. */
export interface PricedLine {
  item: CatalogueItem;
  quantity: number;
  requestIndex: number;
  unitMinor: number;
}

/** A quote before it is signed: lines, fees, the window and the all-in total. */
export interface Quote {
  lines: PricedLine[];
  fees: Fee[];
  window: Window | null;
  totalMinor: number;
  sponsored: boolean;
  /** Requested items the vendor could not match, by request index. */
  unmatched: number[];
}

/** Dollars for people, cents for machines: `usd(499)` is $4.99. */
export function usd(amountMinor: number): Money {
  return { amountMinor, currency: 'USD' };
}

/** The list subtotal of lines (at list price, before any negotiated discount). */
export function listSubtotal(lines: readonly PricedLine[]): number {
  return lines.reduce((s, l) => s + l.item.priceMinor * l.quantity, 0);
}

/** Sum of the lines at their current unit prices. */
export function linesSubtotal(lines: readonly PricedLine[]): number {
  return lines.reduce((s, l) => s + l.unitMinor * l.quantity, 0);
}

/** Sum of fee amounts. */
export function feesTotal(fees: readonly Fee[]): number {
  return fees.reduce((s, f) => s + f.amount.amountMinor, 0);
}

/** Fees for a set of lines: always computed from list prices, so a discount never changes them. */
export function feesFor(profile: VendorProfile, lines: readonly PricedLine[], constraints: RfqConstraints): Fee[] {
  return profile.fees({ listSubtotalMinor: listSubtotal(lines), constraints, quantity: lines.reduce((s, l) => s + l.quantity, 0) });
}

/**
 * Prices an RFQ against the vendor's catalogue at list price: one line per requested item it can
 * match (several requests for the same SKU are merged), its fees and its window. Returns a refusal
 * reason when it cannot quote at all.
 */
export function priceRfq(profile: VendorProfile, rfq: Rfq, nowMs: number): Quote | { refuse: string } {
  const catalogue = profile.itemsFor ? profile.itemsFor(rfq.constraints) : profile.catalogue;
  if ('refuse' in catalogue) return catalogue;
  const window = profile.windowFor(rfq.constraints, nowMs);
  if (window !== null && 'refuse' in window) return window;
  const lines: PricedLine[] = [];
  const unmatched: number[] = [];
  const add = (item: CatalogueItem, requested: number, requestIndex: number) => {
    const quantity = Math.min(1000, Math.max(1, profile.quantityFor?.(item, requested, rfq.constraints) ?? requested));
    const same = lines.find((l) => l.item.sku === item.sku);
    if (same) same.quantity = Math.min(1000, same.quantity + quantity);
    else lines.push({ item, quantity, requestIndex, unitMinor: item.priceMinor });
  };
  rfq.items.forEach((request, requestIndex) => {
    const item = matchItem(request, catalogue);
    if (item) add(item, request.quantity, requestIndex);
    else unmatched.push(requestIndex);
  });
  const fallback = lines.length === 0 ? profile.defaultItem?.(catalogue) : undefined;
  if (fallback) {
    add(fallback, 1, 0);
    unmatched.splice(0, 1);
  }
  if (lines.length === 0) return { refuse: `${profile.name} has nothing matching the requested items` };
  const fees = feesFor(profile, lines, rfq.constraints);
  return {
    lines,
    fees,
    window,
    totalMinor: linesSubtotal(lines) + feesTotal(fees),
    sponsored: lines.some((l) => l.item.sponsored === true),
    unmatched,
  };
}

/** The offer lines as they go on the wire. */
export function offerItems(lines: readonly PricedLine[]): OfferItem[] {
  return lines.map((l) => ({
    sku: l.item.sku,
    name: `${l.item.name} (${l.item.unit})`,
    quantity: l.quantity,
    unitPrice: usd(l.unitMinor),
    lineTotal: usd(l.unitMinor * l.quantity),
    requestIndex: l.requestIndex,
    condition: 'new' as const,
  }));
}
