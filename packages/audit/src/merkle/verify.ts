import { AuditError } from '../errors.ts';
import { HASH_SIZE, hashChildren } from './hash.ts';

function fail(reason: string, details: Record<string, string | number> = {}): never {
  throw new AuditError('ERR_AUDIT_PROOF_INVALID', reason, { details: { reason, ...details } });
}

function toBig(name: string, n: number | bigint): bigint {
  if (typeof n === 'bigint') {
    if (n < 0n) fail(`${name} is negative`);
    return n;
  }
  if (!Number.isInteger(n) || n < 0) fail(`${name} \`${String(n)}\` is not a non-negative integer`);
  // Beyond 2^53 a JS number is not exact; treat it as the integer it denotes (always huge).
  return BigInt(n);
}

function bitLength(x: bigint): number {
  let n = 0;
  while (x > 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function onesCount(x: bigint): number {
  let n = 0;
  while (x > 0n) {
    if (x & 1n) n++;
    x >>= 1n;
  }
  return n;
}

function trailingZeros(x: bigint): number {
  let n = 0;
  while (x > 0n && (x & 1n) === 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

function decompose(index: bigint, size: bigint): { inner: number; border: number } {
  const inner = bitLength(index ^ (size - 1n));
  const border = onesCount(index >> BigInt(inner));
  return { inner, border };
}

function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  proof.forEach((h, i) => {
    seed = ((index >> BigInt(i)) & 1n) === 0n ? hashChildren(seed, h) : hashChildren(h, seed);
  });
  return seed;
}

function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: bigint): Uint8Array {
  proof.forEach((h, i) => {
    if (((index >> BigInt(i)) & 1n) === 1n) seed = hashChildren(h, seed);
  });
  return seed;
}

function chainBorderRight(seed: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  for (const h of proof) seed = hashChildren(h, seed);
  return seed;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Recomputes the root implied by an inclusion proof. Throws `ERR_AUDIT_PROOF_INVALID` when the
 * index is not below the size, the leaf hash is not 32 bytes, or the proof length is not exactly
 * the one the index and size require.
 * @see RFC 9162 §2.1.3.2; semantics of transparency-dev/merkle proof.RootFromInclusionProof
 */
export function rootFromInclusionProof(
  index: number | bigint,
  size: number | bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  const i = toBig('index', index);
  const n = toBig('size', size);
  if (i >= n) fail(`index ${i} is not below tree size ${n}`);
  if (leafHash.length !== HASH_SIZE) fail(`leaf hash has ${leafHash.length} bytes, want ${HASH_SIZE}`);
  const { inner, border } = decompose(i, n);
  if (proof.length !== inner + border) fail(`proof has ${proof.length} hashes, want ${inner + border}`);
  const res = chainInner(leafHash, proof.slice(0, inner), i);
  return Buffer.from(chainBorderRight(res, proof.slice(inner)));
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`. Throws
 * `ERR_AUDIT_PROOF_INVALID` otherwise.
 * @see RFC 9162 §2.1.3.2
 */
export function verifyInclusion(
  index: number | bigint,
  size: number | bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const calculated = rootFromInclusionProof(index, size, leafHash, proof);
  if (!equalBytes(calculated, root)) fail('inclusion proof does not lead to the root');
}

/**
 * Checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2` leaves
 * with `root2`. A proof from size 0 is rejected (it proves nothing); equal sizes need an empty
 * proof and equal roots; the proof length must be exact. Throws `ERR_AUDIT_PROOF_INVALID`.
 * @see RFC 9162 §2.1.4.2; semantics of transparency-dev/merkle proof.VerifyConsistency
 */
export function verifyConsistency(
  size1: number | bigint,
  size2: number | bigint,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const m = toBig('size1', size1);
  const n = toBig('size2', size2);
  if (n < m) fail(`size2 ${n} is smaller than size1 ${m}`);
  if (m === 0n) fail('a consistency proof from size 0 is meaningless');
  if (m === n) {
    if (proof.length > 0) fail('sizes are equal but the proof is not empty');
    if (!equalBytes(root1, root2)) fail('sizes are equal but the roots differ');
    return;
  }
  if (proof.length === 0) fail('consistency proof is empty');
  const decomposed = decompose(m - 1n, n);
  const shift = trailingZeros(m);
  const inner = decomposed.inner - shift;
  const border = decomposed.border;
  let seed: Uint8Array;
  let start: number;
  if (m === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  } else {
    seed = proof[0]!;
    start = 1;
  }
  if (proof.length !== start + inner + border)
    fail(`proof has ${proof.length} hashes, want ${start + inner + border}`);
  const rest = proof.slice(start);
  const mask = (m - 1n) >> BigInt(shift);
  let hash1 = chainInnerRight(seed, rest.slice(0, inner), mask);
  hash1 = chainBorderRight(hash1, rest.slice(inner));
  if (!equalBytes(hash1, root1)) fail('consistency proof does not lead to the first root');
  let hash2 = chainInner(seed, rest.slice(0, inner), mask);
  hash2 = chainBorderRight(hash2, rest.slice(inner));
  if (!equalBytes(hash2, root2)) fail('consistency proof does not lead to the second root');
}
