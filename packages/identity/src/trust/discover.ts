import { Origin, parseStrict, type Clock } from '@steward/protocol';
import { verifyCard } from '../card/verify.ts';
import { verifyCredential } from '../credential/credential.ts';
import { IdentityError } from '../errors.ts';
import { fetchJsonGuarded, type SafeFetchOptions } from '../fetch/safe-fetch.ts';
import { importVerificationKey, type KeyResolver, type VerificationKey } from '../keys/key-pair.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import { resolverOf } from './resolver.ts';
import type { ObserveResult, VendorObservation, VendorStore } from './vendor-store.ts';

/** Where a vendor serves its signed Agent Card. */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';
/** Where a vendor serves its JWKS. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Most keys accepted from one origin's JWKS. */
export const MAX_VENDOR_KEYS = 8;

/** How to discover a vendor. */
export interface DiscoverOptions {
  revocation: RevocationCheck;
  fetch?: SafeFetchOptions;
  /** Time for checking a credential's validity. */
  clock?: Clock;
  /** A registry credential (compact JWT) the person supplied, and the registries they trust. */
  credential?: { token: string; registries: KeyResolver };
}

/** Normalises and checks an origin typed by a person (`https://shop.example`). */
export function parseOrigin(value: string): string {
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch (cause) {
    throw new IdentityError('ERR_FETCH_SCHEME_REFUSED', `\`${value}\` is not an origin`, { cause });
  }
  try {
    return parseStrict(Origin, origin, 'origin');
  } catch (cause) {
    throw new IdentityError('ERR_FETCH_SCHEME_REFUSED', `\`${value}\` is not an http(s) origin`, { cause });
  }
}

/** Parses a JWKS from a vendor: an object with at most {@link MAX_VENDOR_KEYS} accepted keys, all owned by `origin`. */
export function parseVendorJwks(value: unknown, origin: string): VerificationKey[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new IdentityError('ERR_KEY_INVALID', `\`${origin}\` publishes no keys`);
  if (keys.length > MAX_VENDOR_KEYS) {
    throw new IdentityError('ERR_FETCH_TOO_MANY_KEYS', `\`${origin}\` publishes ${keys.length} keys, more than ${MAX_VENDOR_KEYS}`, { details: { count: keys.length, max: MAX_VENDOR_KEYS } });
  }
  return keys.map((k) => {
    const { kid: _kid, alg: _alg, use: _use, ...jwk } = k as Record<string, unknown>;
    return importVerificationKey({ ...jwk, ...(typeof _kid === 'string' ? { kid: _kid } : {}) }, origin);
  });
}

/**
 * Fetches and verifies a vendor for an explicit `add`: its JWKS and card from its own origin
 * (guarded fetch), the card verified with those keys and bound to the origin, and an optional
 * registry credential checked against the person's trusted registries. Nothing is trusted yet:
 * the caller shows the result to the person and enrols only on confirmation.
 */
export async function discoverVendor(originInput: string, options: DiscoverOptions): Promise<VendorObservation> {
  const origin = parseOrigin(originInput);
  if (options.revocation.isOriginRevoked(origin)) throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${origin}\` is revoked`, { details: { origin } });
  const keys = parseVendorJwks(await fetchJsonGuarded(`${origin}${JWKS_PATH}`, { maxBytes: 64 * 1024, ...options.fetch }), origin);
  const cardJson = await fetchJsonGuarded(`${origin}${AGENT_CARD_PATH}`, options.fetch);
  const card = verifyCard(cardJson, { servedFrom: origin, resolveKey: resolverOf(keys), revocation: options.revocation });
  if (!options.credential) return { card, keys };
  const claims = verifyCredential(options.credential.token, {
    registries: options.credential.registries,
    revocation: options.revocation,
    subject: origin,
    vendorKids: keys.map((k) => k.kid),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { card, keys, credential: { token: options.credential.token, claims } };
}

/**
 * Re-fetches an enrolled vendor and records any drift (card, keys, owners, payout), which
 * suspends it until the person confirms. Only enrolled origins are fetched. Pass
 * `credential.registries` to re-check the stored registry credential (its `token` is ignored).
 */
export async function refreshVendor(vendors: VendorStore, origin: string, options: DiscoverOptions): Promise<ObserveResult> {
  const record = vendors.get(parseOrigin(origin));
  // The stored credential is re-checked (it may have expired or its registry been revoked).
  const credential = record.credential && options.credential ? { registries: options.credential.registries, token: record.credential } : undefined;
  const { credential: _ignored, ...rest } = options;
  const observation = await discoverVendor(record.origin, { ...rest, ...(credential ? { credential } : {}) });
  return vendors.observe(record.origin, observation);
}
