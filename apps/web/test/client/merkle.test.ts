import { consistencyProof, inclusionProof, memoryNodeSource, rootAt, hashLeaf as nodeHashLeaf } from '@steward/audit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHash, encodeBase64, hashLeaf, ProofError, verifyConsistency, verifyInclusion } from '../../src/client/lib/merkle.ts';

function tree(n: number, salt = 'a') {
  const leaves = Array.from({ length: n }, (_, i) => nodeHashLeaf(Buffer.from(`${salt}-${i}`)));
  const source = memoryNodeSource(leaves);
  return { leaves, source };
}

describe('browser consistency check agrees with the broker (RFC 9162)', () => {
  it('accepts every proof @steward/audit makes, for all sizes up to 40', async () => {
    const { source } = tree(40);
    for (let m = 1; m <= 40; m++) {
      for (let n = m; n <= 40; n += 3) {
        const proof = consistencyProof(source, m, n);
        await expect(verifyConsistency(m, n, proof, rootAt(source, m), rootAt(source, n))).resolves.toBeUndefined();
      }
    }
  });

  it('refuses a proof with any hash changed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.nat(), fc.integer({ min: 0, max: 31 }), async (a, b, pick, byte) => {
        const [m, n] = a < b ? [a, b] : [b, a];
        if (m === n) return;
        const { source } = tree(n);
        const proof = consistencyProof(source, m, n).map((h) => Buffer.from(h));
        const i = pick % proof.length;
        const h = proof[i]!;
        h[byte] = h[byte]! ^ 1;
        await expect(verifyConsistency(m, n, proof, rootAt(source, m), rootAt(source, n))).rejects.toBeInstanceOf(ProofError);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a rewritten history: the old root of another tree does not extend to the new one', async () => {
    const honest = tree(20, 'honest');
    const forged = tree(20, 'forged');
    const proof = consistencyProof(honest.source, 8, 20);
    await expect(verifyConsistency(8, 20, proof, rootAt(forged.source, 8), rootAt(honest.source, 20))).rejects.toThrow(/the proof does not lead to the/);
    // and with a size that is not a power of two
    const proof7 = consistencyProof(honest.source, 7, 20);
    await expect(verifyConsistency(7, 20, proof7, rootAt(forged.source, 7), rootAt(honest.source, 20))).rejects.toThrow(/checkpoint this browser saw before/);
  });

  it('refuses a shrinking log, a proof from size 0, wrong lengths and same-size root changes', async () => {
    const { source } = tree(10);
    const r5 = rootAt(source, 5);
    const r10 = rootAt(source, 10);
    await expect(verifyConsistency(10, 5, [], r10, r5)).rejects.toThrow(/shrank/);
    await expect(verifyConsistency(0, 5, [], r5, r5)).rejects.toThrow(/size 0/);
    const proof = consistencyProof(source, 5, 10);
    await expect(verifyConsistency(5, 10, [...proof, proof[0]!], r5, r10)).rejects.toThrow(/hashes, want/);
    await expect(verifyConsistency(5, 10, proof.slice(1), r5, r10)).rejects.toThrow(/hashes, want/);
    await expect(verifyConsistency(5, 5, [], r5, r10)).rejects.toThrow(/rewritten/);
    await expect(verifyConsistency(5, 5, [r5], r5, r5)).rejects.toThrow(/not empty/);
  });

  it('checks inclusion proofs like the broker', async () => {
    const { leaves, source } = tree(13);
    for (let i = 0; i < 13; i++) {
      const proof = inclusionProof(source, i, 13);
      await expect(verifyInclusion(i, 13, leaves[i]!, proof, rootAt(source, 13))).resolves.toBeUndefined();
      await expect(verifyInclusion(i, 13, leaves[(i + 1) % 13]!, proof, rootAt(source, 13))).rejects.toBeInstanceOf(ProofError);
    }
    await expect(verifyInclusion(13, 13, leaves[0]!, [], rootAt(source, 13))).rejects.toThrow(/not below/);
  });

  it('hashes leaves as SHA-256(0x00 ‖ data)', async () => {
    expect(Buffer.from(await hashLeaf(Buffer.from('x')))).toEqual(nodeHashLeaf(Buffer.from('x')));
  });

  it('decodes hashes in base64, base64url and hex, and refuses anything else', () => {
    const bytes = nodeHashLeaf(Buffer.from('k'));
    expect(Buffer.from(decodeHash(bytes.toString('base64')))).toEqual(bytes);
    expect(Buffer.from(decodeHash(bytes.toString('base64url')))).toEqual(bytes);
    expect(Buffer.from(decodeHash(bytes.toString('hex')))).toEqual(bytes);
    expect(encodeBase64(bytes)).toBe(bytes.toString('base64'));
    for (const bad of ['', 'abc', bytes.subarray(0, 31).toString('base64'), `${bytes.toString('hex')}00`]) {
      expect(() => decodeHash(bad)).toThrow(ProofError);
    }
  });
});
