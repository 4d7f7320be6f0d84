import { z } from 'zod';
import {
  Category,
  DataClass,
  FlagKind,
  IsoDateTime,
  Money,
  Origin,
  Purpose,
  VerificationLevel,
} from '@steward/protocol';

/**
 * What the broker asks the policy about.
 * @see docs/policies.md
 */
export const PolicyAction = z.enum([
  'order',
  'share_data',
  'contact_vendor',
  'enrol_vendor',
  'counter_offer',
  'recurring',
]);
export type PolicyAction = z.infer<typeof PolicyAction>;

/** The vendor as the broker verified it (never as the vendor describes itself). */
export const PolicyVendor = z.strictObject({
  origin: Origin,
  /** True when the vendor's identity was verified through a registry the person trusts. */
  verified: z.boolean(),
  /** True when the vendor's agent card carried a valid signature. */
  signedCard: z.boolean(),
  /** The id (or origin) of the registry that vouched for the vendor. */
  registry: z.string().min(1).max(256).optional(),
  verificationLevel: VerificationLevel.optional(),
  /** The person's own label for the vendor, e.g. `trusted`, `probation`. */
  trustTier: z.string().min(1).max(32).optional(),
  enrolled: z.boolean(),
  /** True when the person has never dealt with this vendor before. */
  new: z.boolean(),
});
export type PolicyVendor = z.infer<typeof PolicyVendor>;

/** How often a recurring charge repeats. */
export const RecurringPeriod = z.enum(['weekly', 'monthly', 'yearly']);
export type RecurringPeriod = z.infer<typeof RecurringPeriod>;

/** Counters the broker keeps for the session and the day; the limits section checks them. */
export const PolicyCounters = z.strictObject({
  ordersToday: z.number().int().min(0).optional(),
  /** Orders placed in the last day with the vendor of this request (THREATS #18 velocity). */
  vendorOrdersToday: z.number().int().min(0).optional(),
  roundsSoFar: z.number().int().min(0).optional(),
  vendorsContacted: z.number().int().min(0).optional(),
  toolCalls: z.number().int().min(0).optional(),
});
export type PolicyCounters = z.infer<typeof PolicyCounters>;

/** The names of the counters, for rule conditions. */
export const CounterName = z.enum(['ordersToday', 'vendorOrdersToday', 'roundsSoFar', 'vendorsContacted', 'toolCalls']);
export type CounterName = z.infer<typeof CounterName>;

/**
 * One question for the policy engine, built by the broker from verified facts.
 * @see docs/policies.md
 */
export const PolicyRequest = z.strictObject({
  action: PolicyAction,
  category: Category.optional(),
  vendor: PolicyVendor,
  /** The all-in total (items, fees, tax, shipping), for orders and recurring charges. */
  amount: Money.optional(),
  recurring: z.strictObject({ period: RecurringPeriod }).optional(),
  /** For `share_data`: the classes of personal data that would leave, and why. */
  dataClasses: z.array(DataClass).max(20).optional(),
  purpose: Purpose.optional(),
  /** Conflict-of-interest and screening flags raised on this vendor or offer. */
  flags: z.array(FlagKind).max(50),
  /** True when at least one unaffiliated alternative offer was presented alongside. */
  unaffiliatedAlternative: z.boolean().optional(),
  /** When the request is made (the policy's time conditions and windows use it). */
  time: IsoDateTime,
  counters: PolicyCounters,
});
export type PolicyRequest = z.infer<typeof PolicyRequest>;
