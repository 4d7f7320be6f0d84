import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ProfileError } from '../errors.ts';

/** Subkeys derived from the caller's 32-byte data key, one per use, so no key serves two purposes. */
export interface ProfileKeys {
  /** AES-256-GCM key for values at rest. */
  readonly enc: Buffer;
  /** HMAC key for field hashes in the ledger and the key check. */
  readonly mac: Buffer;
  /** HMAC key for per-vendor relay addresses. */
  readonly relay: Buffer;
}

const SALT = Buffer.from('steward-profile/v1', 'utf8');

function subkey(dataKey: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, SALT, Buffer.from(info, 'utf8'), 32));
}

/** Derives the profile's subkeys with HKDF-SHA256; rejects anything but 32 bytes. */
export function deriveKeys(dataKey: Uint8Array): ProfileKeys {
  if (!(dataKey instanceof Uint8Array) || dataKey.byteLength !== 32) {
    throw new ProfileError('ERR_PROFILE_KEY_INVALID', 'the profile data key must be exactly 32 bytes', {
      details: { length: dataKey instanceof Uint8Array ? dataKey.byteLength : null },
    });
  }
  return {
    enc: subkey(dataKey, 'steward/profile/value-encryption'),
    mac: subkey(dataKey, 'steward/profile/field-hash'),
    relay: subkey(dataKey, 'steward/profile/relay-address'),
  };
}

/** Length-prefixed encoding, so that (`ab`,`c`) and (`a`,`bc`) never hash alike. */
function frame(parts: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.byteLength);
    chunks.push(len, b);
  }
  return Buffer.concat(chunks);
}

/** HMAC-SHA256 over framed parts, base64url (43 characters). */
export function hmacB64u(key: Buffer, parts: readonly string[]): string {
  return createHmac('sha256', key).update(frame(parts)).digest('base64url');
}

/** HMAC-SHA256 over framed parts, hex. */
export function hmacHex(key: Buffer, parts: readonly string[]): string {
  return createHmac('sha256', key).update(frame(parts)).digest('hex');
}

/** The associated data binding a ciphertext to its row id and data class. */
export function valueAad(valueId: string, dataClass: string): Buffer {
  return frame(['steward-profile-value/v1', valueId, dataClass]);
}

/** AES-256-GCM with a fresh random 96-bit nonce; returns the nonce and ciphertext‖tag. */
export function seal(key: Buffer, plaintext: string, aad: Buffer): { nonce: Buffer; ciphertext: Buffer } {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

/** Opens a sealed value; any tampering, swap or wrong key fails with `ERR_PROFILE_DECRYPT_FAILED`. */
export function open(key: Buffer, nonce: Buffer, ciphertext: Buffer, aad: Buffer, valueId: string): string {
  try {
    if (nonce.byteLength !== 12 || ciphertext.byteLength < 16) throw new Error('malformed sealed value');
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.byteLength - 16));
    const body = ciphertext.subarray(0, ciphertext.byteLength - 16);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new ProfileError('ERR_PROFILE_DECRYPT_FAILED', `profile value \`${valueId}\` cannot be decrypted: it was altered, moved or written with another key`, {
      cause,
      details: { valueId },
    });
  }
}

/** A random identifier with a prefix, e.g. `pv-3f…`. */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}-${randomBytes(bytes).toString('hex')}`;
}
