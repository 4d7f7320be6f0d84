import { z } from 'zod';
import { DataClass, EpochSeconds, Id, IsoDate, IsoDateTime, Money, Origin, Sha256B64u, Sku, vendorText, Category } from './primitives.ts';

/** JWS `typ` values, one per purpose, so a signature of one purpose never passes as another. */
export const MessageType = {
  rfq: 'steward-rfq+jwt',
  offer: 'steward-offer+jwt',
  counterOffer: 'steward-counter-offer+jwt',
  order: 'steward-order+jwt',
  receipt: 'steward-receipt+jwt',
  credential: 'steward-vendor-credential+jwt',
  paymentToken: 'steward-payment-token+jwt',
  manifest: 'steward-agent-manifest+jwt',
} as const;
export type MessageTypeName = keyof typeof MessageType;
export type MessageTypValue = (typeof MessageType)[MessageTypeName];

/** Claims every signed message carries (RFC 7519 names). */
export const MessageClaims = z.strictObject({
  iss: z.string().min(1).max(256),
  aud: z.string().min(1).max(256),
  iat: EpochSeconds,
  exp: EpochSeconds,
  jti: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16 to 128 base64url characters'),
});
export type MessageClaims = z.infer<typeof MessageClaims>;

/** Billing period of a price: anything but `one_off` is recurring and needs separate consent. */
export const BillingPeriod = z.enum(['one_off', 'weekly', 'monthly', 'yearly']);
export type BillingPeriod = z.infer<typeof BillingPeriod>;

/** An item the person wants, as the broker asks for it. */
export const RequestedItem = z.strictObject({
  sku: Sku.optional(),
  description: z.string().min(1).max(200),
  quantity: z.number().int().min(1).max(1000),
  unit: z.string().max(32).optional(),
});
export type RequestedItem = z.infer<typeof RequestedItem>;

/** What a task asks for beyond items: when, where roughly, how many. Never the person's budget. */
export const RfqConstraints = z.strictObject({
  deliverBy: IsoDate.optional(),
  deliveryDay: IsoDate.optional(),
  partySize: z.number().int().min(1).max(50).optional(),
  reservationAt: IsoDateTime.optional(),
  area: z.string().max(100).optional(),
  departDate: IsoDate.optional(),
  returnDate: IsoDate.optional(),
  from: z.string().max(100).optional(),
  to: z.string().max(100).optional(),
  travellers: z.number().int().min(1).max(20).optional(),
});
export type RfqConstraints = z.infer<typeof RfqConstraints>;

/**
 * A request for quotes, broker → vendor. INVARIANT: it never carries the person's caps or budget
 * (THREATS #35); only what a seller needs to quote.
 */
export const Rfq = z.strictObject({
  type: z.literal('rfq'),
  rfqId: Id,
  category: Category,
  currency: Money.shape.currency,
  items: z.array(RequestedItem).min(1).max(100),
  constraints: RfqConstraints,
  respondBy: EpochSeconds,
});
export type Rfq = z.infer<typeof Rfq>;

/** One line of an offer. */
export const OfferItem = z.strictObject({
  sku: Sku,
  name: vendorText(200).min(1),
  quantity: z.number().int().min(1).max(1000),
  unitPrice: Money,
  lineTotal: Money,
  /** The requested item this line answers, by its position in the RFQ. */
  requestIndex: z.number().int().min(0).max(99).optional(),
  condition: z.enum(['new', 'refurbished', 'used']).default('new'),
});
export type OfferItem = z.infer<typeof OfferItem>;

/** A fee that is part of the all-in total. */
export const Fee = z.strictObject({
  kind: z.enum(['delivery', 'service', 'tax', 'bag', 'booking', 'deposit', 'other']),
  label: vendorText(100).min(1),
  amount: Money,
});
export type Fee = z.infer<typeof Fee>;

/** A delivery or service window. */
export const Window = z.strictObject({ start: IsoDateTime, end: IsoDateTime });

const OfferBody = z.strictObject({
  type: z.literal('offer'),
  offerId: Id,
  rfqId: Id,
  /** The vendor's origin; must equal the enrolled, card-bound origin. */
  vendor: Origin,
  round: z.number().int().min(0).max(20),
  previousOfferId: Id.optional(),
  items: z.array(OfferItem).min(1).max(100),
  fees: z.array(Fee).max(20),
  /** The all-in total: items plus every fee. Checked, never trusted. */
  total: Money,
  billingPeriod: BillingPeriod,
  expiresAt: EpochSeconds,
  /** SHA-256 of the terms text, so the terms cannot switch after approval. */
  termsHash: Sha256B64u,
  sponsored: z.boolean(),
  delivery: Window.nullable(),
  payee: z.strictObject({ payoutId: z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/) }),
  /** Free text from the vendor, shown to the person only as labelled vendor text. */
  note: vendorText(500).optional(),
});

function checkOfferArithmetic(
  o: { items: { quantity: number; unitPrice: Money; lineTotal: Money }[]; fees: { amount: Money }[]; total: Money },
  ctx: z.RefinementCtx,
): void {
  const currency = o.total.currency;
  let sum = 0;
  o.items.forEach((item, i) => {
    for (const [field, m] of [
      ['unitPrice', item.unitPrice],
      ['lineTotal', item.lineTotal],
    ] as const) {
      if (m.currency !== currency) {
        ctx.addIssue({ code: 'custom', path: ['items', i, field, 'currency'], message: `currency \`${m.currency}\` differs from the total's \`${currency}\`` });
      }
    }
    if (item.unitPrice.amountMinor * item.quantity !== item.lineTotal.amountMinor) {
      ctx.addIssue({ code: 'custom', path: ['items', i, 'lineTotal'], message: 'line total is not unit price × quantity' });
    }
    sum += item.lineTotal.amountMinor;
  });
  o.fees.forEach((fee, i) => {
    if (fee.amount.currency !== currency) {
      ctx.addIssue({ code: 'custom', path: ['fees', i, 'amount', 'currency'], message: `currency \`${fee.amount.currency}\` differs from the total's \`${currency}\`` });
    }
    sum += fee.amount.amountMinor;
  });
  if (sum !== o.total.amountMinor) {
    ctx.addIssue({ code: 'custom', path: ['total'], message: `total ${o.total.amountMinor} is not the sum of items and fees (${sum})` });
  }
}

/** A vendor's quote. The arithmetic (lines, fees, all-in total, one currency) is checked. */
export const Offer = OfferBody.superRefine(checkOfferArithmetic);
export type Offer = z.infer<typeof Offer>;

/** A counter-offer, broker → vendor: asks for a lower total or fewer items; never reveals a cap. */
export const CounterOffer = z.strictObject({
  type: z.literal('counter_offer'),
  counterId: Id,
  rfqId: Id,
  offerId: Id,
  round: z.number().int().min(1).max(20),
  askTotal: Money.optional(),
  removeSkus: z.array(Sku).max(100).optional(),
});
export type CounterOffer = z.infer<typeof CounterOffer>;

/** A scoped, single-use payment token bound to one order (never raw card data). */
export const PaymentToken = z.strictObject({
  type: z.literal('payment_token'),
  tokenId: Id,
  orderId: Id,
  payee: z.strictObject({ payoutId: z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/) }),
  maxAmount: Money,
  expiresAt: EpochSeconds,
});
export type PaymentToken = z.infer<typeof PaymentToken>;

/** An order, broker → vendor, signed with the person's key and bound to the offer's hash. */
export const Order = z.strictObject({
  type: z.literal('order'),
  orderId: Id,
  offerId: Id,
  /** SHA-256 over the offer's compact JWS, so the order is bound to exactly what was quoted. */
  offerHash: Sha256B64u,
  vendor: Origin,
  items: z.array(OfferItem).min(1).max(100),
  fees: z.array(Fee).max(20),
  total: Money,
  billingPeriod: BillingPeriod,
  termsHash: Sha256B64u,
  payee: z.strictObject({ payoutId: z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/) }),
  delivery: Window.nullable(),
  /** Personal data sent with the order, field by field, as the policy allowed. */
  disclosed: z.partialRecord(DataClass, z.string().max(500)),
  /** Compact JWS of a {@link PaymentToken}. */
  paymentToken: z.string().max(4096).optional(),
  policyVersion: z.string().min(1).max(128),
  approvalId: Id.optional(),
});
export type Order = z.infer<typeof Order>;

/** A vendor's receipt for an order. */
export const Receipt = z.strictObject({
  type: z.literal('receipt'),
  receiptId: Id,
  orderId: Id,
  /** SHA-256 over the order's compact JWS. */
  orderHash: Sha256B64u,
  status: z.enum(['accepted', 'rejected']),
  total: Money,
  expectedAt: IsoDateTime.optional(),
  reason: vendorText(300).optional(),
});
export type Receipt = z.infer<typeof Receipt>;

/** Payload of a signed message: the standard claims plus one typed body. */
export const signedPayload = <Shape extends z.ZodRawShape>(body: z.ZodObject<Shape>) =>
  MessageClaims.extend(body.shape).strict();

/** Signed offer payload: claims + offer body, arithmetic checked. */
export const SignedOffer = signedPayload(OfferBody).superRefine(checkOfferArithmetic);
export type SignedOffer = z.infer<typeof SignedOffer>;
export const SignedRfq = signedPayload(Rfq);
export type SignedRfq = z.infer<typeof SignedRfq>;
export const SignedCounterOffer = signedPayload(CounterOffer);
export type SignedCounterOffer = z.infer<typeof SignedCounterOffer>;
export const SignedOrder = signedPayload(Order);
export type SignedOrder = z.infer<typeof SignedOrder>;
export const SignedReceipt = signedPayload(Receipt);
export type SignedReceipt = z.infer<typeof SignedReceipt>;
export const SignedPaymentToken = signedPayload(PaymentToken);
export type SignedPaymentToken = z.infer<typeof SignedPaymentToken>;
