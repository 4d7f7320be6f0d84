import { randomBytes } from 'node:crypto';
import { Id, MessageType, Money, SignedPaymentToken, parseStrict } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import type { SignerPort } from '../ports.ts';
import { hmacB64u, randomId } from '../internal/crypto.ts';
import { epochNow, isoNow, resolveValue, writeAudited, type VaultContext } from '../internal/context.ts';
import { canonicalOrigin } from '../disclosure/relay.ts';

/** The longest a payment token may live: one day. Default 15 minutes. */
export const MAX_PAYMENT_TOKEN_TTL_SECONDS = 86_400;

/** What a payment token is issued for: one order, one payee, at most one amount. */
export interface PaymentTokenRequest {
  order: { orderId: string; vendor: string; payee: { payoutId: string }; total: Money };
  /** The most the vendor may charge; default the order total. Never below it, same currency. */
  maxAmount?: Money;
  /** Lifetime in seconds (default 900, at most a day). */
  ttlSeconds?: number;
  /** `iss`: the broker's identity for this person (e.g. its origin or key id). */
  issuer: string;
  /** `aud`: default the vendor origin. */
  audience?: string;
  /** Which payment means of the profile the token stands for (default the only one, else `primary`). */
  paymentLabel?: string;
  /** Policy version under which the order was allowed or approved (for the ledger). */
  policyVersion: string;
  approvalId?: string;
  taskId?: string;
}

/** A signed payment token and its claims. */
export interface IssuedPaymentToken {
  token: string;
  claims: SignedPaymentToken;
}

function bad(message: string, field: string): never {
  throw new ProfileError('ERR_PROFILE_TOKEN_REQUEST_INVALID', message, { details: { field } });
}

/**
 * Issues a scoped, single-use payment token bound to one order (payee, maximum amount, currency,
 * expiry), signed through the signer port with `typ` {@link MessageType.paymentToken}. Raw card
 * data never leaves: the token stands for a payment means held here, recorded in the ledger and
 * audited as a `disclosure` of class `payment` in form `payment_token`.
 */
export async function issuePaymentToken(ctx: VaultContext, req: PaymentTokenRequest, signer?: SignerPort): Promise<IssuedPaymentToken> {
  const sign = signer ?? ctx.sign;
  if (!sign) bad('no signer is configured for payment tokens', 'signer');
  const vendor = canonicalOrigin(req.order.vendor);
  if (!Id.safeParse(req.order.orderId).success) bad('order id must be an identifier', 'order.orderId');
  const total = Money.safeParse(req.order.total);
  if (!total.success) bad('order total must be Money (integer minor units and an ISO 4217 code)', 'order.total');
  const max = req.maxAmount === undefined ? total.data : Money.safeParse(req.maxAmount).data;
  if (!max) bad('maximum amount must be Money', 'maxAmount');
  if (max.currency !== total.data.currency) bad(`maximum amount currency \`${max.currency}\` differs from the order's \`${total.data.currency}\``, 'maxAmount');
  if (max.amountMinor < total.data.amountMinor) bad('maximum amount is below the order total', 'maxAmount');
  const ttl = req.ttlSeconds ?? 900;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_PAYMENT_TOKEN_TTL_SECONDS) bad(`lifetime must be 1 to ${MAX_PAYMENT_TOKEN_TTL_SECONDS} seconds`, 'ttlSeconds');
  const means = resolveValue(ctx, 'payment', req.paymentLabel);
  if (!means) {
    throw new ProfileError('ERR_PROFILE_VALUE_NOT_FOUND', `the profile holds no \`payment\` value${req.paymentLabel ? ` labelled \`${req.paymentLabel}\`` : ''}`, {
      details: { dataClass: 'payment' },
    });
  }
  const iat = epochNow(ctx);
  const claims = parseStrict(
    SignedPaymentToken,
    {
      iss: req.issuer,
      aud: req.audience ?? vendor,
      iat,
      exp: iat + ttl,
      jti: randomBytes(18).toString('base64url'),
      type: 'payment_token',
      tokenId: randomId('pt', 16),
      orderId: req.order.orderId,
      payee: { payoutId: req.order.payee.payoutId },
      maxAmount: max,
      expiresAt: iat + ttl,
    },
    'payment token',
  );
  let token: string;
  try {
    token = await sign(MessageType.paymentToken, claims);
  } catch (cause) {
    throw new ProfileError('ERR_PROFILE_SIGNER_FAILED', 'the signer could not sign the payment token', { cause, details: { orderId: claims.orderId } });
  }
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new ProfileError('ERR_PROFILE_SIGNER_FAILED', 'the signer did not return a compact JWS', { details: { orderId: claims.orderId } });
  }
  const at = isoNow(ctx);
  const fieldHash = hmacB64u(ctx.keys.mac, ['payment-token', claims.tokenId]);
  writeAudited(ctx, { durable: true, auditRequired: true }, () => {
    ctx.store.db
      .prepare(
        `INSERT INTO profile_payment_tokens (token_id, order_id, vendor, payee, max_amount_minor, currency, expires_at, payment_label, issued_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(claims.tokenId, claims.orderId, vendor, claims.payee.payoutId, max.amountMinor, max.currency, claims.expiresAt, means.label, at);
    ctx.store.db
      .prepare(
        `INSERT INTO profile_disclosures (disclosure_id, vendor, data_class, label, purpose, task_id, effect, approval_id, policy_version, rules, field_hash, form, disclosed_at)
         VALUES (?, ?, 'payment', ?, 'order', ?, ?, ?, ?, '[]', ?, 'payment_token', ?)`,
      )
      .run(claims.tokenId, vendor, means.label, req.taskId ?? null, req.approvalId ? 'approved' : 'allow', req.approvalId ?? null, req.policyVersion, fieldHash, at);
    return {
      result: undefined,
      events: [
        {
          type: 'disclosure',
          at,
          actor: 'broker',
          ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
          vendor,
          decision: 'allow',
          policyVersion: req.policyVersion,
          summary: `issued a single-use payment token for order ${claims.orderId} to ${vendor} (at most ${max.amountMinor} ${max.currency} minor units)`,
          data: {
            dataClass: 'payment',
            form: 'payment_token',
            tokenId: claims.tokenId,
            orderId: claims.orderId,
            payee: claims.payee.payoutId,
            maxAmount: { amountMinor: max.amountMinor, currency: max.currency },
            expiresAt: claims.expiresAt,
            fieldHash,
          },
        },
      ],
      undo: () => {
        ctx.store.db.prepare('DELETE FROM profile_payment_tokens WHERE token_id = ?').run(claims.tokenId);
        ctx.store.db.prepare('DELETE FROM profile_disclosures WHERE disclosure_id = ?').run(claims.tokenId);
      },
    };
  });
  return { token, claims };
}
