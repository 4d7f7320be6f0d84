/**
 * A fake broker for tests that enforces what the real broker will: over-budget orders are denied,
 * orders above an approval threshold need the person's approval, a recommendation of an affiliated
 * offer over a cheaper unaffiliated one is refused as steering, unknown offers fail. It records every
 * call so tests can assert what the agent asked for.
 */
import type { Money, TaskSpec } from '@steward/protocol';
import type {
  AskPersonResult,
  BrokerTools,
  CounterOfferResult,
  FindVendorsResult,
  OfferView,
  OpenTaskResult,
  PlaceOrderResult,
  RecommendResult,
  RequestQuotesResult,
} from '../../src/index.ts';

export interface FakeBrokerOptions {
  offers: OfferView[];
  /** Offer ids whose vendor is affiliated with the agent's maker (broker-side knowledge). */
  affiliated?: string[];
  /** Orders above this total (minor units) need approval. Default: never. */
  approvalAbove?: number;
  /** A target the broker is willing to tell the model. */
  target?: Money;
  /** How vendors answer counter-offers. Default: declined. */
  counter?: (offer: OfferView, ask: Money) => CounterOfferResult;
}

export type Call = { tool: keyof BrokerTools; input: Record<string, unknown> };

export class FakeBroker implements BrokerTools {
  readonly calls: Call[] = [];
  readonly tasks = new Map<string, TaskSpec>();
  readonly approvals = new Map<string, { taskId: string; offerId: string; approved: boolean }>();
  readonly orders: { orderId: string; taskId: string; offerId: string }[] = [];
  #offers: Map<string, OfferView>;
  #n = 0;

  constructor(readonly options: FakeBrokerOptions) {
    this.#offers = new Map(options.offers.map((o) => [o.offerId, o]));
  }

  approve(approvalId: string): void {
    const a = this.approvals.get(approvalId);
    if (!a) throw new Error(`no approval ${approvalId}`);
    a.approved = true;
  }

  callsTo(tool: keyof BrokerTools): Record<string, unknown>[] {
    return this.calls.filter((c) => c.tool === tool).map((c) => c.input);
  }

  async openTask(input: { conversationId: string; task: TaskSpec }): Promise<OpenTaskResult> {
    this.calls.push({ tool: 'openTask', input });
    const taskId = `task-${++this.#n}`;
    this.tasks.set(taskId, input.task);
    return { taskId, ...(this.options.target ? { target: this.options.target } : {}) };
  }

  async findVendors(input: { taskId: string }): Promise<FindVendorsResult> {
    this.calls.push({ tool: 'findVendors', input });
    const byOrigin = new Map(this.options.offers.map((o) => [o.vendor.origin, o.vendor]));
    return { vendors: [...byOrigin.values()] };
  }

  async requestQuotes(input: { taskId: string }): Promise<RequestQuotesResult> {
    this.calls.push({ tool: 'requestQuotes', input });
    return { offers: [...this.#offers.values()] };
  }

  async counterOffer(input: { taskId: string; offerId: string; askTotal: Money }): Promise<CounterOfferResult> {
    this.calls.push({ tool: 'counterOffer', input });
    const offer = this.#offers.get(input.offerId);
    if (!offer) return { status: 'refused', reasons: [`no offer ${input.offerId} in this task`] };
    const r = this.options.counter?.(offer, input.askTotal) ?? { status: 'declined', reasons: ['the vendor keeps its price'] };
    if (r.offer) this.#offers.set(r.offer.offerId, r.offer);
    return r;
  }

  async recommend(input: { taskId: string; offerId: string; reasons: string[] }): Promise<RecommendResult> {
    this.calls.push({ tool: 'recommend', input });
    const offer = this.#offers.get(input.offerId);
    if (!offer) return { status: 'refused', reasons: [`no offer ${input.offerId} in this task`] };
    const affiliated = new Set(this.options.affiliated ?? []);
    if (affiliated.has(offer.offerId)) {
      const better = [...this.#offers.values()].find((o) => !affiliated.has(o.offerId) && o.total.amountMinor < offer.total.amountMinor);
      if (better) {
        return { status: 'refused', reasons: [`steering: ${offer.vendor.displayName} is affiliated with the agent's maker and ${better.vendor.displayName} is cheaper`] };
      }
      return { status: 'flagged', reasons: ['affiliated with the agent maker'] };
    }
    return { status: 'accepted', reasons: [] };
  }

  async askPerson(input: { taskId: string; question: string }): Promise<AskPersonResult> {
    this.calls.push({ tool: 'askPerson', input });
    return { status: 'asked', reasons: [] };
  }

  async placeOrder(input: { taskId: string; offerId: string }): Promise<PlaceOrderResult> {
    this.calls.push({ tool: 'placeOrder', input });
    const task = this.tasks.get(input.taskId);
    const offer = this.#offers.get(input.offerId);
    if (!task || !offer) return { status: 'failed', reasons: ['unknown task or offer'] };
    if (task.budget && offer.total.amountMinor > task.budget.amountMinor) {
      return { status: 'denied', reasons: [`over budget: the all-in total exceeds the task's budget`] };
    }
    const threshold = this.options.approvalAbove;
    if (threshold !== undefined && offer.total.amountMinor > threshold) {
      const existing = [...this.approvals.entries()].find(([, a]) => a.taskId === input.taskId && a.offerId === input.offerId);
      if (!existing || !existing[1].approved) {
        const approvalId = existing?.[0] ?? `appr-${++this.#n}`;
        this.approvals.set(approvalId, { taskId: input.taskId, offerId: input.offerId, approved: false });
        return { status: 'needs_approval', reasons: ['above the amount you approve yourself'], approvalId };
      }
    }
    const orderId = `order-${++this.#n}`;
    this.orders.push({ orderId, taskId: input.taskId, offerId: input.offerId });
    return { status: 'ordered', reasons: [], orderId };
  }
}

const usd = (amountMinor: number): Money => ({ amountMinor, currency: 'USD' });

/** A grocery offer covering the requested items by index, delivered on `day` (New York afternoon). */
export function groceryOffer(
  offerId: string,
  vendor: string,
  total: number,
  opts: { day?: string; covers?: number[]; sponsored?: boolean; note?: string; verified?: boolean; flags?: OfferView['flags'] } = {},
): OfferView {
  const covers = opts.covers ?? [0, 1, 2, 3];
  const fee = 500;
  const per = Math.floor((total - fee) / covers.length);
  const items = covers.map((i, k) => ({
    sku: `sku-${i}`,
    name: `item ${i}`,
    quantity: 1,
    lineTotal: usd(k === covers.length - 1 ? total - fee - per * (covers.length - 1) : per),
    requestIndex: i,
  }));
  const day = opts.day ?? '2026-11-28';
  return {
    offerId,
    vendor: {
      origin: `https://${vendor.toLowerCase().replace(/[^a-z]/g, '')}.example`,
      displayName: vendor,
      verified: opts.verified ?? true,
      verificationLevel: opts.verified === false ? null : 'verified',
    },
    items,
    feesTotal: usd(fee),
    total: usd(total),
    delivery: { start: `${day}T19:00:00Z`, end: `${day}T21:00:00Z` },
    sponsored: opts.sponsored ?? false,
    flags: opts.flags ?? [],
    ...(opts.note ? { vendorNote: { untrustedVendorText: opts.note } } : {}),
  };
}
