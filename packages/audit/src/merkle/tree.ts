import { AuditError } from '../errors.ts';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hash.ts';

/**
 * Gives the hash of the perfect subtree at `level` covering leaves
 * `[index·2^level, (index+1)·2^level)`; level 0 is a leaf hash. The log reads these from its
 * node table; tests build them from arrays. Never asked for a subtree beyond the tree's size.
 */
export type NodeSource = (level: number, index: number) => Uint8Array;

/** The largest power of two strictly smaller than `n` (n ≥ 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function perfectLevel(n: number): number {
  // n is a power of two here; count halvings exactly (no float log).
  let level = 0;
  while (n > 1) {
    n /= 2;
    level++;
  }
  return level;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

function assertSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AuditError(
      'ERR_AUDIT_INDEX_OUT_OF_RANGE',
      `${name} \`${String(n)}\` is not a tree size or index`,
      {
        details: { [name]: String(n) },
      },
    );
  }
}

/**
 * MTH(D[begin:end]) from perfect-subtree hashes: O(log n) reads, since every left child in the
 * RFC 9162 recursion is a perfect, aligned subtree.
 * @see RFC 9162 §2.1.1
 */
export function rangeHash(source: NodeSource, begin: number, end: number): Buffer {
  const n = end - begin;
  if (n === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && begin % n === 0) return Buffer.from(source(perfectLevel(n), begin / n));
  const k = largestPowerOfTwoBelow(n);
  return hashChildren(rangeHash(source, begin, begin + k), rangeHash(source, begin + k, end));
}

/**
 * The Merkle tree hash of the first `size` leaves.
 * @see RFC 9162 §2.1.1
 */
export function rootAt(source: NodeSource, size: number): Buffer {
  assertSize('size', size);
  return rangeHash(source, 0, size);
}

/**
 * The inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, leaf end first.
 * @see RFC 9162 §2.1.3.1
 */
export function inclusionProof(source: NodeSource, index: number, size: number): Buffer[] {
  assertSize('index', index);
  assertSize('size', size);
  if (index >= size) {
    throw new AuditError('ERR_AUDIT_INDEX_OUT_OF_RANGE', `index ${index} is not below tree size ${size}`, {
      details: { index, size },
    });
  }
  const path = (m: number, begin: number, end: number): Buffer[] => {
    const n = end - begin;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...path(m, begin, begin + k), rangeHash(source, begin + k, end)];
    return [...path(m - k, begin + k, end), rangeHash(source, begin, begin + k)];
  };
  return path(index, 0, size);
}

/**
 * The consistency proof that the tree of `size1` leaves is a prefix of the tree of `size2`.
 * Empty when the sizes are equal; `size1` must be at least 1.
 * @see RFC 9162 §2.1.4.1
 */
export function consistencyProof(source: NodeSource, size1: number, size2: number): Buffer[] {
  assertSize('size1', size1);
  assertSize('size2', size2);
  if (size1 < 1 || size1 > size2) {
    throw new AuditError(
      'ERR_AUDIT_INDEX_OUT_OF_RANGE',
      `no consistency proof from size ${size1} to size ${size2}`,
      {
        details: { size1, size2 },
      },
    );
  }
  const sub = (m: number, begin: number, end: number, complete: boolean): Buffer[] => {
    const n = end - begin;
    if (m === n) return complete ? [] : [rangeHash(source, begin, end)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...sub(m, begin, begin + k, complete), rangeHash(source, begin + k, end)];
    return [...sub(m - k, begin + k, end, false), rangeHash(source, begin, begin + k)];
  };
  return sub(size1, 0, size2, true);
}

/** A {@link NodeSource} over leaf hashes held in memory (for tests, vectors and small trees). */
export function memoryNodeSource(leafHashes: readonly Uint8Array[]): NodeSource {
  const cache = new Map<string, Uint8Array>();
  const get = (level: number, index: number): Uint8Array => {
    if (level === 0) {
      const h = leafHashes[index];
      if (!h) throw new RangeError(`leaf ${index} does not exist`);
      return h;
    }
    const key = `${level}:${index}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const h = hashChildren(get(level - 1, 2 * index), get(level - 1, 2 * index + 1));
    cache.set(key, h);
    return h;
  };
  return get;
}

/** The root of a tree over the given leaf data (each hashed as a leaf first). */
export function rootOfLeaves(leaves: readonly Uint8Array[]): Buffer {
  return rootAt(memoryNodeSource(leaves.map((d) => hashLeaf(d))), leaves.length);
}
