/**
 * The web app's costs: bundling at broker start (median of a few in-memory esbuild runs, and the
 * bundle sizes raw and gzipped), and the browser witness's consistency check on WebCrypto next to
 * the broker's own check (node:crypto, @steward/audit) on the same proofs, for a log of 200,000
 * entries checked against checkpoints 1 and 100,000 entries back.
 */
import { gzipSync } from 'node:zlib';
import { consistencyProof, hashLeaf, memoryNodeSource, rootAt, verifyConsistency as nodeVerify, type NodeSource } from '@steward/audit';
import { verifyConsistency as browserVerify } from '../src/client/lib/merkle.ts';
import { bundleWebApp } from '../src/index.ts';
import { measure, measureAsync, note, report } from '../../../test/bench/kit.ts';

const bundleRuns = await measureAsync('bundleWebApp (esbuild, in memory, minified)', () => bundleWebApp(), 5, 1);
const unminified = await measureAsync('bundleWebApp unminified', () => bundleWebApp({ minify: false }), 5, 1);
report('bundling at broker start', bundleRuns, [unminified]);
const bundle = await bundleWebApp();
for (const asset of bundle.assets.values()) {
  note(`${asset.path}: ${asset.body.length.toLocaleString('en-US')} bytes, ${gzipSync(asset.body).length.toLocaleString('en-US')} gzipped`);
}

// A real tree of 200,000 leaves in memory (the proofs' length grows with log2 of the size only).
const SIZE = 200_000;
const source: NodeSource = memoryNodeSource(Array.from({ length: SIZE }, (_, i) => hashLeaf(Buffer.from(`event ${i}`))));
const proofNear = consistencyProof(source, SIZE - 1, SIZE);
const proofFar = consistencyProof(source, SIZE - 100_000, SIZE);
const cases: [string, number, number, Buffer[]][] = [
  ['1 entry back', SIZE - 1, SIZE, proofNear],
  ['100,000 entries back', SIZE - 100_000, SIZE, proofFar],
];
for (const [label, m, n, proof] of cases) {
  const r1 = rootAt(source, m);
  const r2 = rootAt(source, n);
  const base = measure(`node:crypto (@steward/audit), ${label}`, () => nodeVerify(m, n, proof, r1, r2), 2_000, 200);
  const web = await measureAsync(`WebCrypto (browser witness), ${label}`, () => browserVerify(m, n, proof, r1, r2), 2_000, 200);
  report(`consistency check, log of ${n.toLocaleString('en-US')} entries, ${label} (${proof.length} hashes)`, base, [web]);
}
