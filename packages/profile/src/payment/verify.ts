import { errors as joseErrors, jwtVerify, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { MessageType, SignedPaymentToken, systemClock, type Clock, type Money } from '@steward/protocol';
import { ProfileError } from '../errors.ts';

/** The vendor's record of spent tokens. A `Set<string>` fits; a database-backed one should add atomically. */
export interface SeenTokens {
  has(tokenId: string): boolean | Promise<boolean>;
  add(tokenId: string, expiresAt: number): unknown;
}

/** What a vendor expects a token to be for. */
export interface PaymentTokenExpectation {
  orderId: string;
  payee: { payoutId: string };
  /** The amount about to be charged: same currency as the token, at most its maximum. */
  amount: Money;
  /** The vendor's own origin (the token's `aud`). */
  audience: string;
  /** The broker's identity the vendor expects as `iss`, if known. */
  issuer?: string;
}

/** Options of {@link verifyPaymentToken}. */
export interface VerifyPaymentTokenOptions {
  /** The person's public key (from the broker's enrolled key, never from the token). */
  key: CryptoKey | KeyObject | JWK;
  expected: PaymentTokenExpectation;
  seen: SeenTokens;
  clock?: Clock;
  /** Allowed clock skew for `iat`/`exp`, default 60 s. */
  maxSkewSeconds?: number;
}

function fail(code: 'ERR_PROFILE_TOKEN_INVALID' | 'ERR_PROFILE_TOKEN_EXPIRED' | 'ERR_PROFILE_TOKEN_MISMATCH', message: string, claim: string, cause?: unknown): never {
  throw new ProfileError(code, message, { ...(cause === undefined ? {} : { cause }), details: { claim } });
}

/**
 * Checks a payment token as a vendor must before charging: EdDSA/ES256 signature by the given key,
 * `typ` {@link MessageType.paymentToken}, strict schema, not expired, bound to this order, payee,
 * audience and currency, amount within the maximum, and never seen before (then marks it seen).
 * @see /work/shared/THREATS.md #19, #20, #21, #37
 */
export async function verifyPaymentToken(token: string, options: VerifyPaymentTokenOptions): Promise<SignedPaymentToken> {
  const clock = options.clock ?? systemClock;
  const skew = options.maxSkewSeconds ?? 60;
  const expected = options.expected;
  if (typeof token !== 'string' || token.length > 4096) fail('ERR_PROFILE_TOKEN_INVALID', 'payment token is not a compact JWS', 'token');
  let payload: unknown;
  try {
    const verified = await jwtVerify(token, options.key, {
      algorithms: ['EdDSA', 'Ed25519', 'ES256'],
      typ: MessageType.paymentToken,
      currentDate: new Date(clock.now()),
      clockTolerance: skew,
      requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
    });
    payload = verified.payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) fail('ERR_PROFILE_TOKEN_EXPIRED', 'payment token has expired', 'exp', error);
    if (error instanceof joseErrors.JWTClaimValidationFailed) fail('ERR_PROFILE_TOKEN_INVALID', `payment token claim \`${error.claim}\` is invalid`, error.claim, error);
    fail('ERR_PROFILE_TOKEN_INVALID', 'payment token signature or format is invalid', 'signature', error);
  }
  const parsed = SignedPaymentToken.safeParse(payload);
  if (!parsed.success) fail('ERR_PROFILE_TOKEN_INVALID', 'payment token payload does not match the PaymentToken schema', 'payload');
  const t = parsed.data;
  const now = Math.floor(clock.now() / 1000);
  if (t.expiresAt !== t.exp) fail('ERR_PROFILE_TOKEN_INVALID', 'payment token `expiresAt` differs from `exp`', 'expiresAt');
  if (t.expiresAt + skew < now) fail('ERR_PROFILE_TOKEN_EXPIRED', 'payment token has expired', 'expiresAt');
  if (t.iat - skew > now) fail('ERR_PROFILE_TOKEN_INVALID', 'payment token was issued in the future', 'iat');
  if (t.aud !== expected.audience) fail('ERR_PROFILE_TOKEN_MISMATCH', `payment token is for \`${t.aud}\`, not \`${expected.audience}\``, 'aud');
  if (expected.issuer !== undefined && t.iss !== expected.issuer) fail('ERR_PROFILE_TOKEN_MISMATCH', `payment token was issued by \`${t.iss}\``, 'iss');
  if (t.orderId !== expected.orderId) fail('ERR_PROFILE_TOKEN_MISMATCH', `payment token is bound to order \`${t.orderId}\`, not \`${expected.orderId}\``, 'orderId');
  if (t.payee.payoutId !== expected.payee.payoutId) fail('ERR_PROFILE_TOKEN_MISMATCH', `payment token pays \`${t.payee.payoutId}\`, not \`${expected.payee.payoutId}\``, 'payee');
  if (t.maxAmount.currency !== expected.amount.currency) fail('ERR_PROFILE_TOKEN_MISMATCH', `payment token is in \`${t.maxAmount.currency}\`, not \`${expected.amount.currency}\``, 'currency');
  if (!Number.isSafeInteger(expected.amount.amountMinor) || expected.amount.amountMinor < 0 || expected.amount.amountMinor > t.maxAmount.amountMinor) {
    fail('ERR_PROFILE_TOKEN_MISMATCH', `charge of ${expected.amount.amountMinor} exceeds the token's maximum of ${t.maxAmount.amountMinor} minor units`, 'maxAmount');
  }
  // INVARIANT: check-then-add happens with no await between them when `seen` is synchronous.
  const seenBefore = options.seen.has(t.tokenId);
  if (seenBefore === true || (seenBefore !== false && (await seenBefore))) {
    throw new ProfileError('ERR_PROFILE_TOKEN_REPLAYED', `payment token \`${t.tokenId}\` was already used`, { details: { tokenId: t.tokenId } });
  }
  const added = options.seen.add(t.tokenId, t.expiresAt);
  if (added instanceof Promise) await added;
  return t;
}
