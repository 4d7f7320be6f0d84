import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flag, parseStrict } from '@steward/protocol';
import {
  buildGraph,
  detectConflicts,
  factsFromFile,
  loadSeedFacts,
  type GraphFacts,
} from '../../src/index.ts';

// Each scenario: agent manifest, vendors, extra graph facts (on top of the shipped seed unless
// `seed: false`), offers, pick and history → the flags expected for the kinds it checks.
interface Expected {
  kind: string;
  vendor?: string;
  offerId?: string;
  severity?: string;
  summaryIncludes?: string;
  /** Exact evidence path as `child>parent:relation` strings, in order. */
  evidence?: string[];
  /** The other vendors the flag ties this one to, in any order. */
  related?: string[];
}
interface Scenario {
  description: string;
  seed?: boolean;
  graph?: unknown;
  manifest: unknown;
  manifestVerified?: boolean;
  vendors: unknown[];
  offers: unknown[];
  pick?: string;
  history?: unknown[];
  asOf: string;
  now: string;
  options?: Record<string, unknown>;
  kinds: string[];
  expect: Expected[];
}

const dir = join(import.meta.dirname, '..', 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

function merge(a: GraphFacts, b: GraphFacts): GraphFacts {
  return {
    entities: [...a.entities, ...b.entities],
    edges: [...a.edges, ...b.edges],
    paidPlacements: [...a.paidPlacements, ...b.paidPlacements],
  };
}

describe('provenance scenarios', () => {
  it('has scenarios', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const file of files) {
    const s = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Scenario;
    it(`${file}: ${s.description}`, () => {
      let facts: GraphFacts =
        s.seed === false ? { entities: [], edges: [], paidPlacements: [] } : loadSeedFacts();
      const known = new Set(facts.entities.map((e) => e.id));
      if (s.graph)
        facts = merge(
          facts,
          factsFromFile(s.graph, (id) => known.has(id)),
        );
      const flags = detectConflicts(
        buildGraph(facts),
        {
          manifest: s.manifest as never,
          manifestVerified: s.manifestVerified ?? false,
          vendors: s.vendors as never,
          offers: s.offers as never,
          ...(s.pick === undefined ? {} : { pickOfferId: s.pick }),
          history: (s.history ?? []) as never,
          asOf: s.asOf,
          nowMs: Date.parse(s.now),
        },
        s.options,
      );
      for (const f of flags) {
        parseStrict(Flag, f, 'flag');
        for (const e of f.evidence) expect(e.source.length).toBeGreaterThan(0);
      }
      const got = flags.filter((f) => s.kinds.includes(f.kind));
      const key = (f: { kind: string; vendor?: string; offerId?: string }) =>
        `${f.kind}|${f.vendor ?? ''}|${f.offerId ?? ''}`;
      expect(got.map(key).sort()).toEqual(s.expect.map(key).sort());
      for (const want of s.expect) {
        const f = got.find((g) => key(g) === key(want))!;
        if (want.severity) expect(f.severity).toBe(want.severity);
        if (want.summaryIncludes) expect(f.summary).toContain(want.summaryIncludes);
        if (want.evidence)
          expect(f.evidence.map((e) => `${e.child}>${e.parent}:${e.relation}`)).toEqual(want.evidence);
        if (want.related) expect([...(f.related ?? [])].sort()).toEqual([...want.related].sort());
      }
    });
  }
});
