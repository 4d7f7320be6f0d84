import type { PricedLine } from './quote.ts';
import { feesTotal, linesSubtotal } from './quote.ts';
import type { Fee } from '@steward/protocol';

/** What a vendor answers to a counter-offer's ask. */
export interface Concession {
  lines: PricedLine[];
  totalMinor: number;
  /** True when the ask was met (at or above the floor); false when answered at the floor. */
  accepted: boolean;
  /** The lowest all-in total the vendor will take for these lines. */
  floorTotalMinor: number;
}

/**
 * The price-floor rule: an ask at or above the floor total is accepted (the lines are discounted
 * to meet it as closely as whole cents per unit allow, never above the ask); an ask below it is
 * answered with the floor itself. Fees are not discounted. Pure and deterministic.
 */
export function concede(lines: readonly PricedLine[], fees: readonly Fee[], askTotalMinor: number | undefined): Concession {
  const feeSum = feesTotal(fees);
  const current = linesSubtotal(lines) + feeSum;
  const floorSubtotal = lines.reduce((s, l) => s + l.item.floorMinor * l.quantity, 0);
  const floorTotalMinor = floorSubtotal + feeSum;
  if (askTotalMinor === undefined || askTotalMinor >= current) {
    return { lines: lines.map((l) => ({ ...l })), totalMinor: current, accepted: true, floorTotalMinor };
  }
  const accepted = askTotalMinor >= floorTotalMinor;
  const target = (accepted ? askTotalMinor : floorTotalMinor) - feeSum;
  // Start every line at its floor (but never above its current price), then give back the slack.
  const out = lines.map((l) => ({ ...l, unitMinor: Math.min(l.unitMinor, l.item.floorMinor) }));
  let slack = target - linesSubtotal(out);
  const initialSlack = slack;
  const roomTotal = totalRoom(lines, out);
  // Widest margin first, then SKU order, so the same ask always gives the same lines.
  const order = out
    .map((l, i) => ({ i, room: (lines[i]?.unitMinor ?? l.unitMinor) - l.unitMinor }))
    .sort((a, b) => b.room - a.room || (out[a.i]?.item.sku ?? '').localeCompare(out[b.i]?.item.sku ?? ''));
  const give = (i: number, perUnit: (line: PricedLine, room: number) => number) => {
    const line = out[i];
    const before = lines[i];
    if (!line || !before || slack <= 0) return;
    const room = before.unitMinor - line.unitMinor;
    const add = Math.max(0, Math.min(room, perUnit(line, room)));
    line.unitMinor += add;
    slack -= add * line.quantity;
  };
  // First pass: share the slack in proportion to each line's margin.
  for (const { i } of order) give(i, (line, room) => Math.floor((initialSlack * room) / Math.max(1, roomTotal)));
  // Second pass mops up whole cents per unit, multi-unit lines first so single units absorb the rest.
  const mopUp = [...order].sort((a, b) => (out[b.i]?.quantity ?? 0) - (out[a.i]?.quantity ?? 0));
  for (const { i } of mopUp) give(i, (line) => Math.floor(slack / line.quantity));
  return { lines: out, totalMinor: linesSubtotal(out) + feeSum, accepted, floorTotalMinor };
}

function totalRoom(before: readonly PricedLine[], after: readonly PricedLine[]): number {
  return before.reduce((s, l, i) => s + (l.unitMinor - (after[i]?.unitMinor ?? l.unitMinor)) * l.quantity, 0);
}
