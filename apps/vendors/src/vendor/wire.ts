/**
 * The wire contract between a Steward broker and a vendor agent, inside A2A `message/send`
 * DataParts. @see docs/wire-protocol.md
 */

/** What the broker sends: one DataPart with a broker-signed compact JWS. */
export interface StewardRequestData {
  steward: 'rfq' | 'counter_offer' | 'order';
  jws: string;
}

/** What the vendor answers: one DataPart with a vendor-signed JWS, or a refusal with a reason. */
export interface StewardReplyData {
  steward: 'offer' | 'receipt' | 'refusal';
  jws?: string;
  reason?: string;
}

/** Stable refusal codes: the `reason` of a refusal starts with one, then `: ` and a sentence. */
export const REFUSAL_CODES = [
  'bad_request',
  'signature_invalid',
  'rfq_expired',
  'category_not_served',
  'currency_not_supported',
  'cannot_quote',
  'unknown_offer',
  'round_limit',
  'round_out_of_order',
  'offer_expired',
  'offer_hash_mismatch',
  'order_mismatch',
  'offer_already_ordered',
  'missing_data',
  'payment_token_invalid',
] as const;

/** A stable refusal code. */
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Builds a refusal DataPart: `reason` is `<code>: <sentence>`, at most 300 characters. */
export function refusal(code: RefusalCode, sentence: string): StewardReplyData {
  return { steward: 'refusal', reason: `${code}: ${sentence}`.slice(0, 300) };
}

/** Reads a request DataPart; undefined when it is not one. */
export function readRequestData(data: unknown): StewardRequestData | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const keys = Object.keys(d);
  if (keys.some((k) => k !== 'steward' && k !== 'jws')) return undefined;
  if (d.steward !== 'rfq' && d.steward !== 'counter_offer' && d.steward !== 'order') return undefined;
  if (typeof d.jws !== 'string' || d.jws.length === 0 || d.jws.length > 64 * 1024) return undefined;
  return { steward: d.steward, jws: d.jws };
}
