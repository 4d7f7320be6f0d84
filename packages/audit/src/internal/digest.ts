import { hash } from 'node:crypto';

/**
 * SHA-256 digests as 32-character latin1 strings (one char per byte). On Node 20 most of the cost
 * of `crypto.hash(…, 'buffer')` on a few hundred bytes is allocating the output Buffer from C++
 * (~1.0 µs against ~0.25 µs for a string); a latin1 string maps bytes 1:1 and is cheap to make
 * and to copy into a buffer. `hash.ts` turns these into Buffers for its callers; the full
 * verification writes them straight into its work buffer.
 */
export type Digest = string;

/** Digest size in bytes (and in latin1 characters). */
export const DIGEST_SIZE = 32;

// prefix ‖ data is assembled in one reused scratch buffer so each digest is one call.
let scratch = Buffer.allocUnsafe(4096);
const pair = Buffer.allocUnsafe(1 + 2 * DIGEST_SIZE);
pair[0] = 0x01;

/** SHA-256(data) as a latin1 string. */
export function digest(data: Uint8Array): Digest {
  return hash('sha256', data, 'binary');
}

/** SHA-256(0x00 ‖ data) as a latin1 string. */
export function leafDigest(data: Uint8Array): Digest {
  if (data.length >= scratch.length)
    scratch = Buffer.allocUnsafe(Math.max(data.length + 1, scratch.length * 2));
  scratch[0] = 0x00;
  scratch.set(data, 1);
  return hash('sha256', scratch.subarray(0, data.length + 1), 'binary');
}

/** SHA-256(0x01 ‖ left ‖ right) of two 32-byte hashes as a latin1 string. */
export function pairDigest(left: Uint8Array, right: Uint8Array): Digest {
  pair.set(left, 1);
  pair.set(right, 1 + DIGEST_SIZE);
  return hash('sha256', pair, 'binary');
}
