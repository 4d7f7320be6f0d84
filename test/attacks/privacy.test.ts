/**
 * THREATS.md #11–#13: a vendor reaching for personal data. The broker shares only what the
 * person's policy allows for the purpose (asking for the rest), scans what leaves, and never
 * fetches vendor links.
 */
import { DEMO_PROFILE_VALUES } from './privacy-profile.ts';
import { describe, expect, it } from 'vitest';
import { expectBenignUnaffected, hostileOffer, useAttackBed } from './harness.ts';

const ALLOWED_FOR_DELIVERY = ['address', 'name'];

describe('#11 personal data beyond need (pii-overreach)', () => {
  const bed = useAttackBed('pii-overreach', { withoutPhone: true });
  it('sends only the delivery fields the policy allows; the vendor refuses and nothing is charged', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expectBenignUnaffected(b, taskId, offers, []);
    const { final } = await b.orderApproving(taskId, offer.offerId);
    expect(final.status, JSON.stringify(final)).toBe('failed');
    const failed = b.events(taskId, ['order.failed']);
    expect(failed.map((e) => e.data?.code)).toEqual(['ERR_ORDER_REFUSED']);
    expect(b.events(taskId, ['ledger.released'])).toHaveLength(1);
    expect(b.events(taskId, ['ledger.committed'])).toEqual([]);
    const orders = b.agent().received.filter((m) => m.steward === 'order');
    expect(orders).toHaveLength(1);
    const disclosed = orders[0]!.payload.disclosed as Record<string, string>;
    expect(Object.keys(disclosed).sort()).toEqual(ALLOWED_FOR_DELIVERY);
    const sent = JSON.stringify(orders[0]!.payload);
    expect(sent).not.toContain(DEMO_PROFILE_VALUES.birth_date);
    expect(sent).not.toContain(DEMO_PROFILE_VALUES.health);
  });
});

describe('#12 exfiltration via an innocuous field (exfil-field)', () => {
  const bed = useAttackBed('exfil-field', { withoutPhone: true });
  it('hides the request; the address and phone travel only in their own disclosed fields', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expect(offer.flags.map((f) => f.kind)).toContain('instruction_like_text');
    expect(offer.untrustedVendorText).toBe('');
    expect(b.events(taskId, ['message.received']).find((e) => e.vendor === b.hostile)!.flags).toContain('instruction_like_text');
    expectBenignUnaffected(b, taskId, offers, ['instruction_like_text']);
    const { final } = await b.orderApproving(taskId, offer.offerId);
    expect(final.status, JSON.stringify(final)).toBe('ordered');
    const order = b.agent().received.find((m) => m.steward === 'order')!.payload;
    const { disclosed, ...rest } = order as { disclosed: Record<string, string> };
    expect(disclosed.address).toBe(DEMO_PROFILE_VALUES.address);
    const elsewhere = JSON.stringify(rest);
    for (const value of [DEMO_PROFILE_VALUES.address, DEMO_PROFILE_VALUES.phone, DEMO_PROFILE_VALUES.email]) expect(elsewhere).not.toContain(value);
  });
});

describe('#13 exfiltration via links and callbacks (exfil-link)', () => {
  const bed = useAttackBed('exfil-link', { withoutPhone: true });
  it('strips links from what the agent sees and never fetches the vendor URLs', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const offer = hostileOffer(b, offers)!;
    expect(offer.untrustedVendorText).toContain('[link removed]');
    expect(offer.untrustedVendorText).not.toMatch(/https?:|pixel\.png|callback/);
    expect(b.events(taskId, ['message.received']).filter((e) => e.vendor === b.hostile)).toHaveLength(1);
    expectBenignUnaffected(b, taskId, offers, []);
    const { final } = await b.orderApproving(taskId, offer.offerId);
    expect(final.status, JSON.stringify(final)).toBe('ordered');
    expect(b.agent().callbackHits).toEqual([]);
  });
});
