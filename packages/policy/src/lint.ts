import { FixedClock, type Effect } from '@steward/protocol';
import type { CompiledPolicy } from './compile.ts';
import { decide } from './decide.ts';
import { recordedSpend, type RecordedDecision } from './dry-run.ts';
import { locate } from './internal/locate.ts';
import { parsePolicy } from './parse.ts';
import { TEST_REQUEST_DEFAULTS, testRequest, testSpend } from './policy-tests.ts';
import type { PolicyAction, PolicyRequest } from './request.ts';
import type { PolicyRule } from './schema.ts';

/** Kinds of lint findings. */
export type LintCode =
  'never-matches' | 'always-errors' | 'shadowed' | 'duplicate' | 'allow-without-budget' | 'loosens';

/** One thing lint found, located in the candidate's source where it has a place. */
export interface LintFinding {
  code: LintCode;
  severity: 'warning' | 'error';
  ruleId?: string;
  message: string;
  line?: number;
  col?: number;
}

/** What to compare the candidate with. */
export interface LintOptions {
  /** The active policy: lint reports requests it refuses or asks about that the candidate would allow. */
  current?: CompiledPolicy;
  /** Recorded decision inputs to compare on, besides the tests of both files. */
  recorded?: readonly RecordedDecision[];
}

const ALL: readonly PolicyAction[] = [
  'order',
  'share_data',
  'contact_vendor',
  'enrol_vendor',
  'counter_offer',
  'recurring',
];
const MONEY: ReadonlySet<PolicyAction> = new Set(['order', 'recurring']);
const RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };
const list = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    Array.isArray(x) ? [...(x as unknown[])].map((e) => JSON.stringify(e)).sort() : x,
  );

function neverMatches(rule: PolicyRule): { code: LintCode; why: string } | undefined {
  const w = rule.when;
  if (!w) return undefined;
  const actions = list(w.action) ?? ALL;
  const onlyMoneyless = actions.every((a) => !MONEY.has(a));
  const a = w.amount;
  if (
    a?.above &&
    a.atMost &&
    a.above.currency === a.atMost.currency &&
    a.atMost.amountMinor <= a.above.amountMinor
  ) {
    return { code: 'never-matches', why: '`amount.above` is not below `amount.atMost`, so no amount fits' };
  }
  for (const [name, c] of Object.entries(w.counters ?? {})) {
    if (c?.atLeast !== undefined && c.below !== undefined && c.atLeast >= c.below)
      return {
        code: 'never-matches',
        why: `counter \`${name}\` cannot be at least ${c.atLeast} and below ${c.below}`,
      };
  }
  const lv = w.vendor?.verificationLevel;
  const L = { basic: 0, verified: 1, audited: 2 } as const;
  if (lv?.below && lv.atLeast && L[lv.atLeast] >= L[lv.below])
    return { code: 'never-matches', why: 'the verification level range is empty' };
  if ((w.data !== undefined || w.purpose !== undefined) && !actions.includes('share_data')) {
    return {
      code: 'never-matches',
      why: '`data`/`purpose` only describe `share_data` requests, which this rule excludes',
    };
  }
  if ((w.amount !== undefined || w.overBudget !== undefined) && onlyMoneyless) {
    return rule.effect === 'allow'
      ? { code: 'never-matches', why: 'its actions carry no amount, so the amount condition can never hold' }
      : {
          code: 'always-errors',
          why: 'its actions carry no amount, so the amount condition always errors and the rule always fires (fail closed)',
        };
  }
  return undefined;
}

/** True when `s` matches at least every request `r` matches (its conditions are a subset of r's). */
function covers(s: PolicyRule, r: PolicyRule): boolean {
  const sActions = new Set(list(s.when?.action) ?? ALL);
  if (!(list(r.when?.action) ?? ALL).every((a) => sActions.has(a))) return false;
  const rw = (r.when ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(s.when ?? {})) {
    if (key === 'action' || value === undefined) continue;
    if (canon(rw[key]) !== canon(value)) return false;
  }
  return true;
}

function describeRequest(r: PolicyRequest): string {
  const parts: string[] = [r.action];
  if (r.category) parts.push(r.category);
  if (r.amount) parts.push(`${r.amount.amountMinor} ${r.amount.currency} (minor units)`);
  if (r.dataClasses) parts.push(`data ${r.dataClasses.join('+')}${r.purpose ? ` for ${r.purpose}` : ''}`);
  if (!r.vendor.verified) parts.push('unverified vendor');
  if (r.flags.length) parts.push(`flags ${r.flags.join('+')}`);
  return parts.join(', ');
}

/**
 * Lints a candidate policy: rules that can never match (or always error), rules shadowed by
 * others, allows with no budget, and — against the current policy — anything the candidate allows
 * that the current one denies or asks about, on recorded inputs and both files' tests.
 * @see docs/policies.md
 */
export function lintPolicy(candidate: CompiledPolicy, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const parsed = parsePolicy(candidate.source, candidate.file);
  const rules = candidate.document.rules ?? [];
  const at = (index: number): { line: number; col: number } =>
    locate(parsed.doc, parsed.lines, ['rules', index]);
  rules.forEach((rule, i) => {
    const never = neverMatches(rule);
    if (never) {
      findings.push({
        code: never.code,
        severity: never.code === 'always-errors' ? 'error' : 'warning',
        ruleId: rule.id,
        message: `rule \`${rule.id}\` ${never.code === 'never-matches' ? 'can never match' : 'always errors'}: ${never.why}`,
        ...at(i),
      });
    }
  });
  rules.forEach((r, i) => {
    if (r.shadow) return;
    rules.forEach((s, j) => {
      if (i === j || s.shadow || !covers(s, r)) return;
      if (RANK[s.effect] > RANK[r.effect]) {
        findings.push({
          code: 'shadowed',
          severity: 'warning',
          ruleId: r.id,
          message: `rule \`${r.id}\` (${r.effect}) never decides: rule \`${s.id}\` (${s.effect}) matches every request it matches`,
          ...at(i),
        });
      } else if (s.effect === r.effect && j < i && covers(r, s)) {
        findings.push({
          code: 'duplicate',
          severity: 'warning',
          ruleId: r.id,
          message: `rule \`${r.id}\` repeats rule \`${s.id}\``,
          ...at(i),
        });
      }
    });
  });
  const budgets = (candidate.document.budgets ?? []).filter((b) => !b.shadow);
  rules.forEach((r, i) => {
    if (r.effect !== 'allow' || r.shadow) return;
    const actions = list(r.when?.action) ?? ALL;
    if (!actions.some((a) => MONEY.has(a))) return;
    const cats = list(r.when?.category);
    const limited = budgets.some((b) => {
      const bc = list(b.category);
      return !bc || (cats !== undefined && cats.every((c) => bc.includes(c)));
    });
    if (!limited) {
      findings.push({
        code: 'allow-without-budget',
        severity: 'warning',
        ruleId: r.id,
        message: `rule \`${r.id}\` allows spending that no budget limits; add a budget for ${cats ? cats.join(', ') : 'all categories'}`,
        ...at(i),
      });
    }
  });
  if (options.current) {
    const current = options.current;
    const samples: {
      label: string;
      request: PolicyRequest;
      spend: ReturnType<typeof recordedSpend>;
      at: number;
    }[] = [];
    (options.recorded ?? []).forEach((rec, k) =>
      samples.push({
        label: `recorded input ${k + 1}`,
        request: rec.request,
        spend: recordedSpend(rec),
        at: Date.parse(rec.decision.decidedAt),
      }),
    );
    for (const p of [candidate, current]) {
      for (const t of p.document.tests ?? []) {
        try {
          samples.push({
            label: `test \`${t.name}\` of ${p.file}`,
            request: testRequest(t),
            spend: testSpend(t),
            at: Date.parse(TEST_REQUEST_DEFAULTS.time),
          });
        } catch {
          // A test whose request no longer validates cannot be compared; `policy test` reports it.
        }
      }
    }
    for (const s of samples) {
      const clock = new FixedClock(Number.isNaN(s.at) ? 0 : s.at);
      const before = decide(current, s.request, { spend: s.spend, clock });
      const after = decide(candidate, s.request, { spend: s.spend, clock });
      if (RANK[after.effect] < RANK[before.effect]) {
        findings.push({
          code: 'loosens',
          severity: 'warning',
          message: `${s.label} (${describeRequest(s.request)}): the current policy says ${before.effect} (${before.determiningRules.join(', ')}), the candidate says ${after.effect} (${after.determiningRules.join(', ')})`,
        });
      }
    }
  }
  return findings;
}
