import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SignedOffer, SignedOrder } from '@steward/protocol';
import type { z } from 'zod';
import { MESSAGE_SCHEMAS } from '../../src/message/schemas.ts';
import { BROKER, T0, VENDOR, offerBody } from '../fixtures.ts';

const claims = { iss: VENDOR, aud: BROKER, iat: T0, exp: T0 + 300, jti: 'abcdefghijklmnopqrstuvwx' };

function validOffer(): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      ...claims,
      ...offerBody({
        items: [
          { sku: 'APL-1', name: 'Apples', quantity: 2, unitPrice: { amountMinor: 150, currency: 'USD' }, lineTotal: { amountMinor: 300, currency: 'USD' } },
          { sku: 'MLK-2', name: 'Milk 1l', quantity: 1, unitPrice: { amountMinor: 129, currency: 'USD' }, lineTotal: { amountMinor: 129, currency: 'USD' }, condition: 'used' },
        ],
        total: { amountMinor: 928, currency: 'USD' },
        delivery: { start: '2026-11-27T10:00:00Z', end: '2026-11-27T12:00:00Z' },
      }),
    }),
  ) as Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `v` (objects and arrays), root excluded. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return keys.flatMap((k) => [[...at, k], ...paths((v as Record<string | number, Json>)[k]!, [...at, k])]);
}

type Mutation = { kind: 'set'; pick: number; value: unknown } | { kind: 'delete'; pick: number } | { kind: 'add'; pick: number; key: string; value: unknown };

function mutate(base: Record<string, unknown>, m: Mutation): unknown {
  const all = paths(base as Json);
  const path = all[m.pick % all.length]!;
  const copy = JSON.parse(JSON.stringify(base)) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
    else parent[last] = { [m.key]: m.value };
  }
  return copy;
}

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 'USD', 'EUR', 'usd', '', 'new', 'used', 'https://shop.example', 'http://evil.example', 'A'.repeat(43), '\u202e', null, true, [], {}),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), key: fc.constantFrom('extra', '__proto__', 'constructor', 'currency', 'amountMinor'), value }),
);

/** The compiled schema must accept exactly what the runtime schema accepts, with the same output and issues. */
function agree(compiled: z.ZodType, runtime: z.ZodType, input: unknown): void {
  const a = compiled.safeParse(input);
  const b = runtime.safeParse(input);
  expect(a.success).toBe(b.success);
  if (a.success && b.success) expect(a.data).toStrictEqual(b.data);
  else expect(a.error?.issues).toStrictEqual(b.error?.issues);
}

describe('compiled message schemas', () => {
  it('are not the protocol objects themselves, and accept a valid offer with defaults applied', () => {
    expect(MESSAGE_SCHEMAS.offer).not.toBe(SignedOffer);
    const parsed = MESSAGE_SCHEMAS.offer.parse(validOffer());
    expect(parsed.items[0]!.condition).toBe('new');
    agree(MESSAGE_SCHEMAS.offer, SignedOffer, validOffer());
  });

  it('refuse what the protocol schema refuses: arithmetic, unknown keys, wrong types', () => {
    const bad = validOffer();
    (bad.total as { amountMinor: number }).amountMinor = 1;
    expect(MESSAGE_SCHEMAS.offer.safeParse(bad).success).toBe(false);
    agree(MESSAGE_SCHEMAS.offer, SignedOffer, bad);
    const extra = { ...validOffer(), budget: 100 };
    expect(MESSAGE_SCHEMAS.offer.safeParse(extra).success).toBe(false);
    agree(MESSAGE_SCHEMAS.offer, SignedOffer, extra);
  });

  it('agree with the runtime schema on random mutations of a valid offer (property)', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        let input: unknown = validOffer();
        for (const m of ms) input = mutate(input as Record<string, unknown>, m);
        agree(MESSAGE_SCHEMAS.offer, SignedOffer, input);
      }),
      { numRuns: 400 },
    );
  });

  it('agree with the runtime schema on random mutations of a valid order (property)', () => {
    const order = {
      ...claims,
      type: 'order',
      orderId: 'order-1',
      offerId: 'offer-1',
      offerHash: 'B'.repeat(43),
      vendor: VENDOR,
      items: [{ sku: 'APL-1', name: 'Apples', quantity: 2, unitPrice: { amountMinor: 150, currency: 'USD' }, lineTotal: { amountMinor: 300, currency: 'USD' } }],
      fees: [],
      total: { amountMinor: 300, currency: 'USD' },
      billingPeriod: 'one_off',
      termsHash: 'A'.repeat(43),
      payee: { payoutId: 'payout-shop-1' },
      delivery: null,
      disclosed: { name: 'Ada' },
      policyVersion: 'v1',
    };
    agree(MESSAGE_SCHEMAS.order, SignedOrder, order);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 2 }), (ms) => {
        let input: unknown = order;
        for (const m of ms) input = mutate(input as Record<string, unknown>, m);
        agree(MESSAGE_SCHEMAS.order, SignedOrder, input);
      }),
      { numRuns: 200 },
    );
  });
});
