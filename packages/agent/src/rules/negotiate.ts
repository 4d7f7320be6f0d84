import type { Money, TaskSpec } from '@steward/protocol';
import type { AgentEvent } from '../events.ts';
import { zonedParts, isoDate } from '../internal/zoned-time.ts';
import { checkResult } from '../internal/check-result.ts';
import {
  CounterOfferResult,
  FindVendorsResult,
  PlaceOrderResult,
  RecommendResult,
  RequestQuotesResult,
  type BrokerTools,
  type OfferView,
} from '../tools/port.ts';
import { formatMoney } from './amount.ts';

/** The share below the best total the rules ask for in their single counter-offer. */
export const COUNTER_DISCOUNT_PERCENT = 10;

/** Where a rules negotiation ended, so the conversation can wait for an approval. */
export interface RulesOutcome {
  taskId: string;
  offerId?: string;
  approvalId?: string;
}

function deliveryDayOf(offer: OfferView, timeZone: string): string | undefined {
  if (!offer.delivery) return undefined;
  return isoDate(zonedParts(Date.parse(offer.delivery.start), timeZone));
}

/** Why an offer does not meet the task's constraints, or undefined when it does. */
export function unmetConstraint(task: TaskSpec, offer: OfferView, timeZone: string): string | undefined {
  const { deliveryDay, deliverBy } = task.constraints;
  if (deliveryDay || deliverBy) {
    const day = deliveryDayOf(offer, timeZone);
    if (!day) return 'no delivery window';
    if (deliveryDay && day !== deliveryDay) return `delivers ${day}, not ${deliveryDay}`;
    if (deliverBy && day > deliverBy) return `delivers ${day}, after ${deliverBy}`;
  }
  if (task.items.length > 0) {
    const indexed = offer.items.some((i) => i.requestIndex !== undefined);
    if (indexed) {
      const covered = new Set(offer.items.map((i) => i.requestIndex));
      const missing = task.items.filter((_, i) => !covered.has(i)).map((i) => i.description);
      if (missing.length > 0) return `missing ${missing.join(', ')}`;
    } else if (offer.items.length < task.items.length) {
      return `offers ${offer.items.length} of ${task.items.length} items`;
    }
  }
  if (task.budget && offer.total.currency !== task.budget.currency) return `priced in ${offer.total.currency}`;
  return undefined;
}

/** The offer the rules pick: cheapest all-in among those meeting the constraints; ties go to verified, unflagged, unsponsored. */
export function pickBest(task: TaskSpec, offers: readonly OfferView[], timeZone: string): OfferView | undefined {
  const eligible = offers.filter((o) => unmetConstraint(task, o, timeZone) === undefined);
  const score = (o: OfferView): number[] => [o.total.amountMinor, o.vendor.verified ? 0 : 1, o.flags.length, o.sponsored ? 1 : 0];
  return [...eligible].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i]! - sb[i]!;
    return a.offerId < b.offerId ? -1 : 1;
  })[0];
}

/** The single counter-offer: {@link COUNTER_DISCOUNT_PERCENT} below the offer's total, rounded down. */
export function counterAsk(total: Money): Money {
  return { amountMinor: Math.floor((total.amountMinor * (100 - COUNTER_DISCOUNT_PERCENT)) / 100), currency: total.currency };
}

function describeOffer(o: OfferView): string {
  const who = `${o.vendor.displayName}${o.vendor.verified ? ' (verified)' : ' (not verified)'}`;
  const flags = o.flags.length > 0 ? `; flags: ${o.flags.map((f) => f.summary).join('; ')}` : '';
  return `${who}: ${formatMoney(o.total)} all-in${o.sponsored ? ', sponsored' : ''}${flags}`;
}

/**
 * Negotiates a task by fixed rules, reporting each step: find vendors, collect quotes, pick the best
 * all-in offer that meets the constraints, one counter-offer when it is over budget, recommend, order.
 * The broker decides the order; its refusals are relayed as they are.
 */
export async function* negotiateByRules(args: {
  tools: BrokerTools;
  taskId: string;
  task: TaskSpec;
  timeZone: string;
}): AsyncGenerator<AgentEvent, RulesOutcome> {
  const { tools, taskId, task, timeZone } = args;
  const mode = 'offline-rules' as const;
  const progress = (step: Extract<AgentEvent, { type: 'progress' }>['step'], text: string): AgentEvent => ({ type: 'progress', mode, step, text });

  const found = checkResult(FindVendorsResult, await tools.findVendors({ taskId }), 'findVendors');
  yield progress('vendors_found', found.vendors.length === 1 ? 'Found 1 vendor.' : `Found ${found.vendors.length} vendors.`);
  if (found.vendors.length === 0) {
    yield { type: 'message', mode, text: 'No vendor I can reach sells this. Nothing was ordered.' };
    yield { type: 'done', mode, outcome: 'no_offers', taskId };
    return { taskId };
  }

  const quotes = checkResult(RequestQuotesResult, await tools.requestQuotes({ taskId }), 'requestQuotes');
  yield progress('quotes_received', `Received ${quotes.offers.length} offer${quotes.offers.length === 1 ? '' : 's'}.`);
  let best = pickBest(task, quotes.offers, timeZone);
  if (!best) {
    const why = quotes.offers.map((o) => `${o.vendor.displayName}: ${unmetConstraint(task, o, timeZone) ?? 'no'}`).join('; ');
    yield { type: 'message', mode, text: `None of the offers meets what you asked for${why ? ` (${why})` : ''}. Nothing was ordered.` };
    yield { type: 'done', mode, outcome: 'no_offers', taskId };
    return { taskId };
  }
  yield progress('offer_chosen', `Best offer that fits: ${describeOffer(best)}.`);

  if (task.budget && best.total.amountMinor > task.budget.amountMinor) {
    const ask = counterAsk(best.total);
    yield progress('counter_offer', `That is above your budget of ${formatMoney(task.budget)}; I asked ${best.vendor.displayName} for ${formatMoney(ask)}.`);
    const counter = checkResult(CounterOfferResult, await tools.counterOffer({ taskId, offerId: best.offerId, askTotal: ask }), 'counterOffer');
    if (counter.status === 'revised' && counter.offer && unmetConstraint(task, counter.offer, timeZone) === undefined) {
      best = counter.offer;
      yield progress('counter_offer', `They came back with ${formatMoney(best.total)}.`);
    } else {
      const why = counter.reasons.length > 0 ? `: ${counter.reasons.join('; ')}` : '';
      yield progress('counter_offer', `No better price (${counter.status}${why}).`);
    }
    if (best.total.amountMinor > task.budget.amountMinor) {
      yield {
        type: 'message',
        mode,
        text: `The best offer, ${describeOffer(best)}, is above your budget of ${formatMoney(task.budget)}, so I did not order it. Raise the budget or change the list and ask again.`,
      };
      yield { type: 'done', mode, outcome: 'stopped', taskId };
      return { taskId };
    }
  }

  const reasons = [
    `lowest all-in total (${formatMoney(best.total)}) among ${quotes.offers.length} offers that meet the constraints`,
  ];
  const rec = checkResult(RecommendResult, await tools.recommend({ taskId, offerId: best.offerId, reasons }), 'recommend');
  if (rec.status === 'refused') {
    yield progress('refused', `The broker refused the recommendation: ${rec.reasons.join('; ')}`);
    yield { type: 'message', mode, text: `I could not recommend ${best.vendor.displayName}: ${rec.reasons.join('; ')}. Nothing was ordered.` };
    yield { type: 'done', mode, outcome: 'denied', taskId };
    return { taskId };
  }
  yield progress('recommended', `Recommended ${describeOffer(best)}${rec.status === 'flagged' ? ` (the broker flagged it: ${rec.reasons.join('; ')})` : ''}.`);

  yield progress('ordering', 'Asking the broker to place the order.');
  const placed = checkResult(PlaceOrderResult, await tools.placeOrder({ taskId, offerId: best.offerId }), 'placeOrder');
  yield* reportPlacement(mode, placed, taskId, best);
  return placed.status === 'needs_approval'
    ? { taskId, offerId: best.offerId, ...(placed.approvalId ? { approvalId: placed.approvalId } : {}) }
    : { taskId };
}

/** Tells the person what the broker decided about an order, in plain words, and ends the turn. */
export function* reportPlacement(
  mode: AgentEvent['mode'],
  placed: PlaceOrderResult,
  taskId: string,
  offer?: OfferView,
): Generator<AgentEvent> {
  const what = offer ? `${offer.vendor.displayName}, ${formatMoney(offer.total)}` : 'the order';
  const why = placed.reasons.length > 0 ? ` ${placed.reasons.join('; ')}.` : '';
  switch (placed.status) {
    case 'ordered':
      yield { type: 'message', mode, text: `Ordered: ${what}.${placed.orderId ? ` Order ${placed.orderId}.` : ''}` };
      yield { type: 'done', mode, outcome: 'ordered', taskId, ...(placed.orderId ? { orderId: placed.orderId } : {}) };
      return;
    case 'needs_approval':
      yield {
        type: 'message',
        mode,
        text: `This needs your approval (${what}).${why} Approve it in Steward, then tell me "approved" and I will place it; say "cancel" to drop it.`,
      };
      yield { type: 'done', mode, outcome: 'needs_approval', taskId, ...(placed.approvalId ? { approvalId: placed.approvalId } : {}) };
      return;
    case 'denied':
      yield { type: 'message', mode, text: `The broker refused to order ${what}.${why}` };
      yield { type: 'done', mode, outcome: 'denied', taskId };
      return;
    case 'failed':
      yield { type: 'message', mode, text: `The order for ${what} failed.${why}` };
      yield { type: 'done', mode, outcome: 'failed', taskId };
      return;
  }
}
