import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  Frontier,
  hashLeaf,
  inclusionProof,
  memoryNodeSource,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from '../../src/index.ts';

interface InclusionProbe {
  file: string;
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[];
  wantErr: boolean;
}
interface ConsistencyProbe {
  file: string;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
  wantErr: boolean;
}

const v = JSON.parse(readFileSync(new URL('../vectors/merkle-rfc6962.json', import.meta.url), 'utf8'));
const hex = (s: string) => Buffer.from(s, 'hex');
const leaves: Buffer[] = v.leaf_inputs_hex.map(hex);
const leafHashes = leaves.map((l) => hashLeaf(l));
const src = memoryNodeSource(leafHashes);

describe('RFC 6962 known answers (transparency-dev/merkle)', () => {
  it('keeps its source', () => {
    expect(v.source).toContain('transparency-dev/merkle');
  });

  it('computes every root by size, from arrays and from the frontier', () => {
    const f = new Frontier();
    expect(f.root().toString('hex')).toBe(v.roots_by_size['0']);
    expect(EMPTY_ROOT.toString('hex')).toBe(v.roots_by_size['0']);
    for (let n = 1; n <= leaves.length; n++) {
      f.append(leafHashes[n - 1]!);
      expect(rootAt(src, n).toString('hex')).toBe(v.roots_by_size[String(n)]);
      expect(f.root().toString('hex')).toBe(v.roots_by_size[String(n)]);
    }
  });

  it('reproduces the node hashes by level', () => {
    for (const [level, hashes] of Object.entries<string[]>(v.node_hashes_by_level)) {
      hashes.forEach((h, i) => expect(Buffer.from(src(Number(level), i)).toString('hex')).toBe(h));
    }
  });

  it('regenerates and verifies the published inclusion proofs', () => {
    for (const c of v.inclusion_proofs.cases) {
      const proof = inclusionProof(src, c.leafIndex, c.treeSize);
      expect(proof.map((p) => p.toString('hex'))).toEqual(c.proof);
      expect(() =>
        verifyInclusion(
          c.leafIndex,
          c.treeSize,
          leafHashes[c.leafIndex]!,
          proof,
          hex(v.roots_by_size[String(c.treeSize)]),
        ),
      ).not.toThrow();
    }
  });

  it('regenerates and verifies the published consistency proofs', () => {
    for (const c of v.consistency_proofs.cases) {
      const proof = consistencyProof(src, c.size1, c.size2);
      expect(proof.map((p) => p.toString('hex'))).toEqual(c.proof);
      expect(() =>
        verifyConsistency(
          c.size1,
          c.size2,
          proof,
          hex(v.roots_by_size[String(c.size1)]),
          hex(v.roots_by_size[String(c.size2)]),
        ),
      ).not.toThrow();
    }
  });

  it.each<[string, InclusionProbe]>(v.probes.inclusion.map((p: InclusionProbe) => [p.file, p]))(
    'inclusion probe %s',
    (_file, p) => {
      const run = () =>
        verifyInclusion(p.leafIdx, p.treeSize, hex(p.leafHash), p.proof.map(hex), hex(p.root));
      if (p.wantErr) expect(run).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_PROOF_INVALID' }));
      else expect(run).not.toThrow();
    },
  );

  it.each<[string, ConsistencyProbe]>(v.probes.consistency.map((p: ConsistencyProbe) => [p.file, p]))(
    'consistency probe %s',
    (_file, p) => {
      const run = () => verifyConsistency(p.size1, p.size2, p.proof.map(hex), hex(p.root1), hex(p.root2));
      if (p.wantErr) expect(run).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_PROOF_INVALID' }));
      else expect(run).not.toThrow();
    },
  );

  it('proves and verifies every pair in trees of size 1..8', () => {
    for (let n = 1; n <= 8; n++) {
      const root = hex(v.roots_by_size[String(n)]);
      for (let i = 0; i < n; i++) verifyInclusion(i, n, leafHashes[i]!, inclusionProof(src, i, n), root);
      for (let m = 1; m <= n; m++)
        verifyConsistency(m, n, consistencyProof(src, m, n), hex(v.roots_by_size[String(m)]), root);
    }
  });
});
