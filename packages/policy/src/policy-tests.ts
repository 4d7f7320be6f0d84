import { FixedClock, type Decision } from '@steward/protocol';
import type { CompiledPolicy, SpendLookup } from './compile.ts';
import { decide } from './decide.ts';
import { DATA_UNLISTED } from './internal/ids.ts';
import { parsePolicyRequest } from './load.ts';
import type { PolicyRequest } from './request.ts';
import type { PolicyTest } from './schema.ts';

/** The request a policy test starts from; the test's `request` overrides these fields. */
export const TEST_REQUEST_DEFAULTS = {
  time: '2026-01-15T17:00:00Z',
  vendor: {
    origin: 'https://shop.example',
    verified: true,
    signedCard: true,
    enrolled: true,
    new: false,
    verificationLevel: 'verified',
  },
  flags: [],
  counters: { ordersToday: 0, vendorOrdersToday: 0, roundsSoFar: 0, vendorsContacted: 0, toolCalls: 0 },
} as const;

/** The outcome of one test of a policy file. */
export interface PolicyTestResult {
  name: string;
  passed: boolean;
  /** What differed, in words; empty when it passed. */
  failures: string[];
  request: PolicyRequest;
  decision: Decision;
}

/** The outcome of all tests of a policy file, with rule coverage. */
export interface PolicyTestReport {
  file: string;
  passed: boolean;
  results: PolicyTestResult[];
  /** Rules (and derived checks) that fired in at least one test. */
  covered: string[];
  /** Rules (and derived checks) that no test exercises. */
  uncovered: string[];
}

/** Builds the full request of a test from the test defaults. */
export function testRequest(test: PolicyTest): PolicyRequest {
  const r = test.request;
  const dropNulls = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
  return parsePolicyRequest({
    ...TEST_REQUEST_DEFAULTS,
    ...r,
    vendor: dropNulls({ ...TEST_REQUEST_DEFAULTS.vendor, ...r.vendor }),
    counters: dropNulls({ ...TEST_REQUEST_DEFAULTS.counters, ...r.counters }),
    flags: r.flags ?? [],
    time: r.time ?? TEST_REQUEST_DEFAULTS.time,
  });
}

/** A spend lookup answering from a test's `spent:` map. */
export function testSpend(test: Pick<PolicyTest, 'spent'>): SpendLookup {
  return (q) => {
    const m = test.spent?.[q.budgetId];
    return m && m.currency === q.currency ? m.amountMinor : 0;
  };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** Every check id a policy defines or derives (rules, budgets, data sharing, trust, conflicts, limits). */
export function checkIds(policy: CompiledPolicy): string[] {
  const ids = new Set<string>(policy.ruleIds);
  for (const checks of Object.values(policy.checks))
    for (const c of checks) if (c.id !== DATA_UNLISTED) ids.add(c.id);
  return [...ids].sort();
}

/**
 * Runs the `tests:` of a policy file and reports which passed and which rules no test exercises.
 * @see docs/policies.md
 */
export function runPolicyTests(policy: CompiledPolicy): PolicyTestReport {
  const clock = new FixedClock(Date.parse(TEST_REQUEST_DEFAULTS.time));
  const fired = new Set<string>();
  const results: PolicyTestResult[] = [];
  for (const test of policy.document.tests ?? []) {
    const request = testRequest(test);
    const decision = decide(policy, request, { spend: testSpend(test), clock });
    for (const r of decision.reasons) fired.add(r.ruleId);
    const failures: string[] = [];
    const e = test.expect;
    if (decision.effect !== e.effect) failures.push(`expected ${e.effect}, got ${decision.effect}`);
    if (e.rules && !sameSet(e.rules, decision.determiningRules)) {
      failures.push(
        `expected rules [${[...e.rules].sort().join(', ')}], got [${decision.determiningRules.join(', ')}]`,
      );
    }
    if (e.redact && !sameSet(e.redact, decision.obligations.redact)) {
      failures.push(
        `expected redact [${e.redact.join(', ')}], got [${decision.obligations.redact.join(', ')}]`,
      );
    }
    if (e.relay && !sameSet(e.relay, decision.obligations.relay ?? [])) {
      failures.push(
        `expected relay [${e.relay.join(', ')}], got [${(decision.obligations.relay ?? []).join(', ')}]`,
      );
    }
    results.push({ name: test.name, passed: failures.length === 0, failures, request, decision });
  }
  const all = checkIds(policy);
  return {
    file: policy.file,
    passed: results.every((r) => r.passed),
    results,
    covered: all.filter((id) => fired.has(id)),
    uncovered: all.filter((id) => !fired.has(id)),
  };
}
