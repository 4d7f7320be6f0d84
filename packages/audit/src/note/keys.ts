import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AuditError } from '../errors.ts';

/**
 * The port through which the broker's signing key comes in: a signed-note key name and an
 * Ed25519 private key. The key store that holds it lives elsewhere; the broker wires it.
 */
export interface NoteSigner {
  /** The key name written in signature lines, e.g. `steward.local/audit`. No spaces, no `+`. */
  name: string;
  privateKey: KeyObject;
}

/** A public key that can check signature lines of one name. */
export interface NoteVerifier {
  name: string;
  /** The 4-byte key hash that prefixes each signature. */
  keyId: Buffer;
  publicKey: KeyObject;
}

const ED25519_TYPE = 0x01;

/** Checks a signed-note key name: non-empty, no Unicode spaces, no `+`. */
export function assertKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || /\p{Cc}/u.test(name)) {
    throw new AuditError(
      'ERR_AUDIT_KEY_INVALID',
      `key name \`${name}\` must be non-empty with no spaces or \`+\``,
      {
        details: { name },
      },
    );
  }
}

/** The raw 32-byte Ed25519 public key of a key object (public or private). */
export function rawEd25519(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') {
    throw new AuditError(
      'ERR_AUDIT_KEY_INVALID',
      `key is \`${pub.asymmetricKeyType ?? 'unknown'}\`, want ed25519`,
    );
  }
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url');
}

/** An Ed25519 public key object from its 32 raw bytes. */
export function ed25519FromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32)
    throw new AuditError('ERR_AUDIT_KEY_INVALID', `ed25519 public key has ${raw.length} bytes, want 32`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/**
 * The signed-note key ID of an Ed25519 key: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key).
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export function noteKeyId(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(rawEd25519(publicKey))
    .digest()
    .subarray(0, 4);
}

/**
 * The verifier key string `name+hex(keyID)+base64(0x01 ‖ key)` that a person can copy and pin.
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export function formatVerifierKey(name: string, publicKey: KeyObject): string {
  assertKeyName(name);
  const id = noteKeyId(name, publicKey).toString('hex');
  const key = Buffer.concat([Buffer.from([ED25519_TYPE]), rawEd25519(publicKey)]).toString('base64');
  return `${name}+${id}+${key}`;
}

/** Parses a verifier key string; throws `ERR_AUDIT_KEY_INVALID` if it is malformed or its ID is wrong. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // The base64 key may itself contain `+`: split at the first two only.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(vkey.trim());
  if (!m) {
    throw new AuditError(
      'ERR_AUDIT_KEY_INVALID',
      `verifier key \`${vkey.slice(0, 80)}\` is not name+hex+base64`,
    );
  }
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  assertKeyName(name);
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519_TYPE) {
    throw new AuditError('ERR_AUDIT_KEY_INVALID', `verifier key \`${name}\` is not an ed25519 key`);
  }
  const publicKey = ed25519FromRaw(raw.subarray(1));
  const keyId = noteKeyId(name, publicKey);
  if (keyId.toString('hex') !== idHex) {
    throw new AuditError(
      'ERR_AUDIT_KEY_INVALID',
      `verifier key \`${name}\` has key id \`${idHex}\`, computed \`${keyId.toString('hex')}\``,
    );
  }
  return { name, keyId, publicKey };
}

/** A verifier for a signer's name and public key. */
export function toVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  assertKeyName(name);
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  return { name, keyId: noteKeyId(name, pub), publicKey: pub };
}

/**
 * Reads a public key as a person may hand it over: a verifier key string, a JWK (JSON) or the
 * 32 raw bytes in base64/base64url. A bare key gets the given default name.
 */
export function parsePublicKeyInput(
  text: string,
  defaultName?: string,
): { publicKey: KeyObject; name?: string } {
  const t = text.trim();
  if (t.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(t);
    } catch {
      throw new AuditError('ERR_AUDIT_KEY_INVALID', 'public key JSON is malformed');
    }
    const j = jwk as { kty?: unknown; crv?: unknown; x?: unknown; d?: unknown };
    if (j.kty !== 'OKP' || j.crv !== 'Ed25519' || typeof j.x !== 'string') {
      throw new AuditError('ERR_AUDIT_KEY_INVALID', 'public key JWK must be an OKP Ed25519 key');
    }
    return {
      publicKey: ed25519FromRaw(Buffer.from(j.x, 'base64url')),
      ...(defaultName ? { name: defaultName } : {}),
    };
  }
  if (/^[^+\s]+\+[0-9a-f]{8}\+/.test(t)) {
    const v = parseVerifierKey(t);
    return { publicKey: v.publicKey, name: v.name };
  }
  if (!/^[A-Za-z0-9_\-+/=]+$/.test(t))
    throw new AuditError('ERR_AUDIT_KEY_INVALID', 'public key is not a JWK, a verifier key or base64');
  return {
    publicKey: ed25519FromRaw(Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64')),
    ...(defaultName ? { name: defaultName } : {}),
  };
}
