import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  Frontier,
  hashLeaf,
  inclusionProof,
  memoryNodeSource,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from '../../src/index.ts';

function flip(b: Uint8Array, bit: number): Buffer {
  const c = Buffer.from(b);
  const i = Math.floor(bit / 8) % c.length;
  c[i] = c[i]! ^ (1 << (bit % 8));
  return c;
}

const tree = fc
  .array(fc.uint8Array({ minLength: 0, maxLength: 24 }), { minLength: 1, maxLength: 70 })
  .map((leaves) => {
    // Distinct leaves, so that a proof for one index can never also be right for another.
    const hashes = leaves.map((l, i) => hashLeaf(Buffer.concat([Buffer.from(`${i}:`), l])));
    return { hashes, src: memoryNodeSource(hashes) };
  });

describe('Merkle properties', () => {
  it('the frontier root equals the recursive root at every size', () => {
    fc.assert(
      fc.property(tree, ({ hashes, src }) => {
        const f = new Frontier();
        hashes.forEach((h, i) => {
          f.append(h);
          expect(f.root().equals(rootAt(src, i + 1))).toBe(true);
        });
      }),
    );
  });

  it('every inclusion proof verifies; one flipped bit in proof, root or leaf fails', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat(2047), ({ hashes, src }, a, b, bit) => {
        const n = 1 + (a % hashes.length);
        const i = b % n;
        const root = rootAt(src, n);
        const proof = inclusionProof(src, i, n);
        verifyInclusion(i, n, hashes[i]!, proof, root);
        const code = expect.objectContaining({ code: 'ERR_AUDIT_PROOF_INVALID' });
        expect(() => verifyInclusion(i, n, hashes[i]!, proof, flip(root, bit))).toThrow(code);
        expect(() => verifyInclusion(i, n, flip(hashes[i]!, bit), proof, root)).toThrow(code);
        if (proof.length > 0) {
          const k = bit % proof.length;
          const bad = proof.map((p, j) => (j === k ? flip(p, bit) : p));
          expect(() => verifyInclusion(i, n, hashes[i]!, bad, root)).toThrow(code);
          expect(() => verifyInclusion(i, n, hashes[i]!, proof.slice(1), root)).toThrow(code);
        }
        if (n > 1) expect(() => verifyInclusion((i + 1) % n, n, hashes[i]!, proof, root)).toThrow();
      }),
    );
  });

  it('every consistency proof verifies; one flipped bit in proof or either root fails', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat(2047), ({ hashes, src }, a, b, bit) => {
        const n = 1 + (a % hashes.length);
        const m = 1 + (b % n);
        const r1 = rootAt(src, m);
        const r2 = rootAt(src, n);
        const proof = consistencyProof(src, m, n);
        verifyConsistency(m, n, proof, r1, r2);
        const code = expect.objectContaining({ code: 'ERR_AUDIT_PROOF_INVALID' });
        expect(() => verifyConsistency(m, n, proof, flip(r1, bit), r2)).toThrow(code);
        expect(() => verifyConsistency(m, n, proof, r1, flip(r2, bit))).toThrow(code);
        if (proof.length > 0) {
          const k = bit % proof.length;
          expect(() =>
            verifyConsistency(
              m,
              n,
              proof.map((p, j) => (j === k ? flip(p, bit) : p)),
              r1,
              r2,
            ),
          ).toThrow(code);
          expect(() => verifyConsistency(m, n, [...proof, proof[0]!], r1, r2)).toThrow(code);
        }
      }),
    );
  });
});
