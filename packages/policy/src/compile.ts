import type { Category, DataClass, Effect, FlagKind, Money } from '@steward/protocol';
import { DATA_UNLISTED } from './internal/ids.ts';
import { formatMoney } from './money.ts';
import { localParts, windowStart, type LocalParts } from './internal/time.ts';
import type { CounterName, PolicyAction, PolicyRequest } from './request.ts';
import type {
  ConflictHandling,
  DataSharingRule,
  PolicyBudget,
  PolicyDocument,
  PolicyRule,
  RuleConditions,
} from './schema.ts';
import type { ValidatedPolicy } from './validate.ts';

/** What the ledger is asked: money already spent or reserved in a budget's window. */
export interface SpendQuery {
  budgetId: string;
  currency: string;
  /** Only spending in these categories counts (all when absent). */
  categories?: readonly Category[];
  /** Only spending with these vendor origins counts (all when absent). */
  vendors?: readonly string[];
  /** Window start and the request time, epoch milliseconds. */
  sinceMs: number;
  nowMs: number;
}

/** Answers a {@link SpendQuery} in minor units of `currency`. The ledger provides one. */
export type SpendLookup = (query: SpendQuery) => number;

/** A rule that could not be checked; it counts as firing with its effect unless that is allow. */
export class EvaluationError extends Error {}

/** One rule firing during an evaluation. */
export interface Fired {
  id: string;
  effect: Effect;
  message: string;
  /** For ask and deny: what would have to change. */
  remedy?: string;
  shadow: boolean;
  /** True when this allow can make the whole request allowed (rules and data sharing); false for notes. */
  grant: boolean;
}

/** Per-evaluation state shared by the checks (lazy local time, budget results). */
export class EvalContext {
  readonly req: PolicyRequest;
  readonly ms: number;
  readonly tz: string;
  readonly spend: SpendLookup | undefined;
  readonly fired: Fired[] = [];
  readonly errors: { ruleId: string; message: string; shadow: boolean }[] = [];
  readonly redact = new Set<DataClass>();
  readonly relay = new Set<DataClass>();
  amountCap: Money | undefined;
  #local: LocalParts | undefined;
  readonly budgetResults: (BudgetResult | undefined)[];

  constructor(req: PolicyRequest, tz: string, budgets: number, spend: SpendLookup | undefined) {
    this.req = req;
    this.ms = Date.parse(req.time);
    this.tz = tz;
    this.spend = spend;
    this.budgetResults = new Array<BudgetResult | undefined>(budgets);
  }

  #amountText: string | undefined;

  /** The request's amount formatted for people, computed once per evaluation. */
  get amountText(): string {
    return (this.#amountText ??= this.req.amount ? formatMoney(this.req.amount) : 'unknown');
  }

  get local(): LocalParts {
    return (this.#local ??= localParts(this.ms, this.tz));
  }
}

/** A compiled check: evaluates one rule, budget or section against a request. */
export interface Check {
  id: string;
  effect: Effect;
  shadow: boolean;
  kind: 'rule' | 'budget' | 'data' | 'trust' | 'conflict' | 'limit';
  /** Pushes what fired into `ctx`; throws {@link EvaluationError} when it cannot decide. */
  run(ctx: EvalContext): void;
}

/** The result of a budget on one request. */
export interface BudgetResult {
  applies: boolean;
  over: boolean;
  limit: Money;
  /** Spent or reserved before this request, in the budget's window (0 per transaction). */
  spent: number;
}

/** A compiled budget, used by the engine and the ledger. */
export interface CompiledBudget {
  index: number;
  spec: PolicyBudget;
  categories: readonly Category[] | undefined;
  vendors: readonly string[] | undefined;
  evaluate(ctx: EvalContext): BudgetResult;
}

/**
 * A policy compiled once into closures and per-action indexes, ready for fast decisions.
 * @see docs/policies.md
 */
export interface CompiledPolicy {
  readonly file: string;
  readonly source: string;
  /** Content hash of the source: the policy version every decision names. */
  readonly version: string;
  readonly name: string;
  readonly timezone: string;
  /** True when the whole file is shadow: evaluated and reported, never enforced. */
  readonly shadow: boolean;
  readonly document: PolicyDocument;
  readonly budgets: readonly CompiledBudget[];
  /** Checks that apply to each action, in file order (order never changes the answer). */
  readonly checks: Readonly<Record<PolicyAction, readonly Check[]>>;
  /** Every rule, budget and data-sharing id the file defines, with its effect (for coverage). */
  readonly ruleIds: readonly string[];
  /** Approval timeout in minutes (default 15). */
  readonly approvalTimeoutMinutes: number;
  /** Offers expiring sooner than this after arrival are flagged `short_deadline` (default 10; 0 = off). */
  readonly minimumDeliberationMinutes: number;
  /** Approvals that may wait at once in one task (default 3). */
  readonly maxPendingApprovalsPerTask: number;
}

const ACTIONS: readonly PolicyAction[] = [
  'order',
  'share_data',
  'contact_vendor',
  'enrol_vendor',
  'counter_offer',
  'recurring',
];
const MONEY_ACTIONS: ReadonlySet<PolicyAction> = new Set(['order', 'recurring']);
const LEVELS = { basic: 0, verified: 1, audited: 2 } as const;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const DAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ACTION_WORDS: Record<PolicyAction, string> = {
  order: 'this order',
  share_data: 'sharing this data',
  contact_vendor: 'contacting this vendor',
  enrol_vendor: 'enrolling this vendor',
  counter_offer: 'this counter-offer',
  recurring: 'this recurring charge',
};
const WINDOW_WORDS = {
  calendar: { day: 'today', week: 'this week', month: 'this month' },
  rolling: { day: 'in the last 24 hours', week: 'in the last 7 days', month: 'in the last 30 days' },
} as const;

const list = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];
const quoted = (xs: readonly string[]): string => xs.map((x) => `\`${x}\``).join(', ');

function needAmount(req: PolicyRequest, currency: string): number {
  if (!req.amount) throw new EvaluationError('the request has no amount');
  if (req.amount.currency !== currency) {
    throw new EvaluationError(`the amount is in ${req.amount.currency} but the rule is in ${currency}`);
  }
  return req.amount.amountMinor;
}

function needCategory(req: PolicyRequest): Category {
  if (!req.category) throw new EvaluationError('the request has no category');
  return req.category;
}

interface Condition {
  test(ctx: EvalContext): boolean;
  fact(ctx: EvalContext): string;
  change: string;
}

function compileConditions(
  w: RuleConditions | undefined,
  budgets: ReadonlyMap<string, CompiledBudget>,
): Condition[] {
  const out: Condition[] = [];
  if (!w) return out;
  const category = list(w.category);
  if (category) {
    const set = new Set<string>(category);
    out.push({
      test: (c) => set.has(needCategory(c.req)),
      fact: (c) => `the category is ${c.req.category ?? 'unknown'}`,
      change: `a category other than ${category.join(', ')}`,
    });
  }
  const v = w.vendor;
  if (v) {
    const origins = list(v.origin);
    if (origins) {
      const set = new Set<string>(origins);
      out.push({
        test: (c) => set.has(c.req.vendor.origin),
        fact: (c) => `the vendor is ${c.req.vendor.origin}`,
        change: 'another vendor',
      });
    }
    const bool = (name: 'verified' | 'signedCard' | 'enrolled' | 'new', yes: string, no: string): void => {
      const want = v[name];
      if (want === undefined) return;
      out.push({
        test: (c) => c.req.vendor[name] === want,
        fact: () => (want ? yes : no),
        change: want ? no : yes,
      });
    };
    bool('verified', 'the vendor is verified', 'the vendor is not verified');
    bool('signedCard', 'the vendor has a signed agent card', 'the vendor has no signed agent card');
    bool('enrolled', 'the vendor is enrolled', 'the vendor is not enrolled');
    bool('new', 'the vendor is new to you', 'a vendor you have used before');
    const registries = list(v.registry);
    if (registries) {
      const set = new Set(registries);
      out.push({
        test: (c) => c.req.vendor.registry !== undefined && set.has(c.req.vendor.registry),
        fact: (c) => `the vendor is vouched for by ${c.req.vendor.registry ?? 'no registry'}`,
        change: `a vendor from a registry other than ${quoted(registries)}`,
      });
    }
    const tiers = list(v.trustTier);
    if (tiers) {
      const set = new Set(tiers);
      out.push({
        test: (c) => c.req.vendor.trustTier !== undefined && set.has(c.req.vendor.trustTier),
        fact: (c) => `the vendor's trust tier is ${c.req.vendor.trustTier ?? 'none'}`,
        change: `a vendor outside trust tier ${quoted(tiers)}`,
      });
    }
    const lv = v.verificationLevel;
    if (lv?.below !== undefined) {
      const bound = LEVELS[lv.below];
      out.push({
        test: (c) =>
          (c.req.vendor.verificationLevel === undefined ? -1 : LEVELS[c.req.vendor.verificationLevel]) <
          bound,
        fact: (c) =>
          `the vendor's verification level is ${c.req.vendor.verificationLevel ?? 'none'}, below ${lv.below}`,
        change: `a vendor verified at level ${lv.below} or higher`,
      });
    }
    if (lv?.atLeast !== undefined) {
      const bound = LEVELS[lv.atLeast];
      out.push({
        test: (c) =>
          (c.req.vendor.verificationLevel === undefined ? -1 : LEVELS[c.req.vendor.verificationLevel]) >=
          bound,
        fact: (c) => `the vendor's verification level is ${c.req.vendor.verificationLevel ?? 'none'}`,
        change: `a vendor verified below level ${lv.atLeast}`,
      });
    }
  }
  const flags = list(w.flags);
  if (flags) {
    const set = new Set<FlagKind>(flags);
    out.push({
      test: (c) => c.req.flags.some((f) => set.has(f)),
      fact: (c) => `the vendor was flagged ${quoted(c.req.flags.filter((f) => set.has(f)))}`,
      change: `no ${quoted(flags)} flag`,
    });
  }
  const a = w.amount;
  if (a?.above) {
    const limit = a.above;
    const limitText = formatMoney(limit);
    out.push({
      test: (c) => needAmount(c.req, limit.currency) > limit.amountMinor,
      fact: (c) => `the total ${c.amountText} is above ${limitText}`,
      change: `a total of at most ${limitText}`,
    });
  }
  if (a?.atMost) {
    const limit = a.atMost;
    const limitText = formatMoney(limit);
    out.push({
      test: (c) => needAmount(c.req, limit.currency) <= limit.amountMinor,
      fact: (c) => `the total ${c.amountText} is at most ${limitText}`,
      change: `a total above ${limitText}`,
    });
  }
  if (w.recurring !== undefined) {
    const want = w.recurring;
    out.push({
      test: (c) => (c.req.recurring !== undefined || c.req.action === 'recurring') === want,
      fact: (c) =>
        want
          ? `it is a recurring charge${c.req.recurring ? ` (${c.req.recurring.period})` : ''}`
          : 'it is a one-off',
      change: want ? 'a one-off purchase' : 'a recurring charge',
    });
  }
  const data = list(w.data);
  if (data) {
    const set = new Set<DataClass>(data);
    out.push({
      test: (c) => c.req.dataClasses?.some((d) => set.has(d)) ?? false,
      fact: (c) => `it would share ${quoted((c.req.dataClasses ?? []).filter((d) => set.has(d)))}`,
      change: `leaving out ${quoted(data)}`,
    });
  }
  const purpose = list(w.purpose);
  if (purpose) {
    const set = new Set<string>(purpose);
    out.push({
      test: (c) => {
        if (c.req.purpose === undefined) throw new EvaluationError('the request has no purpose');
        return set.has(c.req.purpose);
      },
      fact: (c) => `the purpose is ${c.req.purpose ?? 'unknown'}`,
      change: `a purpose other than ${purpose.join(', ')}`,
    });
  }
  const hours = w.time?.hours;
  if (hours) {
    const { from, to } = hours;
    const inside = from < to ? (h: number) => h >= from && h < to : (h: number) => h >= from || h < to;
    out.push({
      test: (c) => inside(c.local.hour),
      fact: (c) =>
        `it is ${String(c.local.hour).padStart(2, '0')}:${String(c.local.minute).padStart(2, '0')} in ${c.tz}`,
      change: `a time outside ${from}:00–${to}:00`,
    });
  }
  const days = list(w.time?.days);
  if (days) {
    const set = new Set(days.map((d) => DAY_KEYS.indexOf(d)));
    out.push({
      test: (c) => set.has(c.local.weekday),
      fact: (c) => `it is ${DAY_NAMES[c.local.weekday] ?? 'that day'}`,
      change: 'another day of the week',
    });
  }
  for (const [name, cond] of Object.entries(w.counters ?? {}) as [
    CounterName,
    { atLeast?: number; below?: number } | undefined,
  ][]) {
    if (!cond) continue;
    const { atLeast, below } = cond;
    const read = (c: EvalContext): number => {
      const value = c.req.counters[name];
      if (value === undefined) throw new EvaluationError(`the request has no \`${name}\` counter`);
      return value;
    };
    out.push({
      test: (c) => {
        const n = read(c);
        return (atLeast === undefined || n >= atLeast) && (below === undefined || n < below);
      },
      fact: (c) => `${name} is ${c.req.counters[name] ?? '?'}`,
      change: `${name} ${atLeast !== undefined ? `below ${atLeast}` : `at least ${below ?? 0}`}`,
    });
  }
  if (w.overBudget !== undefined) {
    const budget = budgets.get(w.overBudget);
    if (!budget) throw new Error(`validated policy names unknown budget ${w.overBudget}`);
    const budgetLimitText = formatMoney(budget.spec.limit);
    out.push({
      test: (c) => {
        const r = budgetResult(budget, c);
        return r.applies && r.over;
      },
      fact: () => `it would take budget \`${budget.spec.id}\` over its ${budgetLimitText} limit`,
      change: `staying within budget \`${budget.spec.id}\``,
    });
  }
  return out;
}

function budgetResult(b: CompiledBudget, ctx: EvalContext): BudgetResult {
  let r = ctx.budgetResults[b.index];
  if (!r) {
    r = b.evaluate(ctx);
    ctx.budgetResults[b.index] = r;
  }
  return r;
}

function compileRule(rule: PolicyRule, budgets: ReadonlyMap<string, CompiledBudget>): Check {
  const conditions = compileConditions(rule.when, budgets);
  const shadow = rule.shadow === true;
  const describe = (ctx: EvalContext): string => {
    const facts = conditions.map((c) => c.fact(ctx)).filter((f) => f !== '');
    const what = facts.length > 0 ? facts.join(' and ') : `${ACTION_WORDS[ctx.req.action]} matches`;
    return `${rule.reason ? `${rule.reason}: ` : ''}${what} (rule \`${rule.id}\`)`;
  };
  const remedy =
    rule.effect === 'allow'
      ? undefined
      : `${rule.effect === 'ask' ? 'your approval, or ' : ''}${conditions.length > 0 ? conditions.map((c) => c.change).join(' or ') : 'a policy without this rule'} (rule \`${rule.id}\`)`;
  return {
    id: rule.id,
    effect: rule.effect,
    shadow,
    kind: 'rule',
    run(ctx) {
      // Action is handled by the per-action index; every other condition must hold.
      for (const c of conditions) if (!c.test(ctx)) return;
      ctx.fired.push({
        id: rule.id,
        effect: rule.effect,
        message: describe(ctx),
        remedy,
        shadow,
        grant: rule.effect === 'allow',
      });
    },
  };
}

function compileBudget(spec: PolicyBudget, index: number, tz: string): CompiledBudget {
  const categories = list(spec.category);
  const vendors = list(spec.vendor);
  const catSet = categories ? new Set<string>(categories) : undefined;
  const vendorSet = vendors ? new Set<string>(vendors) : undefined;
  const rolling = spec.window === 'rolling';
  const limit = spec.limit;
  const none: BudgetResult = { applies: false, over: false, limit, spent: 0 };
  return {
    index,
    spec,
    categories,
    vendors,
    evaluate(ctx) {
      const req = ctx.req;
      if (!MONEY_ACTIONS.has(req.action)) return none;
      if (vendorSet && !vendorSet.has(req.vendor.origin)) return none;
      if (catSet && !catSet.has(needCategory(req))) return none;
      const amount = needAmount(req, limit.currency);
      if (spec.per === 'transaction')
        return { applies: true, over: amount > limit.amountMinor, limit, spent: 0 };
      if (!ctx.spend) throw new EvaluationError('no spend ledger was given to check this window');
      if (Number.isNaN(ctx.ms)) throw new EvaluationError('the request time is not a valid instant');
      const sinceMs = windowStart(spec.per, rolling, ctx.ms, tz);
      const spent = ctx.spend({
        budgetId: spec.id,
        currency: limit.currency,
        categories,
        vendors: spec.eachVendor ? [req.vendor.origin] : vendors,
        sinceMs,
        nowMs: ctx.ms,
      });
      if (!Number.isSafeInteger(spent) || spent < 0)
        throw new EvaluationError('the ledger returned an invalid amount');
      return { applies: true, over: spent + amount > limit.amountMinor, limit, spent };
    },
  };
}

function budgetCheck(b: CompiledBudget): Check {
  const spec = b.spec;
  const effect: Effect = spec.over ?? 'deny';
  const shadow = spec.shadow === true;
  const scope = [
    spec.category ? `for ${list(spec.category)!.join(', ')}` : '',
    spec.vendor ? `with ${list(spec.vendor)!.join(', ')}` : '',
    spec.eachVendor ? 'with each vendor' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const when = spec.per === 'transaction' ? 'per order' : WINDOW_WORDS[spec.window ?? 'calendar'][spec.per];
  const specLimitText = formatMoney(spec.limit);
  return {
    id: spec.id,
    effect,
    shadow,
    kind: 'budget',
    run(ctx) {
      const r = budgetResult(b, ctx);
      if (!r.applies) return;
      const amount = ctx.req.amount!;
      if (
        spec.per === 'transaction' &&
        !shadow &&
        (ctx.amountCap === undefined || spec.limit.amountMinor < ctx.amountCap.amountMinor)
      ) {
        ctx.amountCap = spec.limit;
      }
      if (!r.over) return;
      const lead = spec.reason ? `${spec.reason}: ` : '';
      const limitText = `your ${specLimitText} limit${scope ? ` ${scope}` : ''} ${when}`;
      const message =
        spec.per === 'transaction'
          ? `${lead}the total ${ctx.amountText} is above ${limitText} (budget \`${spec.id}\`)`
          : `${lead}with this ${ctx.amountText} the spending ${when} would be ${formatMoney({ amountMinor: r.spent + amount.amountMinor, currency: amount.currency })}, above ${limitText} (budget \`${spec.id}\`)`;
      const left = Math.max(0, spec.limit.amountMinor - r.spent);
      const remedy = `${effect === 'ask' ? 'your approval, or ' : ''}a total of at most ${formatMoney({ amountMinor: left, currency: spec.limit.currency })} (budget \`${spec.id}\`)`;
      ctx.fired.push({ id: spec.id, effect, message, remedy, shadow, grant: false });
    },
  };
}

function dataCheck(entries: readonly DataSharingRule[]): Check {
  interface Entry {
    spec: DataSharingRule;
    data: ReadonlySet<DataClass>;
    purposes: ReadonlySet<string> | undefined;
    categories: ReadonlySet<string> | undefined;
    vendors: ReadonlySet<string> | undefined;
    shadow: boolean;
  }
  const compiled: Entry[] = entries.map((spec) => ({
    spec,
    data: new Set(list(spec.data)),
    purposes: spec.purpose ? new Set<string>(list(spec.purpose)) : undefined,
    categories: spec.category ? new Set<string>(list(spec.category)) : undefined,
    vendors: spec.vendor ? new Set<string>(list(spec.vendor)) : undefined,
    shadow: spec.shadow === true,
  }));
  const rank = { allow: 0, ask: 1, deny: 2 } as const;
  return {
    id: DATA_UNLISTED,
    effect: 'deny',
    shadow: false,
    kind: 'data',
    run(ctx) {
      const req = ctx.req;
      const classes = req.dataClasses;
      if (!classes || classes.length === 0)
        throw new EvaluationError('the request names no data classes to share');
      const matched = new Map<Entry, DataClass[]>();
      for (const cls of classes) {
        let best: Effect | undefined;
        let relay = false;
        for (const e of compiled) {
          if (!e.data.has(cls)) continue;
          let matches: boolean;
          try {
            matches =
              (!e.purposes ||
                (req.purpose !== undefined
                  ? e.purposes.has(req.purpose)
                  : fail('the request has no purpose'))) &&
              (!e.vendors || e.vendors.has(req.vendor.origin)) &&
              (!e.categories || e.categories.has(needCategory(req)));
          } catch (error) {
            // INVARIANT: an entry that errors counts as firing unless it would only allow.
            ctx.errors.push({ ruleId: e.spec.id, message: (error as Error).message, shadow: e.shadow });
            matches = e.spec.effect !== 'allow';
          }
          if (!matches) continue;
          const got = matched.get(e);
          if (got) got.push(cls);
          else matched.set(e, [cls]);
          if (e.shadow) continue;
          if (best === undefined || rank[e.spec.effect] > rank[best]) best = e.spec.effect;
          if (e.spec.relay && e.spec.effect !== 'deny') relay = true;
        }
        if (best === undefined) {
          ctx.fired.push({
            id: DATA_UNLISTED,
            effect: 'deny',
            message: `nothing in your policy allows sharing your ${cls}${req.purpose ? ` for ${req.purpose}` : ''} (rule \`${DATA_UNLISTED}\`)`,
            remedy: `leaving out \`${cls}\`, or a data-sharing rule that allows it (rule \`${DATA_UNLISTED}\`)`,
            shadow: false,
            grant: false,
          });
          ctx.redact.add(cls);
        } else if (best === 'deny') {
          ctx.redact.add(cls);
        } else if (relay) {
          ctx.relay.add(cls);
        }
      }
      for (const [e, cls] of matched) {
        const what = quoted(cls);
        const purpose = req.purpose ? ` for ${req.purpose}` : '';
        const lead = e.spec.reason ? `${e.spec.reason}: ` : '';
        const message =
          e.spec.effect === 'deny'
            ? `${lead}your policy does not share ${what}${purpose} (rule \`${e.spec.id}\`)`
            : e.spec.effect === 'ask'
              ? `${lead}sharing ${what}${purpose} needs your approval${e.spec.relay ? ', through a relay address' : ''} (rule \`${e.spec.id}\`)`
              : `${lead}sharing ${what}${purpose} is allowed${e.spec.relay ? ' through a relay address' : ''} (rule \`${e.spec.id}\`)`;
        const remedy =
          e.spec.effect === 'allow'
            ? undefined
            : `${e.spec.effect === 'ask' ? 'your approval, or ' : ''}leaving out ${what} (rule \`${e.spec.id}\`)`;
        ctx.fired.push({
          id: e.spec.id,
          effect: e.spec.effect,
          message,
          remedy,
          shadow: e.shadow,
          grant: e.spec.effect === 'allow',
        });
      }
    },
  };
}

function fail(message: string): never {
  throw new EvaluationError(message);
}

function trustChecks(t: PolicyDocument['trust']): Check[] {
  const shadow = false; // this section has no per-entry shadow; a shadow file is handled by decide()
  if (!t) return [];
  const effect: Effect = t.otherwise ?? 'deny';
  const out: Check[] = [];
  const ask = effect === 'ask' ? 'your approval, or ' : '';
  if (t.requireSignedCard) {
    const id = 'trust.signed-card';
    out.push({
      id,
      effect,
      shadow,
      kind: 'trust',
      run(ctx) {
        if (ctx.req.vendor.signedCard) return;
        ctx.fired.push({
          id,
          effect,
          message: `the vendor's agent card is not signed (rule \`${id}\`)`,
          remedy: `${ask}a vendor with a signed agent card (rule \`${id}\`)`,
          shadow,
          grant: false,
        });
      },
    });
  }
  if (t.registries) {
    const id = 'trust.registry';
    const set = new Set(t.registries);
    const names = quoted(t.registries);
    out.push({
      id,
      effect,
      shadow,
      kind: 'trust',
      run(ctx) {
        const r = ctx.req.vendor.registry;
        if (r !== undefined && set.has(r)) return;
        ctx.fired.push({
          id,
          effect,
          message: `${r === undefined ? 'no registry vouches for the vendor' : `the vendor is vouched for by \`${r}\`, a registry you do not trust`} (rule \`${id}\`)`,
          remedy: `${ask}a vendor vouched for by ${names} (rule \`${id}\`)`,
          shadow,
          grant: false,
        });
      },
    });
  }
  if (t.minVerificationLevel) {
    const id = 'trust.verification-level';
    const min = t.minVerificationLevel;
    const bound = LEVELS[min];
    out.push({
      id,
      effect,
      shadow,
      kind: 'trust',
      run(ctx) {
        const lv = ctx.req.vendor.verificationLevel;
        if (lv !== undefined && LEVELS[lv] >= bound) return;
        ctx.fired.push({
          id,
          effect,
          message: `the vendor's verification level is ${lv ?? 'none'}, below your minimum ${min} (rule \`${id}\`)`,
          remedy: `${ask}a vendor verified at level ${min} or higher (rule \`${id}\`)`,
          shadow,
          grant: false,
        });
      },
    });
  }
  return out;
}

/** The minimum time to decide on an offer when the policy does not say (THREATS #8). */
const DEFAULT_MINIMUM_DELIBERATION_MINUTES = 10;

const CONFLICT_WORDS: Record<FlagKind, string> = {
  affiliated_counterparty: 'the vendor is affiliated with your agent’s maker or operator',
  undisclosed_affiliation: 'the vendor has an affiliation it did not disclose',
  paid_placement: 'the offer is a paid placement',
  steering_suspected: 'the recommendation may be steered towards an affiliated offer',
  self_preferencing: 'the recommendation prefers the recommender’s own offer',
  sybil_competition: 'several competing vendors appear to share one owner',
  confusable_name: 'the vendor’s name looks like another known vendor’s',
  stale_provenance: 'the ownership facts about the vendor are out of date',
  instruction_like_text: 'the vendor’s text contains instruction-like content',
  urgency_language: 'the vendor uses pressure or urgency language',
  short_deadline: 'the offer expires before your minimum time to decide',
  task_mismatch: 'the offer does not match what you asked for',
  unverified_claim: 'the vendor makes a claim nobody you trust has verified',
};

function conflictChecks(conflicts: PolicyDocument['conflicts']): Check[] {
  const shadow = false; // this section has no per-entry shadow; a shadow file is handled by decide()
  if (!conflicts) return [];
  const out: Check[] = [];
  for (const [kind, handling] of Object.entries(conflicts) as [FlagKind, ConflictHandling | undefined][]) {
    if (handling === undefined) continue;
    const h = typeof handling === 'string' ? { effect: handling } : handling;
    const id = `conflict.${kind}`;
    const lead = 'reason' in h && h.reason ? `${h.reason}: ` : '';
    const words = CONFLICT_WORDS[kind];
    const verdict =
      h.effect === 'allow'
        ? 'your policy allows it, flagged for you'
        : h.effect === 'ask'
          ? 'your policy asks you first'
          : 'your policy refuses it';
    out.push({
      id,
      effect: h.effect,
      shadow,
      kind: 'conflict',
      run(ctx) {
        if (!ctx.req.flags.includes(kind)) return;
        ctx.fired.push({
          id,
          effect: h.effect,
          message: `${lead}${words}; ${verdict} (rule \`${id}\`)`,
          remedy:
            h.effect === 'allow'
              ? undefined
              : `${h.effect === 'ask' ? 'your approval, or ' : ''}a vendor without the \`${kind}\` flag (rule \`${id}\`)`,
          shadow,
          grant: false,
        });
      },
    });
    if ('requireUnaffiliatedAlternative' in h && h.requireUnaffiliatedAlternative) {
      const alt = `${id}.alternative`;
      out.push({
        id: alt,
        effect: 'deny',
        shadow,
        kind: 'conflict',
        run(ctx) {
          if (!ctx.req.flags.includes(kind)) return;
          const has = ctx.req.unaffiliatedAlternative;
          if (has === undefined)
            throw new EvaluationError(
              'the request does not say whether an unaffiliated alternative was offered',
            );
          if (has) return;
          ctx.fired.push({
            id: alt,
            effect: 'deny',
            message: `${words}, and no unaffiliated alternative was offered (rule \`${alt}\`)`,
            remedy: `at least one offer from an unaffiliated vendor alongside (rule \`${alt}\`)`,
            shadow,
            grant: false,
          });
        },
      });
    }
  }
  return out;
}

function limitChecks(
  limits: PolicyDocument['limits'],
): { check: Check; actions?: readonly PolicyAction[] }[] {
  const shadow = false; // this section has no per-entry shadow; a shadow file is handled by decide()
  if (!limits) return [];
  const out: { check: Check; actions?: readonly PolicyAction[] }[] = [];
  const add = (
    id: string,
    max: number | undefined,
    counter: CounterName,
    words: string,
    actions?: readonly PolicyAction[],
  ): void => {
    if (max === undefined) return;
    out.push({
      actions,
      check: {
        id,
        effect: 'deny',
        shadow,
        kind: 'limit',
        run(ctx) {
          const n = ctx.req.counters[counter];
          if (n === undefined) throw new EvaluationError(`the request has no \`${counter}\` counter`);
          if (n < max) return;
          ctx.fired.push({
            id,
            effect: 'deny',
            message: `${words} already reached your limit of ${max} (rule \`${id}\`)`,
            remedy: `waiting, or a higher \`${id.slice(6)}\` limit (rule \`${id}\`)`,
            shadow,
            grant: false,
          });
        },
      },
    });
  };
  add('limit.max-vendors', limits.maxVendors, 'vendorsContacted', 'the vendors contacted for this task', [
    'contact_vendor',
  ]);
  add('limit.max-rounds', limits.maxRounds, 'roundsSoFar', 'the negotiation rounds', ['counter_offer']);
  add('limit.max-orders-per-day', limits.maxOrdersPerDay, 'ordersToday', 'the orders today', [
    'order',
    'recurring',
  ]);
  add('limit.max-orders-per-vendor-per-day', limits.maxOrdersPerVendorPerDay, 'vendorOrdersToday', 'the orders with this vendor today', [
    'order',
    'recurring',
  ]);
  add('limit.max-tool-calls', limits.maxToolCalls, 'toolCalls', 'the tool calls in this session');
  return out;
}

/**
 * Compiles a validated policy (stage 3) into closures indexed by action, so that a decision
 * touches only the checks that can apply and allocates little.
 * @see docs/policies.md
 */
export function compilePolicy(validated: ValidatedPolicy): CompiledPolicy {
  const d = validated.document;
  // INVARIANT: checks carry only their own `shadow`; a shadow *file* is handled by decide(), so the
  // same compiled policy can be evaluated as if enforced when it runs alongside the active one.
  const budgets = (d.budgets ?? []).map((b, i) => compileBudget(b, i, d.timezone));
  const byId = new Map(budgets.map((b) => [b.spec.id, b]));
  const checks: Record<PolicyAction, Check[]> = {
    order: [],
    share_data: [],
    contact_vendor: [],
    enrol_vendor: [],
    counter_offer: [],
    recurring: [],
  };
  const add = (check: Check, actions: readonly PolicyAction[] | undefined): void => {
    for (const a of actions ?? ACTIONS) checks[a].push(check);
  };
  for (const c of trustChecks(d.trust)) add(c, undefined);
  for (const b of budgets) add(budgetCheck(b), ['order', 'recurring']);
  add(dataCheck(d.dataSharing ?? []), ['share_data']);
  for (const c of conflictChecks(d.conflicts)) add(c, undefined);
  for (const { check, actions } of limitChecks(d.limits)) add(check, actions);
  for (const r of d.rules ?? []) add(compileRule(r, byId), list(r.when?.action));
  return {
    file: validated.file,
    source: validated.source,
    version: validated.version,
    name: d.name,
    timezone: d.timezone,
    shadow: d.shadow === true,
    document: d,
    budgets,
    checks,
    ruleIds: [
      ...(d.budgets ?? []).map((b) => b.id),
      ...(d.dataSharing ?? []).map((s) => s.id),
      ...(d.rules ?? []).map((r) => r.id),
    ],
    approvalTimeoutMinutes: d.approvals?.timeoutMinutes ?? 15,
    minimumDeliberationMinutes: d.approvals?.minimumDeliberationMinutes ?? DEFAULT_MINIMUM_DELIBERATION_MINUTES,
    maxPendingApprovalsPerTask: d.approvals?.maxPendingPerTask ?? 3,
  };
}
