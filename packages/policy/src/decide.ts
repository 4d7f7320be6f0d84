import {
  systemClock,
  type Clock,
  type DataClass,
  type Decision,
  type Effect,
  type Money,
  type Reason,
} from '@steward/protocol';
import {
  EvalContext,
  EvaluationError,
  type CompiledPolicy,
  type Fired,
  type SpendLookup,
} from './compile.ts';
import { DEFAULT_DENY } from './internal/ids.ts';
import type { PolicyRequest } from './request.ts';

/** Options of {@link decide}. */
export interface DecideOptions {
  /** Money already spent per budget window; required when a window budget applies (else fail closed). */
  spend?: SpendLookup;
  /** Where `decidedAt` comes from. */
  clock?: Clock;
  /** Policies evaluated alongside and reported as shadow reasons, never enforced. */
  shadow?: readonly CompiledPolicy[];
}

const RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };
const ACTION_NOUN: Record<PolicyRequest['action'], string> = {
  order: 'this order',
  share_data: 'sharing this data',
  contact_vendor: 'contacting this vendor',
  enrol_vendor: 'enrolling this vendor',
  counter_offer: 'this counter-offer',
  recurring: 'this recurring charge',
};

function byReason(a: Reason, b: Reason): number {
  return (
    Number(a.shadow === true) - Number(b.shadow === true) ||
    RANK[b.effect] - RANK[a.effect] ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** What evaluation found before the decision is made: every rule that fired, and every error. */
export interface Evaluation {
  /** Rules that fired, in evaluation order (decide() sorts; order never changes the answer). */
  fired: readonly Fired[];
  /** Checks that could not be evaluated; those that could ask or deny are also in `fired`. */
  errors: readonly { ruleId: string; message: string; shadow: boolean }[];
  redact: ReadonlySet<DataClass>;
  relay: ReadonlySet<DataClass>;
  amountCap: Money | undefined;
}

/**
 * Evaluates a request against a compiled policy (stage 3): runs every check that applies to the
 * action and records what fired. A check that throws is recorded in `errors` and, when it could
 * ask or deny, counts as firing (fail closed). {@link decide} turns this into a Decision.
 * @see docs/policies.md
 */
export function evaluatePolicy(
  policy: CompiledPolicy,
  request: PolicyRequest,
  spend?: SpendLookup,
): Evaluation {
  return runChecks(policy, request, spend);
}

function runChecks(
  policy: CompiledPolicy,
  request: PolicyRequest,
  spend: SpendLookup | undefined,
): EvalContext {
  const ctx = new EvalContext(request, policy.timezone, policy.budgets.length, spend);
  for (const check of policy.checks[request.action]) {
    try {
      check.run(ctx);
    } catch (error) {
      const message =
        error instanceof EvaluationError
          ? error.message
          : `internal error: ${error instanceof Error ? error.message : String(error)}`;
      ctx.errors.push({ ruleId: check.id, message, shadow: check.shadow });
      // INVARIANT: fail closed. A check that could deny or ask and cannot be evaluated fires.
      if (check.effect !== 'allow') {
        ctx.fired.push({
          id: check.id,
          effect: check.effect,
          message: `${check.id} could not be checked (${message}), so it counts as ${check.effect === 'deny' ? 'refusing' : 'asking you'} (rule \`${check.id}\`)`,
          remedy: `a request that rule \`${check.id}\` can check: ${message}`,
          shadow: check.shadow,
          grant: false,
        });
      }
    }
  }
  return ctx;
}

/**
 * Decides a request (stage 4, after parse, validate and evaluate): deny by default, deny beats ask beats allow, the answer does not
 * depend on rule order, and a rule that cannot be evaluated counts as firing with its effect
 * (fail closed). Pure apart from the clock and the spend lookup.
 * @see docs/policies.md
 */
export function decide(
  policy: CompiledPolicy,
  request: PolicyRequest,
  options: DecideOptions = {},
): Decision {
  return decideAs(policy, request, options, policy.shadow);
}

function decideAs(
  policy: CompiledPolicy,
  request: PolicyRequest,
  options: DecideOptions,
  fileShadow: boolean,
): Decision {
  const ctx = runChecks(policy, request, options.spend);
  let effect: Effect | undefined;
  const enforced: Fired[] = [];
  let granted = false;
  for (const f of ctx.fired) {
    if (f.shadow || fileShadow) continue;
    enforced.push(f);
    if (f.effect !== 'allow') {
      if (effect === undefined || RANK[f.effect] > RANK[effect]) effect = f.effect;
    } else if (f.grant) {
      granted = true;
    }
  }
  const reasons: Reason[] = [];
  for (const f of ctx.fired) {
    const shadow = f.shadow || fileShadow;
    reasons.push(
      shadow
        ? { ruleId: f.id, effect: f.effect, message: f.message, shadow: true }
        : { ruleId: f.id, effect: f.effect, message: f.message },
    );
  }
  let determining: Fired[];
  if (effect === undefined) {
    if (granted) {
      effect = 'allow';
      determining = enforced.filter((f) => f.grant);
    } else {
      effect = 'deny';
      const fired: Fired = {
        id: DEFAULT_DENY,
        effect: 'deny',
        message: `nothing in your policy allows ${ACTION_NOUN[request.action]} (rule \`${DEFAULT_DENY}\`)`,
        remedy: `a rule in your policy that allows ${ACTION_NOUN[request.action]} (rule \`${DEFAULT_DENY}\`)`,
        shadow: false,
        grant: false,
      };
      determining = [fired];
      reasons.push({ ruleId: fired.id, effect: 'deny', message: fired.message });
    }
  } else {
    const e = effect;
    determining = enforced.filter((f) => f.effect === e);
  }
  for (const sp of options.shadow ?? []) {
    // A shadow policy is evaluated as if it were enforced, then reported, never enforced.
    const shadowDecision = decideAs(sp, request, { spend: options.spend, clock: options.clock }, false);
    for (const r of shadowDecision.reasons) reasons.push({ ...r, shadow: true });
    reasons.push({
      ruleId: 'shadow-policy',
      effect: shadowDecision.effect,
      message: `shadow policy \`${sp.name}\` would ${shadowDecision.effect} this (not enforced)`,
      shadow: true,
    });
  }
  reasons.sort(byReason);
  // The Decision schema caps lists at 200; sorted ids keep the cut deterministic.
  const determiningRules = [...new Set(determining.map((f) => f.id))].sort().slice(0, 200);
  const remedies =
    effect === 'allow'
      ? []
      : [...new Set(determining.map((f) => f.remedy).filter((r): r is string => r !== undefined))].sort();
  const errors = ctx.errors
    .filter(
      (e, i, all) =>
        !e.shadow &&
        !fileShadow &&
        all.findIndex((o) => o.ruleId === e.ruleId && o.message === e.message) === i,
    )
    .map((e) => ({ ruleId: e.ruleId, message: e.message }))
    .sort((a, b) =>
      a.ruleId < b.ruleId
        ? -1
        : a.ruleId > b.ruleId
          ? 1
          : a.message < b.message
            ? -1
            : a.message > b.message
              ? 1
              : 0,
    );
  const obligations: Decision['obligations'] = { redact: fileShadow ? [] : [...ctx.redact].sort() };
  if (ctx.relay.size > 0 && !fileShadow) obligations.relay = [...ctx.relay].sort();
  if (ctx.amountCap && effect !== 'deny' && !fileShadow) obligations.amountCap = ctx.amountCap;
  return {
    effect,
    determiningRules,
    reasons: dedupe(reasons).slice(0, 200),
    obligations,
    remedies: remedies.slice(0, 50),
    errors: errors.slice(0, 200),
    policyVersion: policy.version,
    decidedAt: new Date((options.clock ?? systemClock).now()).toISOString(),
  };
}

function dedupe(reasons: Reason[]): Reason[] {
  const out: Reason[] = [];
  for (const r of reasons) {
    const last = out[out.length - 1];
    if (
      last &&
      last.ruleId === r.ruleId &&
      last.message === r.message &&
      last.effect === r.effect &&
      last.shadow === r.shadow
    )
      continue;
    out.push(r);
  }
  return out;
}

/** When an approval requested now stops being valid: an approval not given by then is a deny. */
export function approvalExpiresAt(policy: CompiledPolicy, requestedAtMs: number): string {
  return new Date(requestedAtMs + policy.approvalTimeoutMinutes * 60_000).toISOString();
}
