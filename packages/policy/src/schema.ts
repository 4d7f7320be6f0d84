import { z } from 'zod';
import { Category, DataClass, Effect, FlagKind, Origin, Purpose, VerificationLevel } from '@steward/protocol';
import { parseMoneyText } from './money.ts';
import { CounterName, PolicyAction, PolicyVendor, RecurringPeriod } from './request.ts';

const oneOrMany = <T extends z.ZodType>(s: T) => z.union([s, z.array(s).min(1).max(100)]);

/** A rule, budget or data-sharing id: lowercase letters, digits and `.-_`. */
export const RuleId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,63}$/,
    'must be lowercase letters, digits, `-` and `_` (at most 64), e.g. `ask-unverified`',
  );

/** Money as people write it in a policy file: `50.00 USD`. */
export const MoneyText = z
  .string()
  .regex(/^\s*\d{1,15}(\.\d{1,3})?\s+[A-Z]{3}\s*$/, 'must be an amount and a currency, e.g. `50.00 USD`')
  .describe('an amount and an ISO 4217 currency, e.g. `50.00 USD`')
  .transform((text, ctx) => {
    const money = parseMoneyText(text);
    if (typeof money === 'string') {
      ctx.addIssue({ code: 'custom', message: money, input: text });
      return z.NEVER;
    }
    return money;
  });

/** An IANA time zone name the runtime knows, e.g. `Europe/Berlin`. */
export const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as `Europe/Berlin` or `America/New_York`' },
);

/** A day of the week. */
export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const Amount = z.strictObject({ above: MoneyText.optional(), atMost: MoneyText.optional() });
const Count = z.strictObject({
  atLeast: z.number().int().min(0).optional(),
  below: z.number().int().min(1).optional(),
});

/** The conditions of a rule; all must hold. An empty `when` matches every request. */
export const RuleConditions = z.strictObject({
  action: oneOrMany(PolicyAction).optional(),
  category: oneOrMany(Category).optional(),
  vendor: z
    .strictObject({
      origin: oneOrMany(Origin).optional(),
      verified: z.boolean().optional(),
      signedCard: z.boolean().optional(),
      enrolled: z.boolean().optional(),
      new: z.boolean().optional(),
      registry: oneOrMany(z.string().min(1).max(256)).optional(),
      trustTier: oneOrMany(z.string().min(1).max(32)).optional(),
      verificationLevel: z
        .strictObject({ below: VerificationLevel.optional(), atLeast: VerificationLevel.optional() })
        .optional(),
    })
    .optional(),
  /** Matches when any of these flags was raised. */
  flags: oneOrMany(FlagKind).optional(),
  amount: Amount.optional(),
  recurring: z.boolean().optional(),
  /** Matches when any of these data classes would be shared. */
  data: oneOrMany(DataClass).optional(),
  purpose: oneOrMany(Purpose).optional(),
  time: z
    .strictObject({
      /** Local hours in the policy's time zone, `from` inclusive to `to` exclusive; wraps past midnight. */
      hours: z
        .strictObject({ from: z.number().int().min(0).max(23), to: z.number().int().min(0).max(24) })
        .optional(),
      days: oneOrMany(Weekday).optional(),
    })
    .optional(),
  counters: z.partialRecord(CounterName, Count).optional(),
  /** Matches when this request would take the named budget over its limit. */
  overBudget: RuleId.optional(),
});
export type RuleConditions = z.output<typeof RuleConditions>;

/** A rule: when its conditions hold, it allows, asks or denies. */
export const PolicyRule = z.strictObject({
  id: RuleId,
  effect: Effect.describe('allow, ask (needs your approval) or deny'),
  when: RuleConditions.optional().describe('conditions that must all hold; leave out to match everything'),
  /** Said to the person when the rule fires, e.g. `your limit for unverified vendors`. */
  reason: z.string().min(1).max(300).optional(),
  /** Evaluated and reported, never enforced. */
  shadow: z.boolean().optional(),
});
export type PolicyRule = z.output<typeof PolicyRule>;

/** A spending limit per transaction or per window, optionally per category and vendor. */
export const PolicyBudget = z.strictObject({
  id: RuleId,
  limit: MoneyText,
  per: z.enum(['transaction', 'day', 'week', 'month']),
  /** `calendar` windows start at local midnight / Monday / the 1st; `rolling` ones end now. Default calendar. */
  window: z.enum(['calendar', 'rolling']).optional(),
  category: oneOrMany(Category).optional(),
  vendor: oneOrMany(Origin).optional(),
  /**
   * The limit applies to each vendor on its own: only spending with the order's vendor counts
   * (THREATS #18: splitting across days or orders at one vendor). Not for `per: transaction`.
   */
  eachVendor: z.boolean().optional().describe('the limit applies to each vendor on its own: only spending with the order\'s vendor counts'),
  /** What happens when an order would go over: `deny` (default) or `ask`. */
  over: z.enum(['ask', 'deny']).optional(),
  reason: z.string().min(1).max(300).optional(),
  shadow: z.boolean().optional(),
});
export type PolicyBudget = z.output<typeof PolicyBudget>;

/** Which personal data may leave, for which purpose, to whom. */
export const DataSharingRule = z.strictObject({
  id: RuleId,
  data: oneOrMany(DataClass),
  purpose: oneOrMany(Purpose).optional(),
  category: oneOrMany(Category).optional(),
  vendor: oneOrMany(Origin).optional(),
  effect: Effect,
  /** For email: give the vendor a relay address, never the real one. */
  relay: z.boolean().optional(),
  reason: z.string().min(1).max(300).optional(),
  shadow: z.boolean().optional(),
});
export type DataSharingRule = z.output<typeof DataSharingRule>;

/** How to handle one kind of conflict-of-interest flag. */
export const ConflictHandling = z.union([
  Effect,
  z.strictObject({
    effect: Effect,
    /** Refuse unless at least one unaffiliated alternative offer was presented. */
    requireUnaffiliatedAlternative: z.boolean().optional(),
    reason: z.string().min(1).max(300).optional(),
  }),
]);
export type ConflictHandling = z.output<typeof ConflictHandling>;

const conflictShape = Object.fromEntries(
  FlagKind.options.map((k) => [k, ConflictHandling.optional()]),
) as Record<FlagKind, z.ZodOptional<typeof ConflictHandling>>;

/** A request in a policy file's `tests:`; unset fields take the documented test defaults. */
export const PolicyTestRequest = z.strictObject({
  action: PolicyAction,
  category: Category.optional(),
  /** Overrides of the default test vendor; `null` removes an optional field (e.g. `registry: null`). */
  vendor: PolicyVendor.partial()
    .extend({
      registry: z.string().min(1).max(256).nullable().optional(),
      verificationLevel: VerificationLevel.nullable().optional(),
      trustTier: z.string().min(1).max(32).nullable().optional(),
    })
    .optional(),
  amount: MoneyText.optional(),
  recurring: z.strictObject({ period: RecurringPeriod }).optional(),
  dataClasses: z.array(DataClass).max(20).optional(),
  purpose: Purpose.optional(),
  flags: z.array(FlagKind).max(50).optional(),
  unaffiliatedAlternative: z.boolean().optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  /** Overrides of the default counters (all 0); `null` removes one, to test fail-closed handling. */
  counters: z.partialRecord(CounterName, z.number().int().min(0).nullable()).optional(),
});
export type PolicyTestRequest = z.output<typeof PolicyTestRequest>;

/** One test inside a policy file: a request and the answer the person expects. */
export const PolicyTest = z.strictObject({
  name: z.string().min(1).max(200),
  request: PolicyTestRequest,
  /** Money already spent in each budget's current window, by budget id. */
  spent: z.record(RuleId, MoneyText).optional(),
  expect: z.strictObject({
    effect: Effect,
    /** The determining rules, in any order. */
    rules: z.array(z.string().max(128)).max(50).optional(),
    redact: z.array(DataClass).max(20).optional(),
    relay: z.array(DataClass).max(20).optional(),
  }),
});
export type PolicyTest = z.output<typeof PolicyTest>;

/**
 * A policy file as a person writes it (YAML under `policies/`). Unknown fields are rejected.
 * @see docs/policies.md
 */
export const PolicyDocument = z.strictObject({
  version: z.literal(1).describe('the policy language version; always 1'),
  name: z.string().min(1).max(100).describe('a short name for this policy'),
  description: z.string().max(2000).optional(),
  /** The person's time zone: calendar windows and time conditions use it. */
  timezone: TimeZone.describe(
    'your IANA time zone, e.g. `Europe/Berlin`: calendar windows and time conditions use it',
  ),
  /** The whole file is evaluated and reported, never enforced. */
  shadow: z
    .boolean()
    .optional()
    .describe('evaluate and report this whole file next to the active policy, never enforce it'),
  trust: z
    .strictObject({
      requireSignedCard: z.boolean().optional(),
      /** Registries (ids or origins) whose vouching counts; a vendor from any other is unmet. */
      registries: z.array(z.string().min(1).max(256)).max(50).optional(),
      minVerificationLevel: VerificationLevel.optional(),
      /** What an unmet requirement does: `deny` (default) or `ask`. */
      otherwise: z.enum(['ask', 'deny']).optional(),
    })
    .optional(),
  budgets: z
    .array(PolicyBudget)
    .max(200)
    .optional()
    .describe('spending limits per order or per day, week or month'),
  dataSharing: z
    .array(DataSharingRule)
    .max(200)
    .optional()
    .describe('which personal data may leave, for which purpose, to whom; anything not listed is refused'),
  rules: z
    .array(PolicyRule)
    .max(2000)
    .optional()
    .describe(
      'allow / ask / deny rules; deny beats ask beats allow, and nothing is allowed unless a rule allows it',
    ),
  conflicts: z
    .strictObject(conflictShape)
    .optional()
    .describe('what each conflict-of-interest flag does: allow (flagged), ask or deny'),
  approvals: z
    .strictObject({
      /** An approval not given within this many minutes is a deny. Default 15. */
      timeoutMinutes: z.number().int().min(1).max(10080).optional(),
      /**
       * An offer that expires sooner than this many minutes after it arrives is flagged
       * `short_deadline` (THREATS #8): a vendor deadline never rushes you. Default 10; 0 turns it off.
       */
      minimumDeliberationMinutes: z
        .number()
        .int()
        .min(0)
        .max(1440)
        .optional()
        .describe('an offer that expires sooner than this many minutes after it arrives is flagged short_deadline; default 10, 0 turns it off'),
      /** At most this many approvals wait for you at once in one task (THREATS #34). Default 3. */
      maxPendingPerTask: z
        .number()
        .int()
        .min(1)
        .max(50)
        .optional()
        .describe('at most this many approvals wait for you at once in one task; a further order is refused until you answer; default 3'),
    })
    .optional(),
  limits: z
    .strictObject({
      maxVendors: z.number().int().min(1).max(1000).optional(),
      maxRounds: z.number().int().min(0).max(100).optional(),
      maxOrdersPerDay: z.number().int().min(0).max(1000).optional(),
      /** Orders with any one vendor in a day (THREATS #18: velocity at one vendor). */
      maxOrdersPerVendorPerDay: z.number().int().min(0).max(1000).optional(),
      maxToolCalls: z.number().int().min(1).max(100000).optional(),
    })
    .optional(),
  tests: z
    .array(PolicyTest)
    .max(1000)
    .optional()
    .describe('requests and the answers you expect; run with `steward policy test`'),
});
export type PolicyDocument = z.output<typeof PolicyDocument>;
