import type { BrokerTools, OfferView as AgentOfferView } from '@steward/agent';
import type { EnrolledVendor, OfferView } from '@steward/broker';
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
