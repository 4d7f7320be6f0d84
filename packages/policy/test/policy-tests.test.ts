import { describe, expect, it } from 'vitest';
import { loadPolicy, runPolicyTests } from '../src/index.ts';

const POLICY = `version: 1
name: t
timezone: UTC
budgets:
  - id: cap
    limit: 20.00 USD
    per: day
rules:
  - id: allow-orders
    effect: allow
    when: { action: order }
  - id: never-tested
    effect: deny
    when: { action: enrol_vendor }
tests:
  - name: small order passes
    request: { action: order, category: groceries, amount: 5.00 USD }
    expect: { effect: allow, rules: [allow-orders] }
  - name: wrong expectation
    request: { action: order, category: groceries, amount: 5.00 USD }
    spent: { cap: 18.00 USD }
    expect: { effect: allow }
`;

describe('runPolicyTests', () => {
  const report = runPolicyTests(loadPolicy(POLICY, 't.yaml'));

  it('runs each test and says what differed', () => {
    expect(report.passed).toBe(false);
    expect(report.results.map((r) => [r.name, r.passed])).toEqual([
      ['small order passes', true],
      ['wrong expectation', false],
    ]);
    expect(report.results[1]?.failures).toEqual(['expected allow, got deny']);
    expect(report.results[1]?.decision.determiningRules).toEqual(['cap']);
  });

  it('reports the rules no test exercises', () => {
    expect(report.covered).toEqual(['allow-orders', 'cap']);
    expect(report.uncovered).toEqual(['never-tested']);
  });

  it('builds test requests from documented defaults', () => {
    expect(report.results[0]?.request).toMatchObject({
      time: '2026-01-15T17:00:00Z',
      vendor: { verified: true, signedCard: true, enrolled: true, new: false },
      counters: { ordersToday: 0, toolCalls: 0 },
      amount: { amountMinor: 500, currency: 'USD' },
    });
  });
});
