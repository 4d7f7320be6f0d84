/**
 * THREATS.md #25–#28: who is really behind an offer. Ownership comes from signed registry
 * credentials and the broker's graph, sponsorship from the signed label (and text that contradicts
 * it), clusters from shared keys, payout accounts and owners; offers are collected for a fixed
 * window and shown in random order.
 */
import { describe, expect, it } from 'vitest';
import { BENIGN_GROCERS, expectBenignUnaffected, hostileOffer, hostileRefusals, useAttackBed, type OfferView, type OrderAnswer } from './harness.ts';

describe('#25 undisclosed affiliation (undisclosed-affiliation)', () => {
  const bed = useAttackBed('undisclosed-affiliation', { withoutPhone: true });
  it('flags the "independent" service the registry says MegaMart owns, marks the two as one party, and the policy refuses its order', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    // One owner (THREATS #27): MegaMart and its undisclosed affiliate are marked as one party; both stay listed.
    const party = offers.filter((o) => ['Bargain Hub Compare', 'MegaMart'].includes(o.vendor.displayName));
    expect(party).toHaveLength(2);
    for (const o of party) expect(o.sameParty?.vendors).toEqual([o.vendor.displayName === 'MegaMart' ? 'Bargain Hub Compare' : 'MegaMart']);
    const flagsOf = (origin: string) => b.events(taskId, ['flag']).filter((e) => e.vendor === origin).flatMap((e) => e.flags ?? []);
    expect(flagsOf(b.hostile)).toContain('undisclosed_affiliation');
    const summary = b.events(taskId, ['flag']).find((e) => e.vendor === b.hostile && e.flags?.includes('undisclosed_affiliation'))!.summary;
    expect(summary).toMatch(/MegaMart/);
    // Green Valley and MegaMart disclose everything; QuickBasket is the demo's own undisclosed affiliate.
    const megamart = b.broker.steward.vendors.list().find((v) => v.displayName === 'MegaMart')!.origin;
    expect(flagsOf(megamart)).not.toContain('undisclosed_affiliation');
    expect(offers.find((x) => x.vendor.displayName === 'Green Valley Co-op')!.flags.map((f) => f.kind)).not.toContain('undisclosed_affiliation');
    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: hostileOffer(b, offers)!.offerId })).json;
    expect(order.status).toBe('denied');
    const decision = b.events(taskId, ['decision']).at(-1)!;
    expect(decision.decision).toBe('deny');
    expect(decision.flags).toContain('undisclosed_affiliation');
  });
});

describe('#26 sponsored content posing as neutral (unflagged-sponsored)', () => {
  const bed = useAttackBed('unflagged-sponsored');
  it('flags "Promoted" text under a signed `sponsored: false`, and ranks the offer after equals (regression #26)', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expect(offer.sponsored).toBe(false);
    const flag = offer.flags.find((f) => f.kind === 'paid_placement');
    expect(flag?.severity).toBe('warning');
    expect(flag?.summary).toMatch(/not sponsored, but its text reads like a paid placement/);
    expect(b.events(taskId, ['message.received']).find((e) => e.vendor === b.hostile)!.flags).toContain('paid_placement');
    // No false alarm: only MegaMart's registry fact (it sells placements, info) may carry the kind.
    for (const name of BENIGN_GROCERS) {
      const o = offers.find((x) => x.vendor.displayName === name)!;
      expect(o.flags.filter((f) => f.kind === 'paid_placement' && f.severity !== 'info')).toEqual([]);
    }
    expectBenignUnaffected(b, taskId, offers, ['instruction_like_text']);
    // Bargain Hub is the cheapest, but an undisclosed placement is never the broker's best.
    const cheapest = [...offers].sort((x, y) => x.total.amountMinor - y.total.amountMinor)[0]!;
    expect(cheapest.vendor.origin).toBe(b.hostile);
    const rec = await b.api<{ best?: OfferView }>('POST', `/api/tasks/${taskId}/recommend`, { offerId: offer.offerId });
    expect(rec.json.best!.vendor.origin).not.toBe(b.hostile);
    // The block list is the person's: once they revoke the vendor it is never asked again, and logged.
    const revoked = await b.api<{ status: string }>('POST', '/api/vendors/revoke', { origin: b.hostile, reason: 'paid placements posing as neutral' });
    expect(revoked.json.status).toBe('revoked');
    expect(b.allEvents(['vendor.revoked']).filter((e) => e.vendor === b.hostile)).toHaveLength(1);
    const before = b.agent().received.filter((m) => m.steward === 'rfq').length;
    const next = await b.quote();
    expect(hostileOffer(b, next.offers)).toBeUndefined();
    expect(b.agent().received.filter((m) => m.steward === 'rfq')).toHaveLength(before);
    expectBenignUnaffected(b, next.taskId, next.offers, []);
  });
});

describe('#27 sybil vendors (sybil)', () => {
  const bed = useAttackBed('sybil', { withoutPhone: true });
  it('marks the one-owner cluster as one party on every offer (none hidden), flags each, and ordering any of them asks first', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const names = ['Bargain Hub', 'Budget Barn', 'Deal Depot'];
    const cluster = offers.filter((o) => names.includes(o.vendor.displayName));
    expect(cluster).toHaveLength(3);
    for (const o of cluster) {
      expect(o.flags.find((f) => f.kind === 'sybil_competition')?.summary, o.vendor.displayName).toMatch(/3 vendors presented as rivals are one party/);
      // One competitor, not three rivals: each names the other two and their offers.
      expect(new Set([o.vendor.displayName, ...(o.sameParty?.vendors ?? [])])).toEqual(new Set(names));
      expect(new Set([o.offerId, ...(o.sameParty?.offerIds ?? [])])).toEqual(new Set(cluster.map((c) => c.offerId)));
    }
    const flagged = new Set(b.events(taskId, ['flag']).filter((e) => e.flags?.includes('sybil_competition')).map((e) => e.vendor));
    expect(flagged).toEqual(new Set(cluster.map((o) => o.vendor.origin)));
    expectBenignUnaffected(b, taskId, offers, ['sybil_competition']);
    for (const o of offers.filter((x) => !names.includes(x.vendor.displayName))) expect(o.sameParty).toBeUndefined();
    for (const o of cluster) {
      const answer = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: o.offerId })).json;
      expect(answer.status, o.vendor.displayName).toBe('needs_approval');
    }
    const asked = b.events(taskId, ['approval.requested']);
    expect(asked).toHaveLength(3);
    for (const e of asked) expect(e.flags).toContain('sybil_competition');
  });
});

describe('#28 speed gaming (first-proposal bias)', () => {
  const bed = useAttackBed('self-promotion');
  it('announces a fixed collection window in the request and shows offers in random order, not arrival order', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    const rfq = b.agent().received.find((m) => m.steward === 'rfq')!.payload as { respondBy: number; iat: number };
    expect(rfq.respondBy).toBeGreaterThan(rfq.iat);
    const orders = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const view = await b.api<{ offers: OfferView[] }>('GET', `/api/tasks/${taskId}`);
      orders.add(view.json.offers.map((o) => o.vendor.displayName).join(','));
    }
    // 4 offers in 12 reads: a fixed (arrival) order would give one ordering; random gives several.
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('#28 speed gaming: an answer after the collection window (slow-answer)', () => {
  const bed = useAttackBed('slow-answer');
  it('closes the window on time, shows the offers that arrived in it and refuses the late one with ERR_OFFER_LATE', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    // The quote is answered when the window closes, before the slow vendor answers (3 s after the
    // deadline it was given, which is never after the window closes).
    const rfq = b.agent().received.find((m) => m.steward === 'rfq')!.payload as { respondBy: number };
    expect(Date.now()).toBeLessThan(rfq.respondBy * 1000 + 3000);
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
    expect(hostileRefusals(b, taskId).map((r) => r.code)).toEqual(['ERR_OFFER_LATE']);
    const task = await b.api<{ offers: OfferView[] }>('GET', `/api/tasks/${taskId}`);
    expect(hostileOffer(b, task.json.offers)).toBeUndefined();
  });
});

