import { createHash } from 'node:crypto';
import { leafDigest, pairDigest } from '../internal/digest.ts';

/** Length of every hash in the log: SHA-256, 32 bytes. */
export const HASH_SIZE = 32;

const PREFIX_NODE = Buffer.from([0x01]);

// One-shot hashing (`crypto.hash`) over a reused scratch buffer holding prefix ‖ data, with the
// digest taken as a latin1 string and copied into a pooled Buffer: no Hash object and no
// C++-allocated output Buffer per call, which are most of the cost of hashing a few hundred bytes.

/**
 * The hash of a leaf: SHA-256(0x00 ‖ data).
 * @see RFC 9162 §2.1.1
 */
export function hashLeaf(data: Uint8Array): Buffer {
  return Buffer.from(leafDigest(data), 'latin1');
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 * @see RFC 9162 §2.1.1
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(PREFIX_NODE).update(left).update(right).digest();
  }
  return Buffer.from(pairDigest(left, right), 'latin1');
}

/**
 * The root of the empty tree: SHA-256 of the empty string.
 * @see RFC 9162 §2.1.1
 */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();
