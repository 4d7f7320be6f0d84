import { sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { parseJson } from '@steward/protocol';
import { IdentityError } from '../errors.ts';
import { b64uDecode, b64uEncode } from '../internal/b64.ts';
import { shown } from '../internal/shown.ts';
import { ALLOWED_JWS_ALGS, type KeyResolver, type SigningKey, type VerificationKey } from '../keys/key-pair.ts';

/** A JOSE protected header as Steward reads it. */
export interface JwsHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
  readonly crit?: readonly string[];
  readonly [name: string]: unknown;
}

/**
 * Header parameters that carry or point at a key. A signed object never chooses its own trust
 * root (ARCHITECTURE principle 4, THREATS #22), so any of them refuses the object.
 */
export const EMBEDDED_KEY_HEADERS: readonly string[] = ['jku', 'x5u', 'x5c', 'jwk', 'x5t', 'x5t#S256'];

/** Which `crit` extensions Steward understands: none. */
const UNDERSTOOD_CRIT: ReadonlySet<string> = new Set();

const MAX_HEADER_CHARS = 4096;

/**
 * Decodes and checks a protected header: JSON object, `alg` on the allow-list (never `none` or
 * HS*), no `crit` extension, no embedded or referenced key, `kid` present.
 */
export function decodeProtectedHeader(b64: string): JwsHeader {
  // Checked headers are cached by their exact text: the checks are a pure function of it, and one
  // signer sends the same header with every message.
  const cached = headerCache.get(b64);
  if (cached) return cached;
  const header = decodeUncached(b64);
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  headerCache.set(b64, header);
  return header;
}

const HEADER_CACHE_SIZE = 1024;
const headerCache = new Map<string, JwsHeader>();

function decodeUncached(b64: string): JwsHeader {
  if (b64.length > MAX_HEADER_CHARS) throw new IdentityError('ERR_JWS_MALFORMED', 'jws protected header is too long');
  let header: unknown;
  try {
    header = parseJson(b64uDecode(b64, 'jws protected header').toString('utf8'), { maxBytes: MAX_HEADER_CHARS, maxDepth: 4 });
  } catch (cause) {
    if (cause instanceof IdentityError) throw cause;
    throw new IdentityError('ERR_JWS_MALFORMED', 'jws protected header is not a json object', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new IdentityError('ERR_JWS_MALFORMED', 'jws protected header is not a json object');
  }
  checkHeader(header as Record<string, unknown>);
  return Object.freeze(header) as JwsHeader;
}

/** The header checks shared by compact and detached signatures (also run on unprotected headers). */
export function checkHeader(header: Readonly<Record<string, unknown>>, unprotected = false): void {
  for (const name of EMBEDDED_KEY_HEADERS) {
    if (name in header) {
      throw new IdentityError('ERR_JWS_EMBEDDED_KEY_REFUSED', `jws header names its own key with \`${name}\`; keys come only from the person's trust store`, {
        details: { header: name },
      });
    }
  }
  if (unprotected) {
    // Only `kid` may sit outside the protection; anything security-relevant must be signed.
    for (const name of Object.keys(header)) {
      if (name !== 'kid') throw new IdentityError('ERR_JWS_MALFORMED', `jws unprotected header \`${name}\` is not accepted`, { details: { header: name } });
    }
    return;
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !ALLOWED_JWS_ALGS.has(alg)) {
    throw new IdentityError('ERR_JWS_ALG_NOT_ALLOWED', `jws algorithm \`${shown(alg)}\` is not allowed (EdDSA, Ed25519 or ES256 only)`, {
      details: { alg: shown(alg) },
    });
  }
  if ('crit' in header) {
    const crit = header.crit;
    const names = (Array.isArray(crit) ? crit.map(String) : [String(crit)]).slice(0, 10).map((n) => shown(n));
    const unknown = names.filter((n) => !UNDERSTOOD_CRIT.has(n));
    if (!Array.isArray(crit) || crit.length === 0 || unknown.length > 0) {
      throw new IdentityError('ERR_JWS_CRIT_UNSUPPORTED', `jws header marks \`${unknown.join(', ') || 'crit'}\` critical, which is not understood`, {
        details: { crit: names },
      });
    }
  }
  if ('b64' in header) throw new IdentityError('ERR_JWS_CRIT_UNSUPPORTED', 'jws header `b64` (RFC 7797) is not supported');
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 256)) {
    throw new IdentityError('ERR_JWS_MALFORMED', 'jws header `kid` must be a non-empty string');
  }
  if (header.typ !== undefined && typeof header.typ !== 'string') throw new IdentityError('ERR_JWS_MALFORMED', 'jws header `typ` must be a string');
}

/** The algorithm and key must agree: an Ed25519 key verifies only EdDSA/Ed25519, a P-256 key only ES256. */
export function checkAlgMatchesKey(alg: string, key: VerificationKey): void {
  const ok = key.alg === 'EdDSA' ? alg === 'EdDSA' || alg === 'Ed25519' : alg === 'ES256';
  if (!ok) {
    throw new IdentityError('ERR_JWS_ALG_KEY_MISMATCH', `jws algorithm \`${alg}\` does not fit key \`${key.kid}\` (${key.alg})`, {
      details: { alg, kid: key.kid },
    });
  }
}

/** Signs `signingInput` (ASCII `protected.payload`) with the key's algorithm; ES256 signatures are raw r‖s. */
export function signBytes(key: SigningKey, signingInput: Uint8Array): Buffer {
  return key.alg === 'EdDSA'
    ? cryptoSign(null, signingInput, key.privateKey)
    : cryptoSign('sha256', signingInput, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
}

/** Verifies a raw JWS signature with node:crypto (no header is consulted: the key fixes the algorithm). */
export function verifyBytes(key: VerificationKey, signingInput: Uint8Array, signature: Uint8Array): boolean {
  if (key.alg === 'EdDSA') return signature.length === 64 && cryptoVerify(null, signingInput, key.publicKey, signature);
  return signature.length === 64 && cryptoVerify('sha256', signingInput, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
}

/** What to put in a protected header besides `alg` and `kid`. */
export interface SignHeaderOptions {
  typ?: string;
  /** More protected parameters; key-carrying ones (`jku`, `jwk`, …) are refused. */
  extra?: Readonly<Record<string, string | number | boolean>>;
}

function protectedHeaderFor(key: SigningKey, options: SignHeaderOptions): string {
  const header: Record<string, unknown> = { alg: key.alg, kid: key.kid };
  if (options.typ !== undefined) header.typ = options.typ;
  for (const [k, v] of Object.entries(options.extra ?? {})) {
    if (k in header) continue;
    header[k] = v;
  }
  checkHeader(header);
  return b64uEncode(JSON.stringify(header));
}

/**
 * Signs `payload` as a compact JWS with `alg` and `kid` (the thumbprint) in the protected header.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export function signCompact(payload: Uint8Array | string, key: SigningKey, options: SignHeaderOptions = {}): string {
  const signingInput = `${protectedHeaderFor(key, options)}.${b64uEncode(payload)}`;
  return `${signingInput}.${signBytes(key, Buffer.from(signingInput, 'ascii')).toString('base64url')}`;
}

/** A detached JWS (payload not included), as used by A2A card signatures (RFC 7515 Appendix F). */
export interface DetachedJws {
  protected: string;
  signature: string;
}

/** Signs `payload` and returns the protected header and signature without the payload. */
export function signDetached(payload: Uint8Array | string, key: SigningKey, options: SignHeaderOptions = {}): DetachedJws {
  const protectedB64 = protectedHeaderFor(key, options);
  const signingInput = `${protectedB64}.${b64uEncode(payload)}`;
  return { protected: protectedB64, signature: signBytes(key, Buffer.from(signingInput, 'ascii')).toString('base64url') };
}

/** A checked JWS: the header, the raw payload bytes and the trusted key that verified it. */
export interface VerifiedJws {
  readonly header: JwsHeader;
  readonly payload: Buffer;
  readonly key: VerificationKey;
}

/** How to verify a compact JWS. */
export interface VerifyCompactOptions {
  /** Trusted keys by `kid`. */
  resolveKey: KeyResolver;
  /** Required `typ`, compared exactly (a signature of one purpose never passes as another). */
  typ?: string;
  /** Refuses keys on the deny-list before anything else. */
  isKeyRevoked?: (kid: string) => boolean;
  /** Largest token accepted, in characters. Default 64 KiB. */
  maxBytes?: number;
}

/** Splits a compact JWS and checks its shape and size. */
export function splitCompact(token: unknown, maxBytes = 64 * 1024): [string, string, string] {
  if (typeof token !== 'string') throw new IdentityError('ERR_JWS_MALFORMED', 'jws is not a string');
  if (token.length > maxBytes) {
    throw new IdentityError('ERR_JWS_TOO_LARGE', `jws is longer than ${maxBytes} characters`, { details: { maxBytes, length: token.length } });
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw new IdentityError('ERR_JWS_MALFORMED', `jws has ${parts.length} parts, not 3`);
  const [h, p, s] = parts as [string, string, string];
  // An empty signature (the `alg: none` shape) gets past here so the header check names the algorithm.
  if (h.length === 0) throw new IdentityError('ERR_JWS_MALFORMED', 'jws has an empty header');
  return [h, p, s];
}

/** Resolves `kid` through the revocation list first, then the trust store. */
export function resolveTrustedKey(header: JwsHeader, options: Pick<VerifyCompactOptions, 'resolveKey' | 'isKeyRevoked'>): VerificationKey {
  const kid = header.kid;
  if (kid === undefined) throw new IdentityError('ERR_JWS_KID_MISSING', 'jws header has no `kid`');
  if (options.isKeyRevoked?.(kid)) throw new IdentityError('ERR_KEY_REVOKED', `key \`${kid}\` is revoked`, { details: { kid } });
  const key = options.resolveKey(kid);
  if (!key) throw new IdentityError('ERR_JWS_KID_UNKNOWN', `key \`${kid}\` is not in the trust store`, { details: { kid } });
  checkAlgMatchesKey(header.alg, key);
  return key;
}

/**
 * Verifies a compact JWS against the trust store: size and shape, header checks, `typ`,
 * revocation, key by `kid`, then the signature over the exact signing input.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export function verifyCompact(token: unknown, options: VerifyCompactOptions): VerifiedJws {
  const [h, p, s] = splitCompact(token, options.maxBytes);
  const header = decodeProtectedHeader(h);
  if (options.typ !== undefined && header.typ !== options.typ) {
    throw new IdentityError('ERR_JWS_TYP_MISMATCH', `jws \`typ\` is \`${shown(header.typ)}\`, expected \`${options.typ}\``, {
      details: { typ: shown(header.typ), expected: options.typ },
    });
  }
  const key = resolveTrustedKey(header, options);
  const signature = b64uDecode(s, 'jws signature');
  const payload = b64uDecode(p, 'jws payload');
  // INVARIANT: the signing input is the received text, never a re-encoding of it.
  if (!verifyBytes(key, Buffer.from(token as string, 'latin1').subarray(0, h.length + 1 + p.length), signature)) {
    throw new IdentityError('ERR_JWS_SIGNATURE_INVALID', `jws signature does not verify with key \`${key.kid}\``, { details: { kid: key.kid } });
  }
  return { header, payload, key };
}
