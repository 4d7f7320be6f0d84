import { createHash, hash } from 'node:crypto';

/** Length of every hash in the log: SHA-256, 32 bytes. */
export const HASH_SIZE = 32;

// One-shot hashing (`crypto.hash`) over a reused scratch buffer holding prefix ‖ data: no Hash
// object per call, which is most of the cost of hashing a few hundred bytes.
let scratch = Buffer.allocUnsafe(4096);
const node = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
node[0] = 0x01;

/**
 * The hash of a leaf: SHA-256(0x00 ‖ data).
 * @see RFC 9162 §2.1.1
 */
export function hashLeaf(data: Uint8Array): Buffer {
  if (data.length >= scratch.length) scratch = Buffer.allocUnsafe(Math.max(data.length + 1, scratch.length * 2));
  scratch[0] = 0x00;
  scratch.set(data, 1);
  return hash('sha256', scratch.subarray(0, data.length + 1), 'buffer');
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 * @see RFC 9162 §2.1.1
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(node.subarray(0, 1)).update(left).update(right).digest();
  }
  node.set(left, 1);
  node.set(right, 1 + HASH_SIZE);
  return hash('sha256', node, 'buffer');
}

/**
 * The root of the empty tree: SHA-256 of the empty string.
 * @see RFC 9162 §2.1.1
 */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();
