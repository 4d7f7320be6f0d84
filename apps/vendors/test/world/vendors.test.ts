import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCard, FixedClock, SignedOffer, type Rfq } from '@steward/protocol';
import { generateSigningKey, importVerificationKey, signRequest, tokenHash, verifyCard, type MessageBody } from '@steward/identity';
import { startVendor, startVendorWorld, VENDOR_PROFILES, type VendorWorld } from '../../src/index.ts';
import { BASKET, createBroker, daysFromNow, orderBody, rfqBody, type TestBroker } from '../helpers.ts';

const NO_REVOCATION = { isKeyRevoked: () => false, isOriginRevoked: () => false };

let broker: TestBroker;
let world: VendorWorld;

function origin(id: string): string {
  const v = world.vendors.find((x) => x.id === id);
  if (!v) throw new Error(`no vendor ${id}`);
  return v.origin;
}

/** A non-Monday date a few days ahead, for bookings. */
function bookingDate(): string {
  for (let d = 3; ; d++) {
    const date = daysFromNow(d);
    if (new Date(`${date}T00:00:00Z`).getUTCDay() !== 1) return date;
  }
}

function rfqFor(category: Rfq['category']): MessageBody<'rfq'> {
  if (category === 'restaurant') return rfqBody('restaurant', [{ description: 'table for 2', quantity: 1 }], { partySize: 2, reservationAt: `${bookingDate()}T19:30:00Z` });
  if (category === 'travel') {
    return rfqBody('travel', [{ description: 'economy return flight', quantity: 2 }, { description: 'checked bag', quantity: 2 }], {
      from: 'SFO',
      to: 'JFK',
      departDate: daysFromNow(20),
      returnDate: daysFromNow(24),
      travellers: 2,
    });
  }
  return rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2) });
}

async function quote(id: string, body?: MessageBody<'rfq'>) {
  const o = origin(id);
  const rfq = body ?? rfqFor(VENDOR_PROFILES[id as keyof typeof VENDOR_PROFILES].category);
  const parts = await broker.send(o, 'rfq', broker.sign('rfq', rfq, o));
  expect(parts).toHaveLength(1);
  const part = parts[0]!;
  expect(part.steward, part.reason).toBe('offer');
  const verified = await broker.verifyFrom(o, 'offer', part.jws!);
  return { token: part.jws!, offer: verified.payload, rfq };
}


beforeAll(async () => {
  broker = createBroker();
  world = await startVendorWorld({ basePort: 0, brokerId: broker.id, brokerJwks: () => broker.jwks });
});

afterAll(async () => {
  await world.close();
  broker.close();
});

describe('every vendor', () => {
  it('starts on 127.0.0.1 with its own port and key', () => {
    expect(world.vendors.map((v) => v.id)).toEqual(['quickbasket', 'green-valley', 'megamart', 'trattoria-sole', 'skytrail', 'bargain-hub']);
    const origins = new Set(world.vendors.map((v) => v.origin));
    expect(origins.size).toBe(6);
    for (const v of world.vendors) expect(v.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const kids = new Set([...world.running.values()].map((r) => r.agent.key.kid));
    expect(kids.size).toBe(6);
  });

  it.each(['quickbasket', 'green-valley', 'megamart', 'trattoria-sole', 'skytrail', 'bargain-hub'])('%s serves a signed card that verifies and is bound to its origin', async (id) => {
    const o = origin(id);
    const card: unknown = await (await fetch(`${o}/.well-known/agent-card.json`)).json();
    expect(AgentCard.safeParse(card).success).toBe(true);
    const jwks = (await (await fetch(`${o}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    const keys = jwks.keys.map((j) => importVerificationKey(j, o));
    const verified = verifyCard(card, { servedFrom: o, resolveKey: (kid) => keys.find((k) => k.kid === kid), revocation: NO_REVOCATION });
    expect(verified.commerce?.origin).toBe(o);
    expect(verified.commerce?.categories).toEqual([VENDOR_PROFILES[id as keyof typeof VENDOR_PROFILES].category]);
    // The card is served by another vendor's origin: the binding refuses it.
    const other = world.vendors.find((v) => v.id !== id)!.origin;
    expect(() => verifyCard(card, { servedFrom: other, resolveKey: (kid) => keys.find((k) => k.kid === kid), revocation: NO_REVOCATION })).toThrow();
  });

  it.each(['quickbasket', 'green-valley', 'megamart', 'trattoria-sole', 'skytrail', 'bargain-hub'])('%s answers a signed rfq with a signed offer whose arithmetic holds', async (id) => {
    const { offer, rfq } = await quote(id);
    expect(SignedOffer.safeParse(offer).success).toBe(true);
    expect(offer.rfqId).toBe(rfq.rfqId);
    expect(offer.aud).toBe(broker.id);
    expect(offer.iss).toBe(origin(id));
    expect(offer.exp - offer.iat).toBeLessThanOrEqual(600);
    expect(offer.expiresAt - offer.iat).toBe(900);
    expect(offer.total.currency).toBe('USD');
    expect(offer.billingPeriod).toBe('one_off');
    expect(offer.payee.payoutId).toBe(VENDOR_PROFILES[id as keyof typeof VENDOR_PROFILES].payout.payoutId);
    const terms = await (await fetch(`${origin(id)}/terms`)).text();
    const { createHash } = await import('node:crypto');
    expect(offer.termsHash).toBe(createHash('sha256').update(terms).digest('base64url'));
  });

  it('prices deterministically: the same rfq gets the same total', async () => {
    const body = rfqFor('travel');
    const a = await quote('skytrail', body);
    const b = await quote('skytrail', { ...body, rfqId: `${body.rfqId}-again` });
    expect(b.offer.total).toEqual(a.offer.total);
  });
});

describe('the demo story', () => {
  it('the co-op is cheapest all-in among honest grocers, QuickBasket a bit above it, MegaMart discloses paid placement', async () => {
    const body = rfqFor('groceries');
    const totals: Record<string, number> = {};
    for (const id of ['quickbasket', 'green-valley', 'megamart']) totals[id] = (await quote(id, { ...body, rfqId: `${body.rfqId}-${id}` })).offer.total.amountMinor;
    expect(totals['green-valley']).toBeLessThan(totals.quickbasket!);
    expect(totals.quickbasket! - totals['green-valley']!).toBeLessThan(1000);
    const mm = await quote('megamart', { ...body, rfqId: `${body.rfqId}-mm2` });
    expect(mm.offer.sponsored).toBe(true); // the basket has the featured coffee
    const card = world.running.get('megamart')!.card;
    expect(JSON.stringify(card.capabilities.extensions)).toContain('paid_partner');
  });

  it('QuickBasket discloses no owner on its card', () => {
    const params = world.running.get('quickbasket')!.card.capabilities.extensions?.[0]?.params as { owners: unknown[] };
    expect(params.owners).toEqual([]);
  });

  it('the restaurant quotes a booking with a per-guest deposit and the reserved slot', async () => {
    const { offer, rfq } = await quote('trattoria-sole');
    expect(offer.items.map((i) => i.sku)).toEqual(['TS-TABLE']);
    expect(offer.fees).toEqual([{ kind: 'deposit', label: 'Deposit, deducted from the bill', amount: { amountMinor: 3000, currency: 'USD' } }]);
    expect(offer.delivery?.start).toBe(new Date(rfq.constraints.reservationAt!).toISOString());
  });

  it('the restaurant refuses a Monday booking and a booking without a time', async () => {
    const o = origin('trattoria-sole');
    let monday = 3;
    while (new Date(`${daysFromNow(monday)}T00:00:00Z`).getUTCDay() !== 1) monday++;
    for (const constraints of [{ partySize: 2, reservationAt: `${daysFromNow(monday)}T19:30:00Z` }, { partySize: 2 }]) {
      const [part] = await broker.send(o, 'rfq', broker.sign('rfq', rfqBody('restaurant', [{ description: 'table', quantity: 1 }], constraints), o));
      expect(part?.steward).toBe('refusal');
      expect(part?.reason).toMatch(/^cannot_quote: /);
    }
  });

  it('the travel seller quotes fares per traveller with taxes and a booking fee', async () => {
    const { offer } = await quote('skytrail');
    expect(offer.items[0]?.sku).toBe('ST-ECON-SFOJFK');
    expect(offer.items[0]?.quantity).toBe(2);
    expect(offer.items[1]?.sku).toBe('ST-BAG');
    expect(offer.fees.map((f) => f.kind)).toEqual(['tax', 'booking']);
  });
});

describe('negotiation', () => {
  const oneEach: Rfq['items'] = [
    { description: 'whole milk', quantity: 1 },
    { description: 'sourdough bread', quantity: 1 },
    { description: 'ground coffee', quantity: 1 },
    { description: 'salmon', quantity: 1 },
  ];

  async function counter(id: string, offer: SignedOffer, round: number, askTotal?: number) {
    const o = origin(id);
    const body: MessageBody<'counterOffer'> = {
      type: 'counter_offer',
      counterId: `c-${round}-${offer.offerId}`,
      rfqId: offer.rfqId,
      offerId: offer.offerId,
      round,
      ...(askTotal === undefined ? {} : { askTotal: { amountMinor: askTotal, currency: 'USD' } }),
    };
    const [part] = await broker.send(o, 'counter_offer', broker.sign('counterOffer', body, o));
    return part!;
  }

  function floorTotal(id: string, offer: SignedOffer): number {
    const issued = world.running.get(id)!.agent.offer(offer.offerId)!;
    return issued.lines.reduce((s, l) => s + l.item.floorMinor * l.quantity, 0) + issued.fees.reduce((s, f) => s + f.amount.amountMinor, 0);
  }

  it('accepts a counter-offer at or above the floor, exactly when lines allow it', async () => {
    const { offer } = await quote('green-valley', rfqBody('groceries', oneEach, { deliveryDay: daysFromNow(2) }));
    const floor = floorTotal('green-valley', offer);
    const ask = Math.ceil((floor + offer.total.amountMinor) / 2);
    const part = await counter('green-valley', offer, 1, ask);
    expect(part.steward).toBe('offer');
    const next = (await broker.verifyFrom(origin('green-valley'), 'offer', part.jws!)).payload;
    expect(next.total.amountMinor).toBe(ask);
    expect(next.round).toBe(1);
    expect(next.previousOfferId).toBe(offer.offerId);
    expect(next.note).toBe('Counter-offer accepted.');
  });

  it('answers an ask below the floor with the best price at the floor', async () => {
    const { offer } = await quote('green-valley', rfqBody('groceries', oneEach, { deliveryDay: daysFromNow(2) }));
    const floor = floorTotal('green-valley', offer);
    const part = await counter('green-valley', offer, 1, floor - 300);
    const next = (await broker.verifyFrom(origin('green-valley'), 'offer', part.jws!)).payload;
    expect(next.total.amountMinor).toBe(floor);
    for (const [i, item] of next.items.entries()) {
      const line = world.running.get('green-valley')!.agent.offer(offer.offerId)!.lines[i]!;
      expect(item.unitPrice.amountMinor).toBe(line.item.floorMinor);
    }
  });

  it('never goes below the floor and never above the ask, whatever the basket (multi-unit lines)', async () => {
    const { offer } = await quote('quickbasket');
    const floor = floorTotal('quickbasket', offer);
    const ask = floor + 7; // multi-unit lines may not hit it exactly
    const next = (await broker.verifyFrom(origin('quickbasket'), 'offer', (await counter('quickbasket', offer, 1, ask)).jws!)).payload;
    expect(next.total.amountMinor).toBeGreaterThanOrEqual(floor);
    expect(next.total.amountMinor).toBeLessThanOrEqual(ask);
  });

  it('refuses past the round limit and out-of-order rounds', async () => {
    const { offer } = await quote('green-valley', rfqBody('groceries', oneEach, { deliveryDay: daysFromNow(2) }));
    expect((await counter('green-valley', offer, 2, 100)).reason).toMatch(/^round_out_of_order: /);
    let current = offer;
    for (const round of [1, 2]) {
      const part = await counter('green-valley', current, round, current.total.amountMinor - 50);
      expect(part.steward).toBe('offer');
      current = (await broker.verifyFrom(origin('green-valley'), 'offer', part.jws!)).payload;
    }
    const third = await counter('green-valley', current, 3, current.total.amountMinor - 50);
    expect(third.steward).toBe('refusal');
    expect(third.reason).toMatch(/^round_limit: /);
  });

  it('drops removed items and recomputes the fees', async () => {
    const { offer } = await quote('green-valley', rfqBody('groceries', oneEach, { deliveryDay: daysFromNow(2) }));
    const o = origin('green-valley');
    const body: MessageBody<'counterOffer'> = { type: 'counter_offer', counterId: 'c-rm', rfqId: offer.rfqId, offerId: offer.offerId, round: 1, removeSkus: ['GV-SALMON-FIL'] };
    const [part] = await broker.send(o, 'counter_offer', broker.sign('counterOffer', body, o));
    const next = (await broker.verifyFrom(o, 'offer', part!.jws!)).payload;
    expect(next.items.map((i) => i.sku)).not.toContain('GV-SALMON-FIL');
    expect(next.items).toHaveLength(3);
  });

  it('refuses a counter-offer for an offer it never made', async () => {
    const { offer } = await quote('green-valley');
    const part = await counter('green-valley', { ...offer, offerId: 'not-ours-123' }, 1, 100);
    expect(part.reason).toMatch(/^unknown_offer: /);
  });
});

describe('orders', () => {
  it('accepts a broker-signed order bound to the offer hash and returns a signed receipt', async () => {
    const { offer, token } = await quote('green-valley');
    const o = origin('green-valley');
    const orderToken = broker.sign('order', orderBody(offer, token), o);
    const [part] = await broker.send(o, 'order', orderToken);
    expect(part?.steward, part?.reason).toBe('receipt');
    const receipt = (await broker.verifyFrom(o, 'receipt', part!.jws!)).payload;
    expect(receipt.status).toBe('accepted');
    expect(receipt.orderHash).toBe(tokenHash(orderToken));
    expect(receipt.total).toEqual(offer.total);
    expect(receipt.expectedAt).toBe(offer.delivery?.start);
  });

  it('refuses an order signed by a key it does not know', async () => {
    const { offer, token } = await quote('quickbasket');
    const o = origin('quickbasket');
    const [part] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, token), o, { key: generateSigningKey() }));
    expect(part?.steward).toBe('refusal');
    expect(part?.reason).toMatch(/^signature_invalid: ERR_JWS_KID_UNKNOWN/);
  });

  it('refuses an order with a tampered signature', async () => {
    const { offer, token } = await quote('quickbasket');
    const o = origin('quickbasket');
    const signed = broker.sign('order', orderBody(offer, token), o);
    const tampered = `${signed.slice(0, -4)}${signed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const [part] = await broker.send(o, 'order', tampered);
    expect(part?.reason).toMatch(/^signature_invalid: ERR_JWS_SIGNATURE_INVALID/);
  });

  it('refuses an order whose offer hash is wrong', async () => {
    const { offer, token } = await quote('megamart');
    const o = origin('megamart');
    const [part] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, token, { offerHash: tokenHash(`${token}x`) }), o));
    expect(part?.reason).toMatch(/^offer_hash_mismatch: /);
  });

  it('refuses an order that differs from the offer, naming the fields', async () => {
    const { offer, token } = await quote('megamart');
    const o = origin('megamart');
    const cheaper = { ...offer.total, amountMinor: offer.total.amountMinor - 100 };
    const [part] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, token, { total: cheaper }), o));
    expect(part?.reason).toBe('order_mismatch: the order differs from the offer in total');
  });

  it('refuses a second order for the same offer and a replayed order token', async () => {
    const { offer, token } = await quote('skytrail');
    const o = origin('skytrail');
    const first = broker.sign('order', orderBody(offer, token), o);
    expect((await broker.send(o, 'order', first))[0]?.steward).toBe('receipt');
    expect((await broker.send(o, 'order', first))[0]?.reason).toMatch(/^signature_invalid: ERR_MESSAGE_REPLAYED/);
    expect((await broker.send(o, 'order', broker.sign('order', orderBody(offer, token), o)))[0]?.reason).toMatch(/^offer_already_ordered: /);
  });

  it('refuses an order for an offer past its expiresAt (vendor and broker on a fixed clock)', async () => {
    const clock = new FixedClock(Date.now());
    const vendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], brokerId: broker.id, brokerJwks: broker.jwks, clock });
    try {
      const o = vendor.origin;
      const [part] = await broker.send(o, 'rfq', broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2, clock.now()) }, clock.now()), o, { clock }));
      const offer = vendor.agent.offer(JSON.parse(Buffer.from(part!.jws!.split('.')[1]!, 'base64url').toString()).offerId as string)!.payload;
      clock.advance(16 * 60_000);
      const [late] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, part!.jws!), o, { clock }));
      expect(late?.reason).toMatch(/^offer_expired: /);
    } finally {
      await vendor.close();
    }
  });

  it('forgets expired offers as it issues new ones, so its memory stays bounded', async () => {
    const clock = new FixedClock(Date.now());
    const vendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], brokerId: broker.id, brokerJwks: broker.jwks, clock });
    try {
      const o = vendor.origin;
      const ask = async () => {
        const [part] = await broker.send(o, 'rfq', broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2, clock.now()) }, clock.now()), o, { clock }));
        return JSON.parse(Buffer.from(part!.jws!.split('.')[1]!, 'base64url').toString()).offerId as string;
      };
      const first = await ask();
      const second = await ask();
      expect(vendor.agent.offer(first)).toBeDefined();
      clock.advance(16 * 60_000); // both expired (15 min validity)
      const third = await ask();
      expect(vendor.agent.offer(first)).toBeUndefined();
      expect(vendor.agent.offer(second)).toBeUndefined();
      expect(vendor.agent.offer(third)).toBeDefined();
    } finally {
      await vendor.close();
    }
  });

  it('refuses an order without the personal data the vendor needs', async () => {
    const { offer, token } = await quote('quickbasket');
    const o = origin('quickbasket');
    const [part] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, token, { disclosed: { name: 'Emma' } }), o));
    expect(part?.reason).toBe('missing_data: to fulfil this order QuickBasket needs address');
  });

  it('checks a payment token: for this order, this payee, covering the total', async () => {
    const o = origin('green-valley');
    for (const [payoutId, extra, ok] of [
      [VENDOR_PROFILES['green-valley'].payout.payoutId, 0, true],
      ['ocr:payout:someone-else', 0, false],
      [VENDOR_PROFILES['green-valley'].payout.payoutId, -1, false],
    ] as const) {
      const { offer, token } = await quote('green-valley');
      const orderId = `ord-pt-${Math.random().toString(36).slice(2, 8)}`;
      const pt = broker.sign(
        'paymentToken',
        { type: 'payment_token', tokenId: `pt-${orderId}`, orderId, payee: { payoutId }, maxAmount: { amountMinor: offer.total.amountMinor + extra, currency: 'USD' }, expiresAt: Math.floor(Date.now() / 1000) + 300 },
        o,
      );
      const [part] = await broker.send(o, 'order', broker.sign('order', orderBody(offer, token, { orderId, paymentToken: pt }), o));
      if (ok) expect(part?.steward).toBe('receipt');
      else expect(part?.reason).toMatch(/^payment_token_invalid: /);
    }
  });
});

describe('requests', () => {
  it('refuses an rfq addressed to another vendor', async () => {
    const [part] = await broker.send(origin('green-valley'), 'rfq', broker.sign('rfq', rfqFor('groceries'), origin('quickbasket')));
    expect(part?.reason).toMatch(/^signature_invalid: ERR_MESSAGE_AUDIENCE_MISMATCH/);
  });

  it('refuses a category it does not serve', async () => {
    const o = origin('skytrail');
    const [part] = await broker.send(o, 'rfq', broker.sign('rfq', rfqFor('groceries'), o));
    expect(part?.reason).toMatch(/^category_not_served: /);
  });

  it('refuses a message without exactly one Steward DataPart', async () => {
    const res = await broker.sendRaw(origin('megamart'), {
      jsonrpc: '2.0',
      id: 1,
      method: 'message/send',
      params: { message: { kind: 'message', messageId: 'm1', role: 'user', parts: [{ kind: 'text', text: 'hello, give me a discount' }] } },
    });
    const body = (await res.json()) as { result: { parts: { data: { steward: string; reason: string } }[] } };
    expect(body.result.parts[0]?.data.reason).toMatch(/^bad_request: /);
  });

  it('refuses an oversized body before parsing, and deep nesting', async () => {
    const big = await broker.sendRaw(origin('megamart'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { pad: 'x'.repeat(300 * 1024) } }));
    expect(big.status).toBe(413);
    const deep = await broker.sendRaw(origin('megamart'), `{"jsonrpc":"2.0","id":1,"method":"message/send","params":${'['.repeat(1000)}${']'.repeat(1000)}}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { code: string }).code).toBe('ERR_JSON_TOO_DEEP');
    const proto = await broker.sendRaw(origin('megamart'), '{"jsonrpc":"2.0","id":1,"__proto__":{"x":1},"method":"message/send"}');
    expect(proto.status).toBe(400);
  });
});

describe('failing closed', () => {
  it('refuses everything when the broker keys cannot be read, answering with a refusal message', async () => {
    const vendor = await startVendor({
      profile: VENDOR_PROFILES.megamart,
      brokerId: broker.id,
      brokerJwks: () => {
        throw new Error('jwks endpoint down');
      },
    });
    try {
      const [part] = await broker.send(vendor.origin, 'rfq', broker.sign('rfq', rfqFor('groceries'), vendor.origin));
      expect(part).toEqual({ steward: 'refusal', reason: 'bad_request: the vendor could not process this request' });
      expect(String(vendor.agent.lastError)).toContain('jwks endpoint down');
    } finally {
      await vendor.close();
    }
  });

  it('refuses a broker message signed by a key not in the broker JWKS it was given', async () => {
    const vendor = await startVendor({ profile: VENDOR_PROFILES.megamart, brokerId: broker.id, brokerJwks: { keys: [] } });
    try {
      const [part] = await broker.send(vendor.origin, 'rfq', broker.sign('rfq', rfqFor('groceries'), vendor.origin));
      expect(part?.reason).toMatch(/^signature_invalid: ERR_JWS_KID_UNKNOWN/);
    } finally {
      await vendor.close();
    }
  });
});

describe('RFC 9421 request signatures', () => {
  it('with requireHttpSignatures, refuses unsigned requests and accepts the broker-signed ones', async () => {
    const vendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], brokerId: broker.id, brokerJwks: broker.jwks, requireHttpSignatures: true });
    try {
      const rfq = broker.sign('rfq', rfqFor('groceries'), vendor.origin);
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'message/send',
        params: { message: { kind: 'message', messageId: 'm-sig', role: 'user', parts: [{ kind: 'data', data: { steward: 'rfq', jws: rfq } }] } },
      });
      const unsigned = await broker.sendRaw(vendor.origin, body);
      expect(unsigned.status).toBe(401);
      expect(((await unsigned.json()) as { code: string }).code).toBe('ERR_HTTPSIG_MISSING');
      const url = `${vendor.origin}/a2a`;
      const headers = { 'content-type': 'application/json' };
      const sig = signRequest({ method: 'POST', url, headers, body }, broker.key);
      const signed = await fetch(url, { method: 'POST', headers: { ...headers, ...sig }, body });
      expect(signed.status).toBe(200);
      const reply = (await signed.json()) as { result: { parts: { data: { steward: string } }[] } };
      expect(reply.result.parts[0]?.data.steward).toBe('offer');
      // The same signed request again is a replay.
      const again = await fetch(url, { method: 'POST', headers: { ...headers, ...sig }, body });
      expect(again.status).toBe(409);
    } finally {
      await vendor.close();
    }
  });
});
