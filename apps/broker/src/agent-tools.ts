import type { BrokerTools, OfferView as AgentOfferView } from '@steward/agent';
import { formatMoney, type EnrolledVendor, type OfferView } from '@steward/broker';
import type { Steward } from './steward.ts';

function vendorView(v: Pick<EnrolledVendor, 'origin' | 'displayName' | 'verified' | 'verificationLevel'>) {
  return { origin: v.origin, displayName: v.displayName.slice(0, 100), verified: v.verified, verificationLevel: v.verificationLevel ?? null };
}

/** The broker's offer view, cut to what the agent's model may see (structured fields, labelled vendor text). */
export function toAgentOffer(o: OfferView): AgentOfferView {
  return {
    offerId: o.offerId,
    vendor: { origin: o.vendor.origin, displayName: o.vendor.displayName.slice(0, 100), verified: o.vendor.verified, verificationLevel: (o.vendor.verificationLevel as AgentOfferView['vendor']['verificationLevel']) ?? null },
    items: o.items.map((i) => ({ sku: i.sku, name: i.name.slice(0, 120), quantity: i.quantity, lineTotal: i.lineTotal, ...(i.requestIndex === undefined ? {} : { requestIndex: i.requestIndex }) })),
    feesTotal: o.fees,
    total: o.total,
    delivery: o.delivery,
    sponsored: o.sponsored,
    flags: o.flags.slice(0, 20).map((f) => ({ kind: f.kind, summary: f.summary.slice(0, 300) })),
    ...(o.untrustedVendorText ? { vendorNote: { untrustedVendorText: o.untrustedVendorText.slice(0, 280) } } : {}),
  };
}

const clip = (reasons: readonly string[]) => reasons.slice(0, 20).map((r) => r.slice(0, 300));

/**
 * The agent's only way to act, implemented by the broker engine: every call goes through the same
 * verification, screening, policy and audit as the person's own API calls. The budget stays here.
 */
export function brokerToolsFor(steward: Steward): BrokerTools {
  const engine = steward.engine;
  return {
    async openTask({ conversationId, task }) {
      return { taskId: engine.createTask(task, { conversationId }).taskId };
    },
    async findVendors({ taskId }) {
      return { vendors: engine.findVendors(taskId).map((v) => vendorView(v.vendor)) };
    },
    async requestQuotes({ taskId }) {
      return { offers: (await engine.requestQuotes(taskId)).map(toAgentOffer) };
    },
    async counterOffer({ taskId, offerId, askTotal }) {
      const result = await engine.counterOffer(taskId, offerId, askTotal);
      if ('refused' in result) {
        return { status: /declined/.test(result.refused) ? ('declined' as const) : ('refused' as const), reasons: clip([result.refused]) };
      }
      return { status: 'revised' as const, offer: toAgentOffer(result), reasons: [] };
    },
    async recommend({ taskId, offerId, reasons }) {
      const result = engine.recommend(taskId, offerId, reasons);
      return result.flags.length > 0 ? { status: 'flagged' as const, reasons: clip(result.flags.map((f) => f.summary)) } : { status: 'accepted' as const, reasons: [] };
    },
    async askPerson({ taskId, question }) {
      steward.hub.publish({ type: 'question', taskId, data: { taskId, question: question.slice(0, 500) } });
      return { status: 'asked' as const, reasons: [] };
    },
    async placeOrder({ taskId, offerId }) {
      const overBudget = refuseOverBudget(steward, taskId, offerId);
      if (overBudget) return overBudget;
      const outcome = await engine.placeOrder(taskId, offerId);
      if (outcome.approval) steward.hub.publish({ type: 'approval', taskId, data: { approval: outcome.approval } });
      return {
        status: outcome.status,
        reasons: clip(outcome.reasons),
        ...(outcome.approval ? { approvalId: outcome.approval.approvalId } : {}),
        ...(outcome.orderId ? { orderId: outcome.orderId } : {}),
      };
    },
  };
}

/**
 * The agent's orders are held to the task's budget. The model never sees the budget (THREATS #35),
 * so only the broker can enforce it: an offer whose all-in total is above it, or in another
 * currency, is denied here, before any policy check or approval, and the denial is logged. The
 * reason says that the offer is over budget but never by how much, so a model learns nothing of the cap.
 */
function refuseOverBudget(steward: Steward, taskId: string, offerId: string): { status: 'denied'; reasons: string[] } | undefined {
  const { budget } = steward.engine.task(taskId).spec;
  const offer = budget ? steward.engine.offers(taskId).find((o) => o.offerId === offerId) : undefined;
  if (!budget || !offer) return undefined; // no budget, or an unknown offer: the engine answers as usual
  const sameCurrency = offer.total.currency === budget.currency;
  if (sameCurrency && offer.total.amountMinor <= budget.amountMinor) return undefined;
  const reason = sameCurrency
    ? `over budget: ${offer.vendor.displayName.slice(0, 100)}'s all-in total of ${formatMoney(offer.total)} is above the budget you set for this task`
    : `over budget: ${offer.vendor.displayName.slice(0, 100)} prices in ${offer.total.currency}, not the currency of the budget you set for this task`;
  steward.audit.appendDurably({
    type: 'decision',
    at: new Date(steward.clock.now()).toISOString(),
    actor: 'broker',
    taskId,
    vendor: offer.vendor.origin,
    decision: 'deny',
    policyVersion: steward.policies.active().entry.version,
    summary: `order ${formatMoney(offer.total)} at ${offer.vendor.displayName.slice(0, 100)}: deny (above the task's budget of ${formatMoney(budget)})`,
    data: { offerId, rules: ['task.budget'], reasons: [reason] },
  });
  return { status: 'denied', reasons: [reason] };
}
