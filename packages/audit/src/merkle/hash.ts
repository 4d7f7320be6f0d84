import { createHash } from 'node:crypto';

/** Length of every hash in the log: SHA-256, 32 bytes. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/**
 * The hash of a leaf: SHA-256(0x00 ‖ data).
 * @see RFC 9162 §2.1.1
 */
export function hashLeaf(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 * @see RFC 9162 §2.1.1
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The root of the empty tree: SHA-256 of the empty string.
 * @see RFC 9162 §2.1.1
 */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();
