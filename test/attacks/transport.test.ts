/**
 * THREATS.md #29–#33: hostile bytes and volume. Vendor answers are size-capped at the transport,
 * parsed with depth limits and prototype-poisoning protection, validated by strict schemas, and
 * negotiation is bounded in rounds and messages.
 */
import { parseJson } from '@steward/protocol';
import { describe, expect, it } from 'vitest';
import { expectBenignUnaffected, hostileOffer, hostileRefusals, useAttackBed, type OfferView } from './harness.ts';

describe('#29 oversized payload (oversized)', () => {
  const bed = useAttackBed('oversized');
  it('refuses a 2 MB, 10,000-line answer at the transport before parsing (ERR_BODY_TOO_LARGE)', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expect(hostileRefusals(b, taskId).map((r) => r.code)).toEqual(['ERR_BODY_TOO_LARGE']);
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
  });
});

describe('#30 deep nesting (deep-nesting)', () => {
  const bed = useAttackBed('deep-nesting');
  it('refuses the 100,000-level answer, and the depth limit refuses the payload before building it', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    // The whole answer is over the transport's byte cap first.
    expect(hostileRefusals(b, taskId).map((r) => r.code)).toEqual(['ERR_BODY_TOO_LARGE']);
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
    // The signed payload alone (about 200 KB, under the byte cap) meets the pre-parse depth limit.
    const payload = b.agent().rawOfferPayload({ type: 'offer', items: [{ sku: 'X' }], total: { amountMinor: 1, currency: 'USD' } });
    expect(payload.length).toBeLessThan(256 * 1024);
    expect(() => parseJson(payload)).toThrowError(expect.objectContaining({ code: 'ERR_JSON_TOO_DEEP' }) as Error);
  });
});

describe('#31 prototype-pollution keys (proto-pollution)', () => {
  const bed = useAttackBed('proto-pollution');
  it('takes nothing from a reply with `__proto__`, and no object in the broker gains `approved`', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expect(hostileOffer(b, offers)).toBeUndefined();
    const refusals = hostileRefusals(b, taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_OFFER_INVALID']);
    expect(refusals[0]!.summary).toMatch(/no well-formed Steward data part/);
    expectBenignUnaffected(b, taskId, offers, []);
    expect(({} as Record<string, unknown>).approved).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('approved');
    const payload = b.agent().rawOfferPayload({ type: 'offer', items: [], total: { amountMinor: 1, currency: 'USD' } });
    // The signed payload alone is refused by the poisoning-proof parser every verifier uses.
    expect(() => parseJson(payload)).toThrowError(/forbidden `__proto__`/);
    expect(() => parseJson(payload)).toThrowError(expect.objectContaining({ code: 'ERR_SCHEMA_INVALID' }) as Error);
  });
});

describe('#32 smuggled extra fields (smuggled-field)', () => {
  const bed = useAttackBed('smuggled-field');
  it('refuses a signed offer with `note_to_assistant` (strict schema, ERR_MESSAGE_PAYLOAD_INVALID)', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    const refusals = hostileRefusals(b, taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_MESSAGE_PAYLOAD_INVALID']);
    expect(refusals[0]!.summary).toContain('note_to_assistant');
    expect(hostileOffer(b, offers)).toBeUndefined();
    expectBenignUnaffected(b, taskId, offers, []);
  });
});

describe('#33 negotiation flooding (flood-counters)', () => {
  const bed = useAttackBed('flood-counters');
  it('stops countering after the round limit, whatever the vendor invites', async () => {
    const b = bed();
    const { taskId, offers } = await b.quote();
    expectBenignUnaffected(b, taskId, offers, []);
    let current = hostileOffer(b, offers)!;
    const answers: Array<OfferView | { refused: string }> = [];
    for (let i = 0; i < 4; i++) {
      const res = await b.api<OfferView | { refused: string }>('POST', `/api/tasks/${taskId}/counter`, { offerId: current.offerId, askTotal: { amountMinor: 100, currency: 'USD' } });
      answers.push(res.json);
      if ('offerId' in res.json) current = res.json;
    }
    expect(answers.slice(0, 2).every((a) => 'offerId' in a)).toBe(true);
    for (const a of answers.slice(2)) expect((a as { refused: string }).refused).toMatch(/limit of 2 counter-offer rounds/);
    expect(b.agent().received.filter((m) => m.steward === 'counter_offer')).toHaveLength(2);
    const sent = b.events(taskId, ['message.sent']).filter((e) => e.vendor === b.hostile && e.summary.startsWith('counter-offer'));
    expect(sent).toHaveLength(2);
    const task = await b.api<{ rounds: number }>('GET', `/api/tasks/${taskId}`);
    expect(task.json.rounds).toBe(2);
  });
});

describe('#33 negotiation flooding past the per-vendor allowance (flood-counters)', () => {
  // An allowance of 3 messages a minute, so the test reaches it quickly (the default is 120).
  const bed = useAttackBed('flood-counters', { vendorMessagesPerMinute: 3 });
  it('refuses the vendor message over its allowance with ERR_VENDOR_RATE_LIMITED and logs it; other vendors are untouched', async () => {
    const b = bed();
    const first = await b.quote();
    let current = hostileOffer(b, first.offers)!;
    // The offer and two counter answers: three messages from the hostile vendor this minute.
    for (let round = 0; round < 2; round++) {
      const res = await b.api<OfferView>('POST', `/api/tasks/${first.taskId}/counter`, { offerId: current.offerId, askTotal: { amountMinor: 100, currency: 'USD' } });
      expect(res.json.offerId).toBeDefined();
      current = res.json;
    }
    expect(hostileRefusals(b, first.taskId)).toEqual([]);
    // Its fourth message, in the next task, is over the allowance; the benign grocers have sent two each.
    const second = await b.quote();
    expect(hostileOffer(b, second.offers)).toBeUndefined();
    const refusals = hostileRefusals(b, second.taskId);
    expect(refusals.map((r) => r.code)).toEqual(['ERR_VENDOR_RATE_LIMITED']);
    expect(refusals[0]!.summary).toMatch(/more than 3 messages in a minute/);
    expectBenignUnaffected(b, second.taskId, second.offers, []);
  });
});

