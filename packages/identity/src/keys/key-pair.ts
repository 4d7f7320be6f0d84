import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { IdentityError } from '../errors.ts';

/** JWS algorithms Steward signs and verifies with; everything else is refused whatever a header says. */
export type SigningAlg = 'EdDSA' | 'ES256';

/** Algorithms accepted in a JWS header, by the key type each needs (`Ed25519` is RFC 9864's name for EdDSA with Ed25519). */
export const ALLOWED_JWS_ALGS: ReadonlySet<string> = new Set(['EdDSA', 'Ed25519', 'ES256']);

/** A public JWK of a key type Steward accepts: Ed25519 (RFC 8037) or P-256 (RFC 7518). */
export type PublicJwk =
  | { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: string; alg?: string; use?: string }
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid?: string; alg?: string; use?: string };

/** A key the broker signs with. `kid` is the RFC 7638 thumbprint of the public key. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: PublicJwk;
}

/**
 * A public key that verification may use, with who it belongs to: a vendor origin, a registry
 * id, or `broker`. Only trust stores build these (pinned or enrolled keys, never keys named by a
 * message).
 */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicKey: KeyObject;
  readonly publicJwk: PublicJwk;
  /** Who the key speaks for: an origin such as `https://shop.example`, a registry id, or `broker`. */
  readonly owner: string;
}

/** Looks a key up by `kid` in a trust store the person chose; `undefined` when it is not trusted. */
export type KeyResolver = (kid: string) => VerificationKey | undefined;

const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'kty', 'x'],
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
};

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the required members only, in lexicographic
 * order, no whitespace. Used as `kid` everywhere (RFC 8037 §A.3, Web Bot Auth `keyid`).
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const kty = jwk.kty;
  const members = typeof kty === 'string' ? THUMBPRINT_MEMBERS[kty] : undefined;
  if (!members) throw new IdentityError('ERR_KEY_INVALID', `jwk key type \`${String(kty)}\` has no thumbprint rule`);
  const parts: string[] = [];
  for (const m of members) {
    const v = jwk[m];
    if (typeof v !== 'string' || v.length === 0) {
      throw new IdentityError('ERR_KEY_INVALID', `jwk is missing member \`${m}\``, { details: { member: m } });
    }
    parts.push(`${JSON.stringify(m)}:${JSON.stringify(v)}`);
  }
  return createHash('sha256').update(`{${parts.join(',')}}`).digest('base64url');
}

/** RFC 9278 URI form of a JWK thumbprint. */
export function jwkThumbprintUri(jwk: Readonly<Record<string, unknown>>): string {
  return `urn:ietf:params:oauth:jwk-thumbprint:sha-256:${jwkThumbprint(jwk)}`;
}

function algOfJwk(jwk: PublicJwk): SigningAlg {
  return jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
}

/**
 * Checks a JWK from outside: only Ed25519 and P-256 public keys, no private part, base64url
 * members of the right length. Returns the bare public JWK (no `kid`/`alg`/`use`).
 */
export function parsePublicJwk(value: unknown): PublicJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IdentityError('ERR_KEY_INVALID', 'jwk is not an object');
  }
  const jwk = value as Record<string, unknown>;
  if ('d' in jwk) throw new IdentityError('ERR_KEY_INVALID', 'a public jwk must not carry its private part `d`');
  const b64 = (name: string, bytes: number): string => {
    const v = jwk[name];
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v) || Buffer.from(v, 'base64url').length !== bytes) {
      throw new IdentityError('ERR_KEY_INVALID', `jwk member \`${name}\` must be ${bytes} bytes of base64url`, { details: { member: name } });
    }
    return v;
  };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return { kty: 'OKP', crv: 'Ed25519', x: b64('x', 32) };
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return { kty: 'EC', crv: 'P-256', x: b64('x', 32), y: b64('y', 32) };
  throw new IdentityError('ERR_KEY_INVALID', `jwk \`${String(jwk.kty)}/${String(jwk.crv)}\` is not an accepted key type (Ed25519 or P-256)`, {
    details: { kty: String(jwk.kty), crv: String(jwk.crv) },
  });
}

/**
 * Builds a {@link VerificationKey} from a public JWK pinned for `owner`. `kid` is always the
 * thumbprint; a `kid` member in the JWK that differs from it is refused.
 */
export function importVerificationKey(value: unknown, owner: string): VerificationKey {
  const publicJwk = parsePublicJwk(value);
  const kid = jwkThumbprint(publicJwk);
  const claimed = (value as { kid?: unknown }).kid;
  if (claimed !== undefined && claimed !== kid) {
    throw new IdentityError('ERR_KEY_INVALID', `jwk \`kid\` is not its thumbprint \`${kid}\``, { details: { kid } });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch (cause) {
    throw new IdentityError('ERR_KEY_INVALID', 'jwk is not a valid public key', { cause });
  }
  return { kid, alg: algOfJwk(publicJwk), publicKey, publicJwk, owner };
}

function fromPrivateKeyObject(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const publicJwk = parsePublicJwk(publicKey.export({ format: 'jwk' }));
  return { kid: jwkThumbprint(publicJwk), alg: algOfJwk(publicJwk), privateKey, publicKey, publicJwk };
}

/** Generates a new signing key: Ed25519 by default, P-256 for `ES256`. */
export function generateSigningKey(alg: SigningAlg = 'EdDSA'): SigningKey {
  const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return fromPrivateKeyObject(privateKey);
}

/** Imports a private JWK (Ed25519 or P-256) as a {@link SigningKey}; the public part is derived, not trusted. */
export function importSigningKey(privateJwk: unknown): SigningKey {
  if (typeof privateJwk !== 'object' || privateJwk === null) throw new IdentityError('ERR_KEY_INVALID', 'private jwk is not an object');
  const jwk = privateJwk as Record<string, unknown>;
  if (!(jwk.kty === 'OKP' && jwk.crv === 'Ed25519') && !(jwk.kty === 'EC' && jwk.crv === 'P-256')) {
    throw new IdentityError('ERR_KEY_INVALID', 'private jwk is not an Ed25519 or P-256 key');
  }
  if (typeof jwk.d !== 'string') throw new IdentityError('ERR_KEY_INVALID', 'private jwk has no `d`');
  const { kty, crv, d, x, y } = jwk as { kty: string; crv: string; d: string; x?: string; y?: string };
  let privateKey: KeyObject;
  try {
    // Node needs `x` (and `y`) to import; when they are given they must match `d`, checked below.
    privateKey = createPrivateKey({ key: { kty, crv, d, x, ...(y === undefined ? {} : { y }) }, format: 'jwk' });
  } catch (cause) {
    throw new IdentityError('ERR_KEY_INVALID', 'private jwk is not a valid key', { cause });
  }
  const key = fromPrivateKeyObject(privateKey);
  if (key.publicJwk.x !== x || (key.publicJwk.kty === 'EC' && key.publicJwk.y !== y)) {
    throw new IdentityError('ERR_KEY_INVALID', 'private jwk public members do not match its private part');
  }
  return key;
}

/** Exports the private key as a JWK (for encryption at rest only; never log or send it). */
export function exportPrivateJwk(key: SigningKey): Record<string, string> {
  return key.privateKey.export({ format: 'jwk' }) as Record<string, string>;
}

/** The public JWK as published in a JWKS: thumbprint `kid`, `alg` and `use: sig`. */
export function publishedJwk(key: { kid: string; alg: SigningAlg; publicJwk: PublicJwk }): PublicJwk {
  return { ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' };
}

/** A {@link VerificationKey} for one of the broker's own signing keys. */
export function verificationKeyOf(key: SigningKey, owner: string): VerificationKey {
  return { kid: key.kid, alg: key.alg, publicKey: key.publicKey, publicJwk: key.publicJwk, owner };
}
