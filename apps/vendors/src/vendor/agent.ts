import { createHash, randomBytes } from 'node:crypto';
import {
  isStewardError,
  systemClock,
  type Clock,
  type Fee,
  type Rfq,
  type SignedOffer,
  type SignedOrder,
} from '@steward/protocol';
import {
  canonicalJson,
  importVerificationKey,
  signMessage,
  tokenHash,
  verifyMessage,
  type KeyResolver,
  type MessageBody,
  type ReplayStore,
  type RevocationCheck,
  type SigningKey,
  type VerificationKey,
} from '@steward/identity';
import type { CardOverrides } from './card.ts';
import type { VendorProfile, Window } from '../catalogue/types.ts';
import { concede } from '../pricing/negotiate.ts';
import { feesFor, offerItems, priceRfq, usd, type PricedLine } from '../pricing/quote.ts';
import { refusal, type StewardReplyData, type StewardRequestData } from './wire.ts';

/** A JSON Web Key Set as the broker publishes it. */
export interface JwksLike {
  keys: readonly unknown[];
}

/** The broker's public keys, or a function that returns them (the broker passes its own). */
export type BrokerJwksSource = JwksLike | (() => JwksLike | Promise<JwksLike>);

/** What a vendor agent needs to run. */
export interface VendorAgentOptions {
  profile: VendorProfile;
  key: SigningKey;
  /** The origin that serves this vendor, e.g. `http://127.0.0.1:8802`. */
  origin: string;
  /** The broker's identifier: its signed messages carry it as `iss`. */
  brokerId: string;
  brokerJwks: BrokerJwksSource;
  replay: ReplayStore;
  clock?: Clock;
  /** How long an offer stays valid (`expiresAt`). Default 15 minutes. */
  offerValiditySeconds?: number;
  /** JWS lifetime (`exp − iat`) of offers and receipts. Default 10 minutes, the most allowed. */
  messageLifetimeSeconds?: number;
}

/** An offer this vendor signed, kept to negotiate and to check orders against. */
export interface IssuedOffer {
  token: string;
  hash: string;
  payload: SignedOffer;
  rfq: Rfq;
  lines: PricedLine[];
  fees: Fee[];
  window: Window | null;
  ordered: boolean;
}

const NO_REVOCATION: RevocationCheck = { isKeyRevoked: () => false, isOriginRevoked: () => false };
/** Open offers a vendor remembers (oldest forgotten first; expired ones are dropped as new ones are issued). */
const MAX_ISSUED = 2_000;
const MAX_MESSAGE_LIFETIME_SECONDS = 600;

/** SHA-256 of a text, base64url (the `termsHash` of an offer). */
export function sha256B64u(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** A short random identifier with a prefix. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
}

/**
 * One vendor's business logic on the wire contract: verifies the broker's signed RFQs, counter
 * offers and orders, prices from its catalogue, negotiates down to its floor, and signs offers
 * and receipts. Transport-free: the A2A executor and the tests call {@link VendorAgent.handle}.
 * Subclasses (the hostile vendor) override the protected steps.
 */
export class VendorAgent {
  readonly profile: VendorProfile;
  readonly key: SigningKey;
  readonly origin: string;
  readonly brokerId: string;
  protected readonly clock: Clock;
  /** The replay store for broker `jti`s and RFC 9421 nonces. */
  readonly replay: ReplayStore;
  protected readonly offerValiditySeconds: number;
  protected readonly messageLifetimeSeconds: number;
  readonly #brokerJwks: BrokerJwksSource;
  #brokerKeyCache: { text: string; keys: Map<string, VerificationKey> } | undefined;
  protected readonly issued = new Map<string, IssuedOffer>();
  /** The last unexpected error while answering (kept for diagnosis; never sent to the broker). */
  lastError: unknown;

  constructor(options: VendorAgentOptions) {
    this.profile = options.profile;
    this.key = options.key;
    this.origin = options.origin;
    this.brokerId = options.brokerId;
    this.#brokerJwks = options.brokerJwks;
    this.replay = options.replay;
    this.clock = options.clock ?? systemClock;
    this.offerValiditySeconds = options.offerValiditySeconds ?? 900;
    this.messageLifetimeSeconds = Math.min(options.messageLifetimeSeconds ?? MAX_MESSAGE_LIFETIME_SECONDS, MAX_MESSAGE_LIFETIME_SECONDS);
  }

  /** The SHA-256 of the terms this vendor quotes under. */
  get termsHash(): string {
    return sha256B64u(this.profile.terms);
  }

  /** The terms text served at `/terms` (the hostile vendor may switch it). */
  termsText(): string {
    return this.profile.terms;
  }

  /** What the card says differently from the profile (nothing, for an honest vendor). */
  cardOverrides(): CardOverrides {
    return {};
  }

  /** DataParts appended to every reply (none for an honest vendor). */
  extraParts(): unknown[] {
    return [];
  }

  /**
   * A raw JSON text to send as the reply DataPart's `data`, bypassing the A2A SDK (only the hostile
   * vendor uses it, for payloads the SDK would not serialise: deep nesting, `__proto__` keys).
   */
  async rawReply(_request: StewardRequestData): Promise<string | undefined> {
    return undefined;
  }

  /** An offer this vendor issued, by id. */
  offer(offerId: string): IssuedOffer | undefined {
    return this.issued.get(offerId);
  }

  /** Answers one request DataPart with the reply DataParts (normally exactly one). */
  async handle(request: StewardRequestData): Promise<StewardReplyData[]> {
    try {
      const resolveKey = await this.brokerKeys();
      switch (request.steward) {
        case 'rfq':
          return await this.onRfq(request.jws, resolveKey);
        case 'counter_offer':
          return await this.onCounter(request.jws, resolveKey);
        case 'order':
          return await this.onOrder(request.jws, resolveKey);
      }
    } catch (error) {
      if (isStewardError(error)) return [refusal('signature_invalid', `${error.code}: ${error.message}`)];
      throw error;
    }
  }

  /** Verifies a broker-signed message addressed to this vendor (throws identity errors). */
  protected verify<T extends 'rfq' | 'counterOffer' | 'order' | 'paymentToken'>(token: string, type: T, resolveKey: KeyResolver) {
    return verifyMessage(token, type, { audience: this.origin, resolveKey, replay: this.replay, revocation: NO_REVOCATION, clock: this.clock });
  }

  protected nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  protected async onRfq(token: string, resolveKey: KeyResolver): Promise<StewardReplyData[]> {
    const { payload: rfq } = this.verify(token, 'rfq', resolveKey);
    if (rfq.respondBy < this.nowSeconds()) return [refusal('rfq_expired', 'the rfq asked for answers by a time that has passed')];
    if (rfq.category !== this.profile.category) return [refusal('category_not_served', `${this.profile.name} does not sell \`${rfq.category}\``)];
    if (rfq.currency !== 'USD') return [refusal('currency_not_supported', `${this.profile.name} quotes in USD only`)];
    const quote = priceRfq(this.profile, rfq, this.clock.now());
    if ('refuse' in quote) return [refusal('cannot_quote', quote.refuse)];
    const note = quote.unmatched.length > 0 ? `Not stocked: ${quote.unmatched.map((i) => rfq.items[i]?.description ?? '').join(', ')}.` : undefined;
    const issued = this.issueOffer({ rfq, lines: quote.lines, fees: quote.fees, window: quote.window, round: 0, aud: rfq.iss, ...(note ? { note } : {}) });
    return [{ steward: 'offer', jws: issued.token }];
  }

  protected async onCounter(token: string, resolveKey: KeyResolver): Promise<StewardReplyData[]> {
    const { payload: counter } = this.verify(token, 'counterOffer', resolveKey);
    const previous = this.issued.get(counter.offerId);
    if (!previous || previous.payload.rfqId !== counter.rfqId) return [refusal('unknown_offer', `no offer \`${counter.offerId}\` for rfq \`${counter.rfqId}\``)];
    if (previous.payload.aud !== counter.iss) return [refusal('unknown_offer', 'that offer was made to another broker')];
    if (counter.round !== previous.payload.round + 1) {
      return [refusal('round_out_of_order', `counter-offer round ${counter.round} does not follow offer round ${previous.payload.round}`)];
    }
    if (counter.round > this.profile.maxRounds) {
      return [refusal('round_limit', `${this.profile.name} negotiates at most ${this.profile.maxRounds} round${this.profile.maxRounds === 1 ? '' : 's'}; offer \`${previous.payload.offerId}\` stands`)];
    }
    if (counter.askTotal && counter.askTotal.currency !== previous.payload.total.currency) {
      return [refusal('currency_not_supported', `asks must be in ${previous.payload.total.currency}`)];
    }
    const remove = new Set(counter.removeSkus ?? []);
    const kept = previous.lines.filter((l) => !remove.has(l.item.sku));
    if (kept.length === 0) return [refusal('cannot_quote', 'the counter-offer removes every item')];
    // Removing items re-prices the rest at their previous unit prices and recomputes the fees.
    const fees = remove.size > 0 ? feesFor(this.profile, kept, previous.rfq.constraints) : previous.fees;
    const result = concede(kept, fees, counter.askTotal?.amountMinor);
    const note = counter.askTotal
      ? result.accepted
        ? `Counter-offer accepted.`
        : `Our best price is ${(result.totalMinor / 100).toFixed(2)} USD all-in.`
      : undefined;
    const issued = this.issueOffer({
      rfq: previous.rfq,
      lines: result.lines,
      fees,
      window: previous.window,
      round: counter.round,
      previousOfferId: previous.payload.offerId,
      aud: counter.iss,
      ...(note ? { note } : {}),
    });
    return [{ steward: 'offer', jws: issued.token }];
  }

  protected async onOrder(token: string, resolveKey: KeyResolver): Promise<StewardReplyData[]> {
    const { payload: order, hash: orderHash } = this.verify(token, 'order', resolveKey);
    const offer = this.issued.get(order.offerId);
    if (!offer) return [refusal('unknown_offer', `no offer \`${order.offerId}\``)];
    if (order.offerHash !== offer.hash) return [refusal('offer_hash_mismatch', `the order's offerHash is not the hash of offer \`${order.offerId}\``)];
    if (offer.payload.aud !== order.iss) return [refusal('unknown_offer', 'that offer was made to another broker')];
    if (offer.payload.expiresAt < this.nowSeconds()) return [refusal('offer_expired', `offer \`${order.offerId}\` expired`)];
    const differs = orderDiff(order, offer.payload);
    if (differs.length > 0) return [refusal('order_mismatch', `the order differs from the offer in ${differs.join(', ')}`)];
    if (offer.ordered) return [refusal('offer_already_ordered', `offer \`${order.offerId}\` was already ordered`)];
    const missing = this.profile.requiredData.filter((d) => !(order.disclosed[d] ?? '').trim());
    if (missing.length > 0) return [refusal('missing_data', `to fulfil this order ${this.profile.name} needs ${missing.join(', ')}`)];
    if (order.paymentToken !== undefined) {
      const paid = this.checkPaymentToken(order, resolveKey);
      if (paid) return [paid];
    }
    offer.ordered = true;
    return [{ steward: 'receipt', jws: this.signReceipt(order, orderHash, offer) }];
  }

  /** Checks a payment token: the broker's, for this order, to this payee, covering the total. */
  protected checkPaymentToken(order: SignedOrder, resolveKey: KeyResolver): StewardReplyData | undefined {
    try {
      const { payload: pt } = this.verify(order.paymentToken ?? '', 'paymentToken', resolveKey);
      if (pt.orderId !== order.orderId) return refusal('payment_token_invalid', 'the payment token is for another order');
      if (pt.payee.payoutId !== this.profile.payout.payoutId) return refusal('payment_token_invalid', 'the payment token pays someone else');
      if (pt.maxAmount.currency !== order.total.currency || pt.maxAmount.amountMinor < order.total.amountMinor) {
        return refusal('payment_token_invalid', 'the payment token does not cover the total');
      }
      if (pt.expiresAt < this.nowSeconds()) return refusal('payment_token_invalid', 'the payment token expired');
      return undefined;
    } catch (error) {
      if (isStewardError(error)) return refusal('payment_token_invalid', `${error.code}: ${error.message}`);
      throw error;
    }
  }

  /** Signs a receipt for an accepted order. */
  protected signReceipt(order: SignedOrder, orderHash: string, offer: IssuedOffer | null): string {
    return signMessage(
      'receipt',
      {
        type: 'receipt',
        receiptId: newId(`${this.profile.id}-r`),
        orderId: order.orderId,
        orderHash,
        status: 'accepted',
        total: order.total,
        ...(offer?.window ? { expectedAt: offer.window.start } : {}),
      },
      { key: this.key, iss: this.origin, aud: order.iss, clock: this.clock, lifetimeSeconds: this.messageLifetimeSeconds },
    ).token;
  }

  /** The offer body for priced lines (before signing). */
  protected offerBody(input: IssueInput): MessageBody<'offer'> {
    const items = offerItems(input.lines);
    const total = items.reduce((s, i) => s + i.lineTotal.amountMinor, 0) + input.fees.reduce((s, f) => s + f.amount.amountMinor, 0);
    return {
      type: 'offer',
      offerId: newId(`${this.profile.id}-o`),
      rfqId: input.rfq.rfqId,
      vendor: this.origin,
      round: input.round,
      ...(input.previousOfferId ? { previousOfferId: input.previousOfferId } : {}),
      items,
      fees: input.fees,
      total: usd(total),
      billingPeriod: 'one_off',
      expiresAt: this.nowSeconds() + this.offerValiditySeconds,
      termsHash: this.termsHash,
      sponsored: input.lines.some((l) => l.item.sponsored === true),
      delivery: input.window,
      payee: { payoutId: this.profile.payout.payoutId },
      ...(input.note ? { note: input.note } : {}),
    };
  }

  /** Signs an offer body as a compact JWS for `aud` (overridden by the hostile vendor). */
  protected signOffer(body: MessageBody<'offer'>, aud: string): { token: string; payload: SignedOffer } {
    return signMessage('offer', body, { key: this.key, iss: this.origin, aud, clock: this.clock, lifetimeSeconds: this.messageLifetimeSeconds });
  }

  /** Prices, signs and remembers an offer. */
  protected issueOffer(input: IssueInput): IssuedOffer {
    const { token, payload } = this.signOffer(this.offerBody(input), input.aud);
    const issued: IssuedOffer = { token, hash: tokenHash(token), payload, rfq: input.rfq, lines: input.lines, fees: input.fees, window: input.window, ordered: false };
    // Offers are remembered in the order they were issued, so expired ones are at the front.
    const now = Math.floor(this.clock.now() / 1000);
    for (const [id, old] of this.issued) {
      if (old.payload.expiresAt > now && this.issued.size < MAX_ISSUED) break;
      this.issued.delete(id);
    }
    this.issued.set(payload.offerId, issued);
    return issued;
  }

  /** The broker's keys as a resolver (from `brokerJwks`, re-read on every call, cached by content). */
  async brokerKeys(): Promise<KeyResolver> {
    const source = this.#brokerJwks;
    const jwks = typeof source === 'function' ? await source() : source;
    const text = JSON.stringify(jwks);
    if (this.#brokerKeyCache?.text !== text) {
      const keys = new Map<string, VerificationKey>();
      for (const jwk of jwks.keys) {
        const key = importVerificationKey(jwk, this.brokerId);
        keys.set(key.kid, key);
      }
      this.#brokerKeyCache = { text, keys };
    }
    const keys = this.#brokerKeyCache.keys;
    return (kid) => keys.get(kid);
  }
}

/** Input to {@link VendorAgent.issueOffer}. */
export interface IssueInput {
  rfq: Rfq;
  lines: PricedLine[];
  fees: Fee[];
  window: Window | null;
  round: number;
  previousOfferId?: string;
  aud: string;
  note?: string;
}

/** Which fields of an order differ from the signed offer it references (field-by-field, THREATS #14). */
export function orderDiff(order: SignedOrder, offer: SignedOffer): string[] {
  const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
  const out: string[] = [];
  if (order.vendor !== offer.vendor) out.push('vendor');
  if (!same(order.items, offer.items)) out.push('items');
  if (!same(order.fees, offer.fees)) out.push('fees');
  if (!same(order.total, offer.total)) out.push('total');
  if (order.billingPeriod !== offer.billingPeriod) out.push('billingPeriod');
  if (order.termsHash !== offer.termsHash) out.push('termsHash');
  if (!same(order.payee, offer.payee)) out.push('payee');
  if (!same(order.delivery, offer.delivery)) out.push('delivery');
  return out;
}
