/**
 * THREATS.md #34–#37: the approval and what it binds. The approval is rendered by the broker from
 * structured fields; the budget never leaves; the order binds the signed terms hash; the payee must
 * be the registered payout identity.
 */
import { createHash } from 'node:crypto';
import { SWITCHED_TERMS } from '@steward/vendors';
import { describe, expect, it } from 'vitest';
import { expectBenignUnaffected, hostileOffer, hostileRefusals, useAttackBed, type OrderAnswer } from './harness.ts';

describe('#34 misleading approval text (misleading-approval)', () => {
  const bed = useAttackBed('misleading-approval');
  it('renders the approval from the signed total and items, never from the vendor\'s "$0.00 today"', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    const offer = hostileOffer(b, offers)!;
    expect(offer.untrustedVendorText).toContain('$0.00');
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status).toBe('needs_approval');
    const summary = order.approval!.summary;
    expect(summary.total).toEqual(offer.total);
    expect(summary.total.amountMinor).toBeGreaterThan(0);
    expect(JSON.stringify(summary)).not.toMatch(/\$0\.00|free trial|nothing will be charged/);
    const requested = b.events(taskId, ['approval.requested']);
    expect(requested).toHaveLength(1);
    expect(requested[0]!.summary).toBe(`approval requested: $${(offer.total.amountMinor / 100).toFixed(2)} at Bargain Hub`);
    // Asking again for the same offer does not pile up a second approval request.
    await b.api('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId });
    const pending = await b.api<{ approvals: Array<{ summary: { vendor?: string } }> }>('GET', '/api/approvals');
    expect(pending.json.approvals.filter((a) => a.summary.vendor === b.hostile)).toHaveLength(1);
  });
});

describe('#35 budget probing (budget-probe)', () => {
  const bed = useAttackBed('budget-probe');
  it('never sends the budget or a cap: the request for quotes and the counter carry only what is asked', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote({ budget: { amountMinor: 7777, currency: 'USD' } });
    expectBenignUnaffected(b, taskId, offers, []);
    const offer = hostileOffer(b, offers)!;
    await b.api('POST', `/api/tasks/${taskId}/counter`, { offerId: offer.offerId, askTotal: { amountMinor: offer.total.amountMinor - 50, currency: 'USD' } });
    const received = b.agent().received;
    expect(received.map((m) => m.steward)).toEqual(['rfq', 'counter_offer']);
    for (const m of received) {
      const text = JSON.stringify(m.payload);
      expect(text).not.toContain('7777');
      expect(text).not.toMatch(/budget|cap|limit|max/i);
    }
    expect(Object.keys(received[1]!.payload.askTotal as object).sort()).toEqual(['amountMinor', 'currency']);
    expect(b.events(taskId, ['message.sent']).filter((e) => e.vendor === b.hostile)).toHaveLength(2);
  });
});

describe('#36 terms switch after the order (terms-switch)', () => {
  const bed = useAttackBed('terms-switch', { withoutPhone: true });
  it('binds the order to the signed terms hash, which the switched terms no longer match', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    const offer = hostileOffer(b, offers)!;
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status, JSON.stringify(order)).toBe('ordered');
    const signedOffer = JSON.parse((b.broker.steward.store.db.prepare('SELECT payload_json FROM broker_offers WHERE offer_hash = ?').get(offer.offerHash) as { payload_json: string }).payload_json) as { termsHash: string };
    const sentOrder = b.agent().received.find((m) => m.steward === 'order')!.payload as { termsHash: string; offerHash: string };
    expect(sentOrder.termsHash).toBe(signedOffer.termsHash);
    expect(sentOrder.offerHash).toBe(offer.offerHash);
    const now = await (await fetch(`${b.hostile}/terms`)).text();
    expect(now).toBe(SWITCHED_TERMS);
    expect(createHash('sha256').update(now, 'utf8').digest('base64url')).not.toBe(signedOffer.termsHash);
    const signed = b.events(taskId, ['order.signed']);
    expect(signed[0]!.data?.offerHash).toBe(offer.offerHash);
    // The snapshot kept when the order was placed is the text the hash names, not the switched one.
    expect(offer.termsHash).toBe(signedOffer.termsHash);
    const kept = await b.api<{ text: string; vendor: string }>('GET', `/api/terms/${offer.termsHash}`);
    expect(kept.status).toBe(200);
    expect(kept.json.vendor).toBe(b.hostile);
    expect(createHash('sha256').update(kept.json.text, 'utf8').digest('base64url')).toBe(signedOffer.termsHash);
    expect(kept.json.text).not.toBe(SWITCHED_TERMS);
    const unknown = await b.api<{ code: string }>('GET', `/api/terms/${'A'.repeat(43)}`);
    expect([unknown.status, unknown.json.code]).toEqual([404, 'ERR_TERMS_NOT_FOUND']);
    expect((await b.api('GET', '/api/terms/not-a-hash')).status).toBe(400);
  });
});

describe('#37 payee redirection (payee-redirect)', () => {
  const bed = useAttackBed('payee-redirect');
  it('refuses an offer that pays an account other than the registered payout identity', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const refusals = hostileRefusals(b, taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_OFFER_INVALID']);
    expect(refusals[0]!.summary).toContain('pays `ocr:payout:new-account-7731`, not the registered payout identity');
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
  });
});
