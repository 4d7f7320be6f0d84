import { randomInt } from 'node:crypto';
import type { TaskSpec } from '@steward/protocol';
import type { ReceivedOffer } from './ports.ts';

/** Fisher–Yates with a cryptographic source: presentation order carries no vendor signal (THREATS #7, #28). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Whether an offer meets the task's hard constraints, and why not. */
export function constraintGaps(offer: ReceivedOffer, task: TaskSpec): string[] {
  const gaps: string[] = [];
  const o = offer.offer;
  if (task.budget && o.total.currency !== task.budget.currency) gaps.push(`priced in ${o.total.currency}, not ${task.budget.currency}`);
  const day = task.constraints.deliveryDay ?? task.constraints.deliverBy;
  if (day && task.category === 'groceries') {
    if (!o.delivery) gaps.push('no delivery window');
    else {
      const end = o.delivery.end.slice(0, 10);
      const start = o.delivery.start.slice(0, 10);
      if (task.constraints.deliveryDay && (start > day || end < day)) gaps.push(`delivers ${start}, not ${day}`);
      if (!task.constraints.deliveryDay && task.constraints.deliverBy && start > task.constraints.deliverBy) gaps.push(`delivers after ${task.constraints.deliverBy}`);
    }
  }
  const wanted = task.items.length;
  if (wanted > 0) {
    const covered = new Set(o.items.map((i) => i.requestIndex).filter((i) => i !== undefined));
    if (covered.size > 0 && covered.size < wanted) gaps.push(`covers ${covered.size} of ${wanted} items`);
  }
  if (o.billingPeriod !== 'one_off') gaps.push(`recurring (${o.billingPeriod})`);
  return gaps;
}

/** Whether the broker flagged the offer as a paid placement its signed `sponsored` label denies. */
function undisclosedPlacement(offer: ReceivedOffer): boolean {
  return !offer.offer.sponsored && offer.flags.some((f) => f.kind === 'paid_placement' && f.offerId === offer.offer.offerId);
}

/**
 * The broker's own comparison: offers that meet the constraints first, undisclosed paid placements
 * last among equals, then lowest all-in total,
 * then earliest delivery. Vendor prose never feeds it.
 */
export function compareOffers(task: TaskSpec): (a: ReceivedOffer, b: ReceivedOffer) => number {
  return (a, b) => {
    const ga = constraintGaps(a, task).length === 0 ? 0 : 1;
    const gb = constraintGaps(b, task).length === 0 ? 0 : 1;
    if (ga !== gb) return ga - gb;
    // THREATS #26: an undisclosed paid placement ranks after every other offer that meets the constraints.
    const pa = undisclosedPlacement(a) ? 1 : 0;
    const pb = undisclosedPlacement(b) ? 1 : 0;
    if (pa !== pb) return pa - pb;
    if (a.offer.total.amountMinor !== b.offer.total.amountMinor) return a.offer.total.amountMinor - b.offer.total.amountMinor;
    const da = a.offer.delivery ? Date.parse(a.offer.delivery.start) : Number.MAX_SAFE_INTEGER;
    const db = b.offer.delivery ? Date.parse(b.offer.delivery.start) : Number.MAX_SAFE_INTEGER;
    return da - db;
  };
}
