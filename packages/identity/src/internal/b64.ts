import { IdentityError } from '../errors.ts';

const B64U = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes or UTF-8 text as base64url without padding. */
export function b64uEncode(data: Uint8Array | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64url');
}

/**
 * Decodes strict base64url (no padding, no other characters). Node's decoder skips bad
 * characters silently, so the alphabet is checked first; a length of 1 mod 4 is never valid.
 */
export function b64uDecode(text: string, what: string): Buffer {
  if (!B64U.test(text) || text.length % 4 === 1) {
    throw new IdentityError('ERR_JWS_MALFORMED', `${what} is not base64url`, { details: { what } });
  }
  return Buffer.from(text, 'base64url');
}

/** True when `text` uses only the base64url alphabet. */
export function isB64u(text: string): boolean {
  return B64U.test(text);
}
