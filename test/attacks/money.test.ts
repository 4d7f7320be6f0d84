/**
 * THREATS.md #14–#18: money tricks. Offers are signed and arithmetic-checked, the order is bound to
 * the offer hash, the receipt must match the order to the cent, recurring charges are explicit and
 * need consent, and caps count every order.
 */
import { describe, expect, it } from 'vitest';
import { expectBenignUnaffected, hostileOffer, hostileRefusals, useAttackBed, type OfferView, type OrderAnswer } from './harness.ts';

describe('#14 bait-and-switch (bait-switch)', () => {
  const bed = useAttackBed('bait-switch', { withoutPhone: true });
  it('refuses a counter answer that switches to refurbished goods, and a receipt that charges more', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    const offer = hostileOffer(b, offers)!;
    const counter = await b.api<{ refused?: string }>('POST', `/api/tasks/${taskId}/counter`, { offerId: offer.offerId, askTotal: { amountMinor: offer.total.amountMinor - 100, currency: 'USD' } });
    expect(counter.json.refused).toMatch(/refused: ERR_OFFER_INVALID/);
    const refusals = hostileRefusals(b, taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_OFFER_INVALID']);
    expect(refusals[0]!.summary).toMatch(/changed the goods/);

    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status, JSON.stringify(order)).toBe('failed');
    expect(b.events(taskId, ['order.failed']).map((e) => e.data?.code)).toEqual(['ERR_RECEIPT_MISMATCH']);
    expect(b.events(taskId, ['ledger.released'])).toHaveLength(1);
    expect(b.events(taskId, ['ledger.committed'])).toEqual([]);
    const signed = b.events(taskId, ['order.signed'])[0]!;
    expect(signed.data?.offerHash).toBe(offer.offerHash);
  });
});

describe('#15 drip pricing and hidden fees (drip-fees, bad-arithmetic)', () => {
  const drip = useAttackBed('drip-fees', { withoutPhone: true });
  it('commits nothing when the receipt adds fees the signed offer did not carry', async () => {
    const b = drip();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    const offer = hostileOffer(b, offers)!;
    expect(offer.fees.amountMinor).toBe(0);
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status).toBe('failed');
    const ordered = `$${(offer.total.amountMinor / 100).toFixed(2)}`;
    const charged = `$${((offer.total.amountMinor + 1298) / 100).toFixed(2)}`;
    expect(order.reasons.join(' ')).toContain(`receipt states ${charged}, not the ordered ${ordered}`);
    expect(b.events(taskId, ['order.failed']).map((e) => e.data?.code)).toEqual(['ERR_RECEIPT_MISMATCH']);
    expect(b.events(taskId, ['ledger.committed'])).toEqual([]);
  });

  const arithmetic = useAttackBed('bad-arithmetic');
  it('refuses a signed offer whose total is not the sum of its lines and fees', async () => {
    const b = arithmetic();
    const { taskId, offers } = await b.quote();
    expect(hostileRefusals(b, taskId).map((r) => r.code)).toEqual(['ERR_MESSAGE_PAYLOAD_INVALID']);
    expect(hostileRefusals(b, taskId)[0]!.summary).toMatch(/not the sum of items and fees/);
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
  });
});

describe('#16 currency confusion (currency-confusion)', () => {
  const bed = useAttackBed('currency-confusion', { withoutPhone: true });
  it('shows the JPY offer as JPY with a constraint gap, and never orders it as dollars', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expect(offer.total.currency).toBe('JPY');
    expect(offer.constraintGaps).toContain('priced in JPY, not USD');
    expectBenignUnaffected(b, taskId, offers, []);
    for (const o of offers.filter((x) => x.vendor.origin !== b.hostile)) expect(o.total.currency).toBe('USD');
    const rec = await b.api<{ best?: OfferView }>('POST', `/api/tasks/${taskId}/recommend`, { offerId: offer.offerId });
    expect(rec.json.best!.total.currency).toBe('USD');
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status, JSON.stringify(order)).toBe('denied');
    expect(order.reasons.join(' ')).toMatch(/prices in JPY, not the currency of the budget/);
    expect(b.events(taskId, ['order.signed'])).toEqual([]);
    const decision = b.events(taskId, ['decision']).at(-1)!;
    expect(decision.decision).toBe('deny');
    expect(decision.data?.rules).toEqual(['task.budget']);
  });
});

describe('#17 hidden subscription (hidden-subscription)', () => {
  const bed = useAttackBed('hidden-subscription', { withoutPhone: true });
  it('shows the signed monthly billing, and the order needs the person\'s consent to a recurring charge', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expect(offer.billingPeriod).toBe('monthly');
    expect(offer.constraintGaps).toContain('recurring (monthly)');
    expectBenignUnaffected(b, taskId, offers, []);
    for (const o of offers.filter((x) => x.vendor.origin !== b.hostile)) expect(o.billingPeriod).toBe('one_off');
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    expect(order.status).toBe('needs_approval');
    expect(order.reasons.join(' ')).toMatch(/recurring charges need your consent.*monthly/);
    // The membership line the note called a one-time purchase is on the approval the person reads.
    expect(order.approval!.summary.items.map((i) => (i as { name: string }).name)).toContain('Bargain Plus membership (per month)');
    const decision = b.events(taskId, ['decision']).at(-1)!;
    expect(decision.decision).toBe('ask');
    expect(decision.data?.rules).toContain('ask-recurring');
    expect(b.events(taskId, ['approval.requested'])).toHaveLength(1);
    expect(b.events(taskId, ['order.signed'])).toEqual([]);
  });
});

describe('#18 splitting to dodge the cap (split-orders)', () => {
  const bed = useAttackBed('split-orders', { withoutPhone: true });
  it('refuses a reply that carries several offers, and the daily order limit counts every order', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expect(hostileOffer(b, offers)).toBeUndefined();
    const refusals = hostileRefusals(b, taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_OFFER_INVALID']);
    expect(refusals[0]!.summary).toMatch(/answer broke the wire format: \d+ parts; exactly one Steward data part is accepted/);
    expectBenignUnaffected(b, taskId, offers, []);

    // The default policy allows 5 orders a day: small orders from the unflagged vendors, task after task.
    const outcomes: string[] = [];
    let lastTask = taskId;
    let pool = offers;
    while (outcomes.length < 6) {
      const orderable = pool.filter((o) => ['Green Valley Co-op', 'MegaMart'].includes(o.vendor.displayName));
      for (const o of orderable) {
        if (outcomes.length >= 6) break;
        const answer = (await b.api<OrderAnswer>('POST', `/api/tasks/${lastTask}/order`, { offerId: o.offerId })).json;
        outcomes.push(answer.status);
      }
      if (outcomes.length < 6) ({ taskId: lastTask, offers: pool } = await b.quote());
    }
    expect(outcomes).toEqual(['ordered', 'ordered', 'ordered', 'ordered', 'ordered', 'denied']);
    const denial = b.events(lastTask, ['decision']).at(-1)!;
    expect(denial.decision).toBe('deny');
    expect(denial.data?.rules).toEqual(['limit.max-orders-per-day']);
  });
});
