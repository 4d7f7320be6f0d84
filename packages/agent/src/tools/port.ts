import { z } from 'zod';
import type { TaskSpec} from '@steward/protocol';
import { FlagKind, Id, Money, Origin, VerificationLevel } from '@steward/protocol';

/** Longest vendor free text the agent passes on; longer text is cut and marked. */
export const VENDOR_TEXT_MAX = 280;

/**
 * Vendor free text as the model may see it: one labelled field, capped, never merged into a
 * system or user message (THREATS #1, #2).
 */
export const UntrustedVendorText = z.strictObject({ untrustedVendorText: z.string().max(VENDOR_TEXT_MAX + 16) });
export type UntrustedVendorText = z.infer<typeof UntrustedVendorText>;

/** A vendor as the broker describes it to the agent: verified identity, never the vendor's own claims. */
export const VendorView = z.strictObject({
  origin: Origin,
  displayName: z.string().min(1).max(100),
  verified: z.boolean(),
  verificationLevel: VerificationLevel.nullable(),
});
export type VendorView = z.infer<typeof VendorView>;

/** A conflict-of-interest or screening flag, as the agent shows it. */
export const FlagView = z.strictObject({ kind: FlagKind, summary: z.string().max(300) });
export type FlagView = z.infer<typeof FlagView>;

/**
 * An offer as the agent (and its model) may see it: structured fields the broker has verified,
 * screened and flagged. Vendor prose appears only in `vendorNote`, labelled as untrusted.
 */
export const OfferView = z.strictObject({
  offerId: Id,
  vendor: VendorView,
  items: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(64),
        name: z.string().min(1).max(120),
        quantity: z.number().int().min(1).max(1000),
        lineTotal: Money,
        /** Which requested item (by position in the task) this line answers. */
        requestIndex: z.number().int().min(0).max(99).optional(),
      }),
    )
    .min(1)
    .max(100),
  feesTotal: Money,
  /** Items plus every fee: what the person would pay. */
  total: Money,
  delivery: z.strictObject({ start: z.iso.datetime({ offset: true }), end: z.iso.datetime({ offset: true }) }).nullable(),
  sponsored: z.boolean(),
  flags: z.array(FlagView).max(20),
  vendorNote: UntrustedVendorText.optional(),
});
export type OfferView = z.infer<typeof OfferView>;

/** The broker's answer to opening a task: its id and, at most, a target price (never the cap). */
export const OpenTaskResult = z.strictObject({
  taskId: Id,
  /** A price to aim for that the broker is willing to tell a model; never the person's cap (THREATS #35). */
  target: Money.optional(),
});
export type OpenTaskResult = z.infer<typeof OpenTaskResult>;

/** Vendors the broker found for a task. */
export const FindVendorsResult = z.strictObject({ vendors: z.array(VendorView).max(100) });
export type FindVendorsResult = z.infer<typeof FindVendorsResult>;

/** Offers collected in the broker's window, in the broker's (randomised) order. */
export const RequestQuotesResult = z.strictObject({ offers: z.array(OfferView).max(100) });
export type RequestQuotesResult = z.infer<typeof RequestQuotesResult>;

/** What became of a counter-offer: a revised offer, a refusal by the vendor, or a refusal by the broker. */
export const CounterOfferResult = z.strictObject({
  status: z.enum(['revised', 'declined', 'refused']),
  offer: OfferView.optional(),
  reasons: z.array(z.string().max(300)).max(20),
});
export type CounterOfferResult = z.infer<typeof CounterOfferResult>;

/** The broker's check of a recommendation for steering (an affiliated offer over a better one). */
export const RecommendResult = z.strictObject({
  status: z.enum(['accepted', 'flagged', 'refused']),
  reasons: z.array(z.string().max(300)).max(20),
});
export type RecommendResult = z.infer<typeof RecommendResult>;

/** A question the broker passed on to the person. */
export const AskPersonResult = z.strictObject({ status: z.enum(['asked', 'refused']), reasons: z.array(z.string().max(300)).max(20) });
export type AskPersonResult = z.infer<typeof AskPersonResult>;

/** The broker's decision on an order: it signs only when the policy allows or the person approved. */
export const PlaceOrderResult = z.strictObject({
  status: z.enum(['ordered', 'needs_approval', 'denied', 'failed']),
  reasons: z.array(z.string().max(300)).max(20),
  approvalId: Id.optional(),
  orderId: Id.optional(),
});
export type PlaceOrderResult = z.infer<typeof PlaceOrderResult>;

/**
 * The only actions the personal agent has. The broker implements this port; every call is checked
 * there (identity, policy, steering, audit), so nothing the agent or its model asks for goes further
 * than the person's policy allows.
 *
 * `openTask` is called by the agent's own code with the parsed task (it carries the budget for the
 * broker); the model never calls it and never sees the budget. The other six are the model's tools.
 * @see /docs/agent.md
 */
export interface BrokerTools {
  /** Registers the task with the broker; the budget stays there. */
  openTask(input: { conversationId: string; task: TaskSpec }): Promise<OpenTaskResult>;
  /** Discovers vendor agents for the task (enrolled list, registries the person trusts). */
  findVendors(input: { taskId: string }): Promise<FindVendorsResult>;
  /** Sends signed requests for quotes and returns the verified, screened, flagged offers. */
  requestQuotes(input: { taskId: string }): Promise<RequestQuotesResult>;
  /** Asks a vendor for a lower all-in total (bounded rounds; never reveals a cap). */
  counterOffer(input: { taskId: string; offerId: string; askTotal: Money }): Promise<CounterOfferResult>;
  /** Proposes an offer with reasons; the broker checks it for steering. */
  recommend(input: { taskId: string; offerId: string; reasons: string[] }): Promise<RecommendResult>;
  /** Puts a question to the person through the broker's channel (logged like everything else). */
  askPerson(input: { taskId: string; question: string }): Promise<AskPersonResult>;
  /** Asks the broker to order: it decides (policy, approval) and signs, or refuses with reasons. */
  placeOrder(input: { taskId: string; offerId: string }): Promise<PlaceOrderResult>;
}

/** Names of the model's tools, as the model sees them. */
export const TOOL_NAMES = ['find_vendors', 'request_quotes', 'counter_offer', 'recommend', 'ask_person', 'place_order'] as const;
/** A tool name. */
export type ToolName = (typeof TOOL_NAMES)[number];

/** Something the agent refused or saw refused, reported to the broker's audit port. */
export interface AgentViolation {
  kind:
    | 'tool_outside_task_set'
    | 'tool_args_invalid'
    | 'unknown_offer'
    | 'vendor_text_echoed'
    | 'broker_refused'
    | 'plan_corrected'
    | 'model_call_limit'
    | 'tool_call_limit'
    | 'timeout';
  conversationId: string;
  taskId?: string;
  /** The tool involved, as the model named it. */
  tool?: string;
  /** What happened, in words a person understands. */
  summary: string;
}

/** Where the agent reports violations (the broker appends them to the audit log). */
export type ViolationSink = (violation: AgentViolation) => void | Promise<void>;

/** Cuts vendor text to {@link VENDOR_TEXT_MAX} and marks the cut, so long prose never reaches a model whole. */
export function capVendorText(text: string): UntrustedVendorText {
  // eslint-disable-next-line no-control-regex
  const clean = text.normalize('NFKC').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u{e0000}-\u{e007f}]/gu, ' ');
  const capped = clean.length > VENDOR_TEXT_MAX ? `${clean.slice(0, VENDOR_TEXT_MAX)}…[cut]` : clean;
  return { untrustedVendorText: capped };
}
