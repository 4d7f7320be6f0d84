import { readFileSync } from 'node:fs';
import { Decision, FixedClock } from '@steward/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { decide, evaluatePolicy, loadPolicy, parsePolicyRequest, type SpendLookup } from '../src/index.ts';

interface Vector {
  name: string;
  policy: string;
  request: unknown;
  spent?: Record<string, number>;
  noLedger?: boolean;
  expect: {
    effect: string;
    rules: string[];
    errors: string[];
    redact?: string[];
    relay?: string[];
    amountCap?: unknown;
  };
}
const file = JSON.parse(readFileSync(new URL('./vectors/decisions.json', import.meta.url), 'utf8')) as {
  source: string;
  vectors: Vector[];
};
const clock = new FixedClock(Date.parse('2026-03-10T12:00:00Z'));
const spendOf = (v: Pick<Vector, 'spent' | 'noLedger'>): SpendLookup | undefined =>
  v.noLedger ? undefined : (q) => v.spent?.[q.budgetId] ?? 0;

/** The decision without the fields that legitimately differ between equivalent policies. */
const essence = (d: Decision) => ({ ...d, policyVersion: undefined, decidedAt: undefined });

describe('decision vectors', () => {
  it('has a source and covers the constructs', () => {
    expect(file.source).toMatch(/Steward/);
    expect(file.vectors.length).toBeGreaterThan(80);
  });

  for (const v of file.vectors) {
    it(v.name, () => {
      const policy = loadPolicy(v.policy, v.name);
      const decision = decide(policy, parsePolicyRequest(v.request), { spend: spendOf(v), clock });
      expect(Decision.parse(decision)).toEqual(decision);
      expect(decision.effect).toBe(v.expect.effect);
      expect(decision.determiningRules).toEqual(v.expect.rules);
      expect(decision.errors.map((e) => e.ruleId)).toEqual(v.expect.errors);
      if (v.expect.redact) expect(decision.obligations.redact).toEqual(v.expect.redact);
      if (v.expect.relay) expect(decision.obligations.relay).toEqual(v.expect.relay);
      if (v.expect.amountCap) expect(decision.obligations.amountCap).toEqual(v.expect.amountCap);
      expect(decision.policyVersion).toBe(policy.version);
      // Every answer names its rules, in words, and a refusal says what would change it.
      for (const id of decision.determiningRules)
        expect(decision.reasons.some((r) => r.ruleId === id && !r.shadow)).toBe(true);
      if (decision.effect !== 'allow') expect(decision.remedies.length).toBeGreaterThan(0);
      else expect(decision.remedies).toEqual([]);
    });
  }
});

const shuffle = <T>(xs: readonly T[] | undefined, keys: readonly number[]): T[] | undefined =>
  xs === undefined
    ? undefined
    : xs
        .map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0, i }))
        .sort((a, b) => a.k - b.k || b.i - a.i)
        .map((e) => e.x);

describe('order independence', () => {
  it('gives the same answer for every vector with rules, budgets and data sharing shuffled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: file.vectors.length - 1 }),
        fc.array(fc.integer(), { minLength: 1, maxLength: 12 }),
        (index, keys) => {
          const v = file.vectors[index]!;
          const doc = parse(v.policy) as Record<string, unknown[] | undefined>;
          for (const section of ['rules', 'budgets', 'dataSharing']) {
            if (doc[section]) doc[section] = shuffle(doc[section], keys);
          }
          const request = parsePolicyRequest(v.request);
          const a = decide(loadPolicy(v.policy), request, { spend: spendOf(v), clock });
          const b = decide(loadPolicy(stringify(doc)), request, { spend: spendOf(v), clock });
          expect(essence(b)).toEqual(essence(a));
        },
      ),
      { numRuns: 120 },
    );
  });

  const action = fc.constantFrom('order', 'contact_vendor', 'share_data');
  const condition = fc.oneof(
    fc.constant({}),
    fc.record({ action }),
    fc.record({ amount: fc.record({ above: fc.constantFrom('10.00 USD', '50.00 USD', '10.00 EUR') }) }),
    fc.record({ vendor: fc.record({ verified: fc.boolean() }) }),
    fc.record({
      flags: fc.subarray(['paid_placement', 'steering_suspected', 'affiliated_counterparty'], {
        minLength: 1,
      }),
    }),
    fc.record({
      counters: fc.record({ ordersToday: fc.record({ atLeast: fc.integer({ min: 0, max: 4 }) }) }),
    }),
    fc.record({ category: fc.constantFrom('groceries', 'travel') }),
    fc.record({ data: fc.constantFrom('email', 'health') }),
  );
  const rule = fc.record({
    effect: fc.constantFrom('allow', 'ask', 'deny'),
    when: condition,
    shadow: fc.boolean(),
  });
  const request = fc.record({
    action,
    category: fc.constantFrom('groceries', 'travel', undefined),
    amount: fc.option(
      fc.record({
        amountMinor: fc.integer({ min: 0, max: 20_000 }),
        currency: fc.constantFrom('USD', 'EUR'),
      }),
      { nil: undefined },
    ),
    vendor: fc.record({
      origin: fc.constant('https://shop.example'),
      verified: fc.boolean(),
      signedCard: fc.boolean(),
      enrolled: fc.boolean(),
      new: fc.boolean(),
    }),
    flags: fc.subarray(['paid_placement', 'steering_suspected', 'affiliated_counterparty'] as const),
    dataClasses: fc.constantFrom(['email'], ['health'], ['email', 'health'], undefined),
    purpose: fc.constantFrom('order', 'marketing', undefined),
    time: fc.constant('2026-03-10T12:00:00Z'),
    counters: fc.record({ ordersToday: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
  });
  const header = {
    version: 1,
    name: 'generated',
    timezone: 'UTC',
    dataSharing: [{ id: 'mail', data: 'email', effect: 'allow' }],
  };
  const clean = (r: object) => JSON.parse(JSON.stringify(r));

  it('gives the same answer for random policies with their rules in any order', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 15 }),
        request,
        fc.array(fc.integer(), { minLength: 1, maxLength: 15 }),
        (rules, req, keys) => {
          const named = rules.map((r, i) => ({ id: `r${i}`, ...r }));
          const r = parsePolicyRequest(clean(req));
          const a = decide(loadPolicy(stringify({ ...header, rules: named })), r, { clock });
          const b = decide(loadPolicy(stringify({ ...header, rules: shuffle(named, keys) })), r, { clock });
          expect(essence(b)).toEqual(essence(a));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never lets an added matching deny rule end in anything but deny, and never allows without a grant', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 10 }), request, (rules, req) => {
        const named = rules.map((r, i) => ({ id: `r${i}`, ...r }));
        const r = parsePolicyRequest(clean(req));
        const base = decide(loadPolicy(stringify({ ...header, rules: named })), r, { clock });
        if (base.effect === 'allow')
          expect(base.reasons.some((x) => x.effect === 'allow' && !x.shadow)).toBe(true);
        const withDeny = decide(
          loadPolicy(stringify({ ...header, rules: [...named, { id: 'stop', effect: 'deny' }] })),
          r,
          { clock },
        );
        expect(withDeny.effect).toBe('deny');
        expect(withDeny.determiningRules).toContain('stop');
      }),
      { numRuns: 100 },
    );
  });
});

describe('decide', () => {
  const policy = loadPolicy(
    readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8'),
    'default.yaml',
  );
  const base = {
    action: 'order',
    category: 'groceries',
    vendor: { origin: 'https://shop.example', verified: false, signedCard: true, enrolled: true, new: false },
    amount: { amountMinor: 9240, currency: 'USD' },
    flags: [],
    time: '2026-03-10T12:00:00Z',
    counters: { ordersToday: 0, toolCalls: 0 },
  };

  it('explains itself in plain language with money formatted', () => {
    const d = decide(policy, parsePolicyRequest(base), { spend: () => 0, clock });
    expect(d.effect).toBe('ask');
    expect(d.determiningRules).toEqual(['ask-above-50', 'ask-unverified']);
    expect(d.reasons.map((r) => r.message)).toContain(
      'your approval limit: the total $92.40 is above $50.00 (rule `ask-above-50`)',
    );
    expect(d.remedies).toContain('your approval, or a total of at most $50.00 (rule `ask-above-50`)');
    expect(d.decidedAt).toBe('2026-03-10T12:00:00.000Z');
  });

  it('reports shadow policies as shadow reasons without changing the answer', () => {
    const strict = loadPolicy(
      'version: 1\nname: strict\ntimezone: UTC\nrules:\n  - id: no-orders\n    effect: deny\n    when: { action: order }\n',
    );
    const d = decide(
      policy,
      parsePolicyRequest({
        ...base,
        vendor: { ...base.vendor, verified: true },
        amount: { amountMinor: 1000, currency: 'USD' },
      }),
      {
        spend: () => 0,
        clock,
        shadow: [strict],
      },
    );
    expect(d.effect).toBe('allow');
    expect(d.reasons.filter((r) => r.shadow).map((r) => r.ruleId)).toEqual(
      expect.arrayContaining(['no-orders', 'shadow-policy']),
    );
    expect(d.reasons.find((r) => r.ruleId === 'shadow-policy')?.message).toContain('would deny');
  });

  it('evaluates a shadow file as if enforced when it runs alongside, and enforces nothing on its own', () => {
    const trial = loadPolicy(
      'version: 1\nname: trial\nshadow: true\ntimezone: UTC\nrules:\n  - id: allow-all\n    effect: allow\n',
    );
    const req = parsePolicyRequest({
      ...base,
      vendor: { ...base.vendor, verified: true },
      amount: { amountMinor: 1000, currency: 'USD' },
    });
    const alone = decide(trial, req, { clock });
    expect(alone.effect).toBe('deny');
    expect(alone.reasons.find((r) => r.ruleId === 'allow-all')).toMatchObject({ shadow: true });
    const d = decide(policy, req, { spend: () => 0, clock, shadow: [trial] });
    expect(d.effect).toBe('allow');
    expect(d.reasons.find((r) => r.ruleId === 'shadow-policy')?.message).toBe(
      'shadow policy `trial` would allow this (not enforced)',
    );
  });

  it('evaluates as a stage of its own: what fired and what errored, before any decision', () => {
    const req = parsePolicyRequest({ ...base, counters: { ordersToday: 0 } });
    const ev = evaluatePolicy(policy, req, () => 0);
    expect(ev.errors).toEqual([
      { ruleId: 'limit.max-tool-calls', message: 'the request has no `toolCalls` counter', shadow: false },
    ]);
    expect(ev.fired.map((f) => [f.id, f.effect]).sort()).toEqual(
      [
        ['allow-orders', 'allow'],
        ['ask-above-50', 'ask'],
        ['ask-unverified', 'ask'],
        ['limit.max-tool-calls', 'deny'],
      ].sort(),
    );
    expect(decide(policy, req, { spend: () => 0, clock }).effect).toBe('deny');
  });

  it('rejects a malformed request with a coded error', () => {
    expect(() => parsePolicyRequest({ ...base, approved: true })).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_REQUEST_INVALID' }),
    );
    expect(() => parsePolicyRequest({ ...base, amount: { amountMinor: 92.4, currency: 'USD' } })).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_REQUEST_INVALID' }),
    );
  });
});
