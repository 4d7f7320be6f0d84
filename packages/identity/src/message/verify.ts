import { createHash } from 'node:crypto';
import { isStewardError, parseJson, systemClock, type Clock, type SchemaIssue } from '@steward/protocol';
import { IdentityError } from '../errors.ts';
import { shown } from '../internal/shown.ts';
import { verifyCompact, type JwsHeader } from '../jws/jws.ts';
import type { KeyResolver, VerificationKey } from '../keys/key-pair.ts';
import type { ReplayStore } from '../replay/replay-store.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import { MESSAGE_SCHEMAS, typOf, type MessagePayload, type SignedMessageType } from './schemas.ts';

/** Largest clock difference tolerated between signer and verifier. */
export const MAX_CLOCK_SKEW_SECONDS = 60;
/** Default longest `exp − iat` accepted. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 3600;

/** How to verify a signed message. */
export interface VerifyMessageOptions {
  /** This broker's (or vendor's) own identifier; `aud` must equal it. */
  audience: string;
  /** Trusted keys by `kid` (enrolled vendor keys or the broker's own). */
  resolveKey: KeyResolver;
  /** Durable seen-`jti` store. Required: without it a message could be replayed. */
  replay: ReplayStore;
  /** Deny-list checked before any key is used. */
  revocation: RevocationCheck;
  clock?: Clock;
  /** Tolerated skew, at most {@link MAX_CLOCK_SKEW_SECONDS}. Default 60. */
  skewSeconds?: number;
  /** Longest accepted `exp − iat`. Default {@link DEFAULT_MAX_LIFETIME_SECONDS}. */
  maxLifetimeSeconds?: number;
  /** Largest token in characters. Default 64 KiB. */
  maxBytes?: number;
}

/** A verified message. */
export interface VerifiedMessage<T extends SignedMessageType> {
  payload: MessagePayload<T>;
  header: JwsHeader;
  /** The key that signed it, with its owner (its `iss` equals the owner). */
  key: VerificationKey;
  /** SHA-256 of the compact JWS, base64url: what an order's `offerHash` binds to (computed on first read). */
  readonly hash: string;
}

/** SHA-256 of a compact JWS, base64url (the `offerHash` / `orderHash` binding). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

function claimError(code: 'ERR_MESSAGE_EXPIRED' | 'ERR_MESSAGE_NOT_YET_VALID' | 'ERR_MESSAGE_LIFETIME_EXCEEDED', message: string, claim: string): IdentityError {
  return new IdentityError(code, message, { details: { claim } });
}

/**
 * Verifies a signed message of purpose `type`: revocation first, then signature with a trusted
 * key (`typ` must be this purpose's), then `iss` = key owner, `aud`, `iat`/`exp` with bounded
 * skew and lifetime, the strict payload schema, and finally records `jti` atomically (a replay,
 * also after a restart, is refused).
 */
export function verifyMessage<T extends SignedMessageType>(token: unknown, type: T, options: VerifyMessageOptions): VerifiedMessage<T> {
  return verifyClaims(token, type, options);
}

/**
 * {@link verifyMessage} with the replay store optional: `replay: null` is only for objects that
 * are meant to be presented many times (registry credentials). Not exported from the package.
 */
export function verifyClaims<T extends SignedMessageType>(
  token: unknown,
  type: T,
  options: Omit<VerifyMessageOptions, 'replay'> & { replay: ReplayStore | null },
): VerifiedMessage<T> {
  // One transaction for the revocation reads and the replay write (when they share a database).
  return options.replay ? options.replay.atomically(() => verifyInside(token, type, options)) : verifyInside(token, type, options);
}

function verifyInside<T extends SignedMessageType>(
  token: unknown,
  type: T,
  options: Omit<VerifyMessageOptions, 'replay'> & { replay: ReplayStore | null },
): VerifiedMessage<T> {
  const skew = Math.min(options.skewSeconds ?? MAX_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS);
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  const { header, payload: raw, key } = verifyCompact(token, {
    resolveKey: options.resolveKey,
    typ: typOf(type),
    isKeyRevoked: (kid) => options.revocation.isKeyRevoked(kid),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  if (options.revocation.isOriginRevoked(key.owner)) {
    throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${key.owner}\` is revoked`, { details: { origin: key.owner } });
  }
  let claims: unknown;
  try {
    claims = parseJson(raw.toString('utf8'), { maxBytes: options.maxBytes ?? 64 * 1024, maxDepth: 16 });
  } catch (cause) {
    throw new IdentityError('ERR_MESSAGE_PAYLOAD_INVALID', `${type} payload is not safe json`, { cause, details: { type } });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new IdentityError('ERR_MESSAGE_PAYLOAD_INVALID', `${type} payload is not a json object`, { details: { type } });
  }
  const c = claims as Record<string, unknown>;
  // Claims first, with their own codes, so an expired or misaddressed message says so plainly.
  if (c.iss !== key.owner) {
    throw new IdentityError('ERR_MESSAGE_ISSUER_MISMATCH', `message \`iss\` \`${shown(c.iss)}\` is not the owner of key \`${key.kid}\` (\`${key.owner}\`)`, {
      details: { claim: 'iss', kid: key.kid, owner: key.owner },
    });
  }
  if (c.aud !== options.audience) {
    throw new IdentityError('ERR_MESSAGE_AUDIENCE_MISMATCH', `message \`aud\` \`${shown(c.aud)}\` is not \`${options.audience}\``, {
      details: { claim: 'aud', expected: options.audience },
    });
  }
  const { iat, exp } = c;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isInteger(iat) || !Number.isInteger(exp)) {
    throw new IdentityError('ERR_MESSAGE_PAYLOAD_INVALID', 'message `iat` and `exp` must be whole epoch seconds', { details: { type } });
  }
  const now = Math.floor((options.clock ?? systemClock).now() / 1000);
  if (iat > now + skew) throw claimError('ERR_MESSAGE_NOT_YET_VALID', `message \`iat\` is ${iat - now}s in the future (skew allows ${skew}s)`, 'iat');
  if (exp <= now - skew) throw claimError('ERR_MESSAGE_EXPIRED', `message expired ${now - exp}s ago`, 'exp');
  if (exp <= iat || exp - iat > maxLifetime) {
    throw claimError('ERR_MESSAGE_LIFETIME_EXCEEDED', `message lifetime ${exp - iat}s is outside 1..${maxLifetime}s`, 'exp');
  }
  if (type === 'offer' && c.vendor !== key.owner) {
    // An offer names the vendor it binds the buyer to; it must be the signer's own origin.
    throw new IdentityError('ERR_MESSAGE_ISSUER_MISMATCH', `offer \`vendor\` \`${shown(c.vendor)}\` is not the signer \`${key.owner}\``, {
      details: { claim: 'vendor', kid: key.kid, owner: key.owner },
    });
  }
  const parsed = MESSAGE_SCHEMAS[type].safeParse(claims);
  if (!parsed.success) {
    const issues: SchemaIssue[] = parsed.error.issues.slice(0, 20).map((i) => ({ path: shown(i.path.map(String).join('.') || '(root)'), message: shown(i.message, 160) }));
    const first = issues[0];
    throw new IdentityError('ERR_MESSAGE_PAYLOAD_INVALID', `${type} payload is invalid${first ? `: ${first.path}: ${first.message}` : ''}`, {
      details: { type, paths: issues.map((i) => i.path) },
    });
  }
  try {
    // INVARIANT: the jti entry outlives every instant at which this message could still verify.
    options.replay?.checkAndRecord(`jws:${key.owner}`, String(c.jti), exp + skew, now);
  } catch (error) {
    if (isStewardError(error)) throw error;
    throw new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable', { cause: error });
  }
  const text = token as string;
  let hash: string | undefined;
  return {
    payload: parsed.data as MessagePayload<T>,
    header,
    key,
    // Computed on first read: most callers never need it.
    get hash() {
      return (hash ??= tokenHash(text));
    },
  };
}
