import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, edgeValidOn, loadSeedFacts, walkOwners, type EdgeRecord } from '../../src/index.ts';

const e = (child: string, parent: string, extra: Partial<EdgeRecord> = {}): EdgeRecord => ({
  child,
  parent,
  relation: 'owns',
  origin: 'local',
  source: `${parent} owns ${child}`,
  ...extra,
});
const ents = (...ids: string[]) => ids.map((id) => ({ id, name: id.toUpperCase() }));

describe('edgeValidOn', () => {
  it('counts validFrom and validTo as inclusive days', () => {
    const edge = { validFrom: '2017-08-28', validTo: '2021-02-16' };
    expect(edgeValidOn(edge, '2017-08-27')).toBe(false);
    expect(edgeValidOn(edge, '2017-08-28')).toBe(true);
    expect(edgeValidOn(edge, '2021-02-16')).toBe(true);
    expect(edgeValidOn(edge, '2021-02-17')).toBe(false);
    expect(edgeValidOn({}, '1900-01-01')).toBe(true);
  });
});

describe('walkOwners', () => {
  it('reaches Amazon from Whole Foods and only while the edge holds', () => {
    const g = buildGraph(loadSeedFacts());
    expect(walkOwners(g, 'whole-foods', { asOf: '2026-11-25' }).ultimate).toEqual(['amazon']);
    expect(walkOwners(g, 'whole-foods', { asOf: '2017-01-01' }).ultimate).toEqual(['whole-foods']);
    // Walmart no longer owns Asda.
    expect(walkOwners(g, 'asda', { asOf: '2026-11-25' }).paths.has('walmart')).toBe(false);
    expect(
      walkOwners(g, 'asda', { asOf: '2020-01-01' })
        .paths.get('walmart')
        ?.map((x) => x.child),
    ).toEqual(['asda']);
  });

  it('cuts a cycle and says so', () => {
    const g = buildGraph({
      entities: ents('a', 'b', 'c'),
      edges: [e('a', 'b'), e('b', 'c'), e('c', 'a')],
      paidPlacements: [],
    });
    const r = walkOwners(g, 'a', { asOf: '2026-01-01' });
    expect(r.cycle).toBe(true);
    expect([...r.paths.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(r.ultimate).toEqual(['c']);
  });

  it('does not call a diamond a cycle', () => {
    const g = buildGraph({
      entities: ents('a', 'b', 'c', 'd'),
      edges: [e('a', 'b'), e('a', 'c'), e('b', 'd'), e('c', 'd')],
      paidPlacements: [],
    });
    const r = walkOwners(g, 'a', { asOf: '2026-01-01' });
    expect(r.cycle).toBe(false);
    expect(r.ultimate).toEqual(['d']);
  });

  it('stops at the depth guard and marks the answer truncated', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const g = buildGraph({
      entities: ents(...ids),
      edges: ids.slice(1).map((id, i) => e(ids[i]!, id)),
      paidPlacements: [],
    });
    const r = walkOwners(g, 'n0', { asOf: '2026-01-01', maxDepth: 5 });
    expect(r.truncated).toBe(true);
    expect(r.paths.size).toBe(6);
    expect(walkOwners(g, 'n0', { asOf: '2026-01-01', maxDepth: 50 }).ultimate).toEqual(['n39']);
  });

  it('terminates on any graph and every path is a chain of valid edges from the root', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.boolean()), {
          maxLength: 40,
        }),
        (pairs) => {
          const edges = pairs
            .filter(([a, b]) => a !== b)
            .map(([a, b, old]) => e(`n${a}`, `n${b}`, old ? { validTo: '2000-01-01' } : {}));
          const g = buildGraph({
            entities: ents(...Array.from({ length: 10 }, (_, i) => `n${i}`)),
            edges,
            paidPlacements: [],
          });
          const r = walkOwners(g, 'n0', { asOf: '2026-01-01', maxDepth: 6 });
          for (const [id, path] of r.paths) {
            let at = 'n0';
            for (const step of path) {
              expect(step.child).toBe(at);
              expect(step.validTo).toBeUndefined();
              at = step.parent;
            }
            expect(at).toBe(id);
            expect(path.length).toBeLessThanOrEqual(6);
          }
          expect(r.ultimate.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
