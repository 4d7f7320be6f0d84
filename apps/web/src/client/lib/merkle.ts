/**
 * RFC 9162 Merkle proof checks for the browser, on WebCrypto's SHA-256. The browser is a witness:
 * it remembers the last checkpoint it saw and demands proof that the log only grew since.
 * @see RFC 9162 §2.1.4.2 (consistency), §2.1.3.2 (inclusion)
 */

/** Why a proof failed, for the alarm the person sees. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

function fail(reason: string): never {
  throw new ProofError(reason);
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  let length = 0;
  for (const p of parts) length += p.length;
  const all = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(1), left, right);
}

/** SHA-256(0x00 ‖ data). */
export function hashLeaf(data: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0), data);
}

/** Decodes a 32-byte hash given as base64, base64url or lowercase hex. */
export function decodeHash(text: string): Uint8Array {
  let bytes: Uint8Array;
  if (/^[0-9a-f]{64}$/.test(text)) {
    bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  } else {
    if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) fail(`\`${text.slice(0, 80)}\` is not a 32-byte hash`);
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=$/, '') + '=';
    const bin = atob(b64);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  if (bytes.length !== 32) fail('a hash must be 32 bytes');
  return bytes;
}

/** Encodes bytes as standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
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

function toSize(name: string, n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0) fail(`${name} \`${String(n)}\` is not a non-negative integer`);
  return BigInt(n);
}

/**
 * Checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2` leaves
 * with `root2`. Resolves when it is; rejects with {@link ProofError} otherwise. Same semantics as
 * the broker's own check (transparency-dev/merkle VerifyConsistency): equal sizes need an empty
 * proof and equal roots, a proof from size 0 is refused, the proof length must be exact.
 */
export async function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): Promise<void> {
  const m = toSize('size1', size1);
  const n = toSize('size2', size2);
  if (n < m) fail(`the log shrank from ${m} to ${n} entries`);
  if (m === 0n) fail('a consistency proof from size 0 proves nothing');
  if (proof.some((h) => h.length !== 32)) fail('a proof hash is not 32 bytes');
  if (m === n) {
    if (proof.length > 0) fail('sizes are equal but the proof is not empty');
    if (!equalBytes(root1, root2)) fail('same size, different root: the log was rewritten');
    return;
  }
  if (proof.length === 0) fail('the consistency proof is empty');
  const inner0 = bitLength((m - 1n) ^ (n - 1n));
  const border = onesCount((m - 1n) >> BigInt(inner0));
  const shift = trailingZeros(m);
  const inner = inner0 - shift;
  let seed: Uint8Array;
  let start: number;
  if (m === 1n << BigInt(shift)) {
    seed = root1;
    start = 0;
  } else {
    seed = proof[0]!;
    start = 1;
  }
  if (proof.length !== start + inner + border) fail(`the proof has ${proof.length} hashes, want ${start + inner + border}`);
  const rest = proof.slice(start);
  const mask = (m - 1n) >> BigInt(shift);
  let hash1 = seed;
  let hash2 = seed;
  for (let i = 0; i < inner; i++) {
    const h = rest[i]!;
    if (((mask >> BigInt(i)) & 1n) === 1n) {
      hash1 = await hashChildren(h, hash1);
      hash2 = await hashChildren(h, hash2);
    } else {
      hash2 = await hashChildren(hash2, h);
    }
  }
  for (const h of rest.slice(inner)) {
    hash1 = await hashChildren(h, hash1);
    hash2 = await hashChildren(h, hash2);
  }
  if (!equalBytes(hash1, root1)) fail('the proof does not lead to the checkpoint this browser saw before');
  if (!equalBytes(hash2, root2)) fail('the proof does not lead to the current checkpoint');
}

/**
 * Recomputes the root an inclusion proof leads to, and compares it with `root`.
 * @see RFC 9162 §2.1.3.2
 */
export async function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<void> {
  const i = toSize('index', index);
  const n = toSize('size', size);
  if (i >= n) fail(`index ${i} is not below size ${n}`);
  const inner = bitLength(i ^ (n - 1n));
  const border = onesCount(i >> BigInt(inner));
  if (proof.length !== inner + border) fail(`the proof has ${proof.length} hashes, want ${inner + border}`);
  let hash = leafHash;
  for (let k = 0; k < inner; k++) {
    const h = proof[k]!;
    hash = ((i >> BigInt(k)) & 1n) === 0n ? await hashChildren(hash, h) : await hashChildren(h, hash);
  }
  for (const h of proof.slice(inner)) hash = await hashChildren(h, hash);
  if (!equalBytes(hash, root)) fail('the inclusion proof does not lead to the root');
}
