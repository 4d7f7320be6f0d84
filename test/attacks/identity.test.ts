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
  it('never contacts the Cyrillic look-alike: the policy denies it before any request, with the evidence; the real Green Valley Co-op is untouched', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    // Judged before contact: no request for quotes reached it, so it has no offer to show.
    expect(b.agent().received.filter((m) => m.steward === 'rfq')).toHaveLength(0);
    expect(hostileOffer(b, offers)).toBeUndefined();
    const denied = b.events(taskId, ['decision']).filter((e) => e.vendor === b.hostile);
    expect(denied).toHaveLength(1);
    expect(denied[0]!.decision).toBe('deny');
    expect(denied[0]!.flags).toContain('confusable_name');
    expect(denied[0]!.summary).toMatch(/^not contacting /);
    expect(JSON.stringify(denied[0]!.data)).toMatch(/looks like the vendor Green Valley Co-op/);
    // Regression (#23): the vendor being imitated is neither flagged nor kept out.
    expectBenignUnaffected(b, taskId, offers, ['confusable_name']);
    expect(b.events(taskId, ['decision']).filter((e) => e.vendor !== b.hostile && e.decision === 'deny')).toEqual([]);
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
