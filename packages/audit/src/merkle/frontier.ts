import { AuditError } from '../errors.ts';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.ts';

/** A perfect subtree completed by an append: where it sits and its hash. */
export interface CompletedNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * The compact range of a growing tree: one perfect-subtree hash per set bit of its size, largest
 * first. Appending a leaf merges equal-sized subtrees, so each append costs O(1) hashes amortised
 * and reports every newly completed node so the log can store it.
 * @see RFC 9162 §2.1.1
 */
export class Frontier {
  #size: number;
  /** Hashes of the perfect subtrees of [0, size), largest (leftmost) first. */
  #hashes: Buffer[];

  constructor(size = 0, hashes: readonly Buffer[] = []) {
    if (
      !Number.isSafeInteger(size) ||
      size < 0 ||
      popcount(size) !== hashes.length ||
      hashes.some((h) => h.length !== HASH_SIZE)
    ) {
      throw new AuditError(
        'ERR_AUDIT_STATE_CORRUPT',
        `frontier of ${hashes.length} hashes does not fit tree size ${size}`,
        {
          details: { size, hashes: hashes.length },
        },
      );
    }
    this.#size = size;
    this.#hashes = [...hashes];
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** A copy of the compact-range hashes, largest subtree first. */
  get hashes(): Buffer[] {
    return [...this.#hashes];
  }

  /** Appends a leaf hash; returns the nodes it completed, the leaf itself (level 0) first. */
  append(leafHash: Buffer): CompletedNode[] {
    const index = this.#size;
    const done: CompletedNode[] = [{ level: 0, index, hash: leafHash }];
    let hash = leafHash;
    let level = 0;
    let pos = index;
    // Each trailing 1-bit of the old size is a left sibling waiting for this subtree.
    while (pos % 2 === 1) {
      const left = this.#hashes.pop();
      if (!left) throw new AuditError('ERR_AUDIT_STATE_CORRUPT', 'frontier is shorter than its size says');
      hash = hashChildren(left, hash);
      level++;
      pos = (pos - 1) / 2;
      done.push({ level, index: pos, hash });
    }
    this.#hashes.push(hash);
    this.#size++;
    return done;
  }

  /** The root of the tree so far. */
  root(): Buffer {
    const hs = this.#hashes;
    if (hs.length === 0) return EMPTY_ROOT;
    let acc = hs[hs.length - 1]!;
    for (let i = hs.length - 2; i >= 0; i--) acc = hashChildren(hs[i]!, acc);
    return acc;
  }

  /** A copy that can advance on its own. */
  clone(): Frontier {
    return new Frontier(this.#size, this.#hashes);
  }
}

/** Number of set bits of a safe integer. */
export function popcount(n: number): number {
  let c = 0;
  while (n > 0) {
    if (n % 2 === 1) c++;
    n = Math.floor(n / 2);
  }
  return c;
}
