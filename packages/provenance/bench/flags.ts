/**
 * Conflict-of-interest flags for 10 offers against a graph of 100k entities and 100k edges
 * (goal: p50 ≤ 1 ms), and importing those facts into a real SQLite file (goal: < 10 s).
 * Baseline: the same negotiation against the shipped seed graph (10 entities).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '@steward/store';
import type { AgentManifest } from '@steward/protocol';
import {
  MIGRATIONS,
  buildGraph,
  confusableIndex,
  detectConflicts,
  importFile,
  loadGraph,
  loadSeedFacts,
  type DetectionInput,
  type EdgeRecord,
  type EntityRecord,
  type OfferView,
  type VendorDescriptor,
} from '../src/index.ts';
import { measure, note, report } from '../../../test/bench/kit.ts';

const N = 100_000;
const GROUP = 10; // each group: a parent and 9 subsidiaries in a chain/tree

// A deterministic pseudo-random generator, so every run builds the same graph.
let seed = 42;
const rand = (n: number): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed % n;
};

const entities: EntityRecord[] = [];
const edges: EdgeRecord[] = [];
for (let i = 0; i < N; i++)
  entities.push({ id: `e${i}`, name: `Company ${i} Holdings`, domains: [`company${i}.example`] });
for (let i = 0; i < N; i++) {
  const inGroup = i % GROUP;
  const child = `e${i}`;
  if (inGroup === 0) {
    // Group roots: a money tie to some other group, so edge count reaches N.
    edges.push({
      child,
      parent: `e${(i + GROUP * (1 + rand(50))) % N}`,
      relation: 'paid_partner',
      origin: 'seed',
      source: `synthetic tie ${i}`,
      retrievedAt: '2026-11-01T00:00:00Z',
    });
    continue;
  }
  // Subsidiaries hang off an earlier member of their group (depth up to 9), some edges expired.
  const parent = `e${i - 1 - rand(inGroup)}`;
  const expired = rand(10) === 0;
  edges.push({
    child,
    parent,
    relation: 'owns',
    stake: 0.5 + rand(50) / 100,
    validFrom: '2010-01-01',
    ...(expired ? { validTo: '2020-12-31' } : {}),
    origin: 'seed',
    source: `synthetic filing ${i}`,
    sourceUrl: `https://filings.example/${i}`,
    retrievedAt: '2026-11-01T00:00:00Z',
  });
}

const dir = mkdtempSync(join(tmpdir(), 'steward-bench-provenance-'));
try {
  const file = join(dir, 'facts.json');
  writeFileSync(
    file,
    JSON.stringify({
      about: 'synthetic benchmark graph',
      origin: 'seed',
      licence: 'CC0-1.0',
      entities,
      edges,
    }),
  );
  const dbPath = join(dir, 'steward.db');
  const store = openStore(dbPath, { migrations: { provenance: MIGRATIONS } });
  const t0 = performance.now();
  const imported = importFile(store, file);
  const importMs = performance.now() - t0;
  const t1 = performance.now();
  const graph = loadGraph(store);
  const loadMs = performance.now() - t1;
  store.close();
  const t2 = performance.now();
  confusableIndex(graph);
  const indexMs = performance.now() - t2;

  const ref = (i: number) => ({ name: `Company ${i} Holdings`, domain: `company${i}.example` });
  const manifest: AgentManifest = {
    manifestVersion: 1,
    agent: { name: 'Bench agent', version: '1' },
    maker: ref(50_000),
    operator: ref(50_000),
    modelProvider: ref(70_000),
    declaredAffiliations: [],
    issuedAt: '2026-11-01T00:00:00Z',
  };
  // Vendor 0 is a subsidiary in the maker's group (affiliated); the others are spread out.
  const vendorIds = [50_005, 12_345, 23_456, 34_567, 45_678, 56_789, 67_890, 78_901, 89_012, 99_999];
  const vendors: VendorDescriptor[] = vendorIds.map((i, k) => ({
    origin: `https://shop.company${i}.example`,
    displayName: k === 9 ? 'Company 50000 H0ldings' : `Shop ${k}`,
    keyThumbprint: `key${k}`.padEnd(43, 'A'),
    payoutId: `payout-${k}`,
    declaredOwners: [],
    declaredAffiliations: [],
  }));
  const offers: OfferView[] = vendors.map((v, k) => ({
    offerId: `o${k}`,
    vendor: v.origin,
    total: { amountMinor: 5000 + (k === 0 ? 500 : k * 10), currency: 'USD' },
    delivery: { start: '2026-11-28T08:00:00Z', end: '2026-11-28T12:00:00Z' },
    sponsored: k === 3,
    items: [{ sku: 'milk', quantity: 1 }],
    iat: 1_795_000_000,
  }));
  const input: DetectionInput = {
    manifest,
    vendors,
    offers,
    pickOfferId: 'o0',
    history: Array.from({ length: 30 }, (_, r) => ({
      offeredVendors: vendors.slice(0, 5).map((v) => v.origin),
      pickedVendor: vendors[r % 3 === 0 ? 1 : 0]!.origin,
    })),
    asOf: '2026-11-25',
    nowMs: Date.parse('2026-11-25T00:00:00Z'),
  };
  const flags = detectConflicts(graph, input);
  const kinds = [...new Set(flags.map((f) => f.kind))].sort();

  const seedGraph = buildGraph(loadSeedFacts());
  confusableIndex(seedGraph);
  const baseline = measure(
    '10 offers, seed graph (10 entities)',
    () => detectConflicts(seedGraph, input),
    2000,
    200,
  );
  const big = measure(
    '10 offers, 100k entities + 100k edges',
    () => detectConflicts(graph, input),
    2000,
    200,
  );
  report('provenance: detectConflicts (all detectors, pure, graph in memory)', baseline, [big]);
  note(
    `graph: ${graph.entityCount.toLocaleString('en-US')} entities, ${graph.edgeCount.toLocaleString('en-US')} edges; flags raised: ${flags.length} (${kinds.join(', ')})`,
  );
  note(
    `flags p50 ${(big.medianUs / 1000).toFixed(3)} ms (goal ≤ 1 ms): ${big.medianUs <= 1000 ? 'met' : 'NOT met'}`,
  );
  note(
    `import of ${imported.entities.toLocaleString('en-US')} entities + ${imported.edges.toLocaleString('en-US')} edges from JSON into a SQLite file: ${(importMs / 1000).toFixed(2)} s (goal < 10 s): ${importMs < 10_000 ? 'met' : 'NOT met'}`,
  );
  note(
    `loading the snapshot from SQLite: ${(loadMs / 1000).toFixed(2)} s; building the confusable-name index once: ${indexMs.toFixed(0)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
