/**
 * THREATS.md #19–#24: forged, replayed and borrowed identities. Every vendor message is a JWS
 * verified with the vendor's pinned key only, for its purpose (`typ`), with fixed algorithms,
 * audience and single-use `jti`; a card must be served from the origin it names.
 */
import { describe, expect, it } from 'vitest';
import { expectBenignUnaffected, hostileOffer, hostileRefusals, useAttackBed, type OrderAnswer } from './harness.ts';

/** One refusal of the hostile offer with `code`, logged in the task, and no hostile offer shown. */
function refusedWith(bed: ReturnType<ReturnType<typeof useAttackBed>>, code: string) {
  return async () => {
    const { taskId, offers } = await bed.quote();
    expect(hostileRefusals(bed, taskId).map((r) => r.code)).toEqual([code]);
    expect(hostileOffer(bed, offers)).toBeUndefined();
    expectBenignUnaffected(bed, taskId, offers, []);
  };
}

describe('#19 replay of an old signed offer (replay-offer)', () => {
  const bed = useAttackBed('replay-offer');
  it('accepts the first offer once, then refuses the same signed offer replayed to the next request', async () => {
    const b = bed();
    const first = await b.quote();
    const original = hostileOffer(b, first.offers);
    expect(original).toBeDefined();
    expect(hostileRefusals(b, first.taskId)).toEqual([]);
    const second = await b.quote();
    const refusals = hostileRefusals(b, second.taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_MESSAGE_REPLAYED']);
    expect(hostileOffer(b, second.offers)).toBeUndefined();
    expectBenignUnaffected(b, second.taskId, second.offers, []);
  });
});

describe('#20 cross-purpose signature reuse (wrong-typ)', () => {
  const bed = useAttackBed('wrong-typ');
  it('refuses an offer signed with the receipt `typ` (ERR_JWS_TYP_MISMATCH)', async () => {
    await refusedWith(bed(), 'ERR_JWS_TYP_MISMATCH')();
  });
});

describe('#21 algorithm downgrade (alg-none, alg-hs256)', () => {
  const none = useAttackBed('alg-none');
  it('refuses `alg: none` (ERR_JWS_ALG_NOT_ALLOWED)', async () => {
    await refusedWith(none(), 'ERR_JWS_ALG_NOT_ALLOWED')();
  });
  const hs = useAttackBed('alg-hs256');
  it('refuses HS256 keyed with the public key (ERR_JWS_ALG_NOT_ALLOWED)', async () => {
    await refusedWith(hs(), 'ERR_JWS_ALG_NOT_ALLOWED')();
  });
});

describe('#22 key substitution via URL (jku-injection)', () => {
  const bed = useAttackBed('jku-injection');
  it('refuses a JWS that names its own key URL (ERR_JWS_EMBEDDED_KEY_REFUSED)', async () => {
    await refusedWith(bed(), 'ERR_JWS_EMBEDDED_KEY_REFUSED')();
  });
});

describe('#23 impersonating a trusted vendor (lookalike-name)', () => {
  const bed = useAttackBed('lookalike-name', { withoutPhone: true });
  it('flags the Cyrillic look-alike as critical, never the real Green Valley Co-op, and the policy refuses its order', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const fake = hostileOffer(b, offers)!;
    expect(fake.vendor.displayName).toBe('Gr\u0435\u0435n Valley Co-op');
    const flag = fake.flags.find((f) => f.kind === 'confusable_name');
    expect(flag?.severity).toBe('critical');
    expect(b.events(taskId, ['flag']).filter((e) => e.vendor === b.hostile).flatMap((e) => e.flags ?? [])).toContain('confusable_name');
    // Regression (#23): the vendor being imitated is not flagged (the policy denies confusable names).
    expectBenignUnaffected(b, taskId, offers, ['confusable_name']);
    expect(b.events(taskId, ['flag']).filter((e) => e.vendor !== b.hostile).flatMap((e) => e.flags ?? [])).not.toContain('confusable_name');

    const order = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: fake.offerId })).json;
    expect(order.status).toBe('denied');
    const decision = b.events(taskId, ['decision']).at(-1)!;
    expect(decision.decision).toBe('deny');
    expect(decision.flags).toContain('confusable_name');
    const real = offers.find((o) => o.vendor.displayName === 'Green Valley Co-op')!;
    const ok = (await b.api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId: real.offerId })).json;
    expect(ok.status, JSON.stringify(ok)).toBe('ordered');
  });
});

describe('#24 lookalike endpoint (origin-mismatch)', () => {
  const bed = useAttackBed('origin-mismatch');
  it('never enrols a card whose service URL is on another (punycode) origin, and logs why', async () => {
    const b = bed();
    const refused = b.allEvents(['message.rejected']).filter((e) => e.vendor === b.hostile);
    expect(refused.map((e) => e.data?.code)).toEqual(['ERR_CARD_ORIGIN_MISMATCH']);
    expect(refused[0]!.summary).toContain('xn--grenvalley-k7a.example');
    expect(b.broker.steward.vendors.list().map((v) => v.origin)).not.toContain(b.hostile);
    expect(b.allEvents(['vendor.enrolled']).filter((e) => e.vendor === b.hostile)).toEqual([]);
    const { taskId, offers } = await b.quote();
    expect(hostileOffer(b, offers)).toBeUndefined();
    expect(b.events(taskId, ['message.sent']).filter((e) => e.vendor === b.hostile)).toEqual([]);
    expectBenignUnaffected(b, taskId, offers, []);
  });
});
