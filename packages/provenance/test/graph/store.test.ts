import { afterEach, describe, expect, it } from 'vitest';
import { FixedClock } from '@steward/protocol';
import { openStore } from '@steward/store';
import {
  addLocalEdge,
  buildGraph,
  loadGraph,
  loadSeedFacts,
  MIGRATIONS,
  readFacts,
  saveFacts,
} from '../../src/index.ts';
import { codeOf, tempStore } from '../support.ts';

const clock = new FixedClock(Date.parse('2026-11-25T12:00:00Z'));
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('saveFacts / loadGraph', () => {
  it('round-trips the seed through a real SQLite file', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    const seed = loadSeedFacts();
    const r = saveFacts(t.store, seed, { clock });
    expect(r).toEqual({
      entities: seed.entities.length,
      edges: seed.edges.length,
      paidPlacements: seed.paidPlacements.length,
    });
    const back = readFacts(t.store);
    expect(back.entities.map((e) => e.id).sort()).toEqual(seed.entities.map((e) => e.id).sort());
    expect(back.edges).toHaveLength(seed.edges.length);
    const asda = back.edges.find((e) => e.child === 'asda')!;
    expect(asda).toMatchObject({
      parent: 'walmart',
      relation: 'owns',
      validFrom: '1999-07-26',
      validTo: '2021-02-16',
      origin: 'seed',
      licence: 'CC0-1.0',
      confidence: 0.9,
    });
    const g = loadGraph(t.store);
    expect(g.byLei('ZXTILKJKG63JELOEG630')).toBe('amazon');
    expect(g.byDomain('wholefoodsmarket.com')).toBe('whole-foods');
    expect(g.paidPlacementsOf('instacart')).toHaveLength(1);
  });

  it('is idempotent: importing the same facts twice leaves one copy', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    saveFacts(t.store, loadSeedFacts(), { clock });
    const n = t.store.db.prepare('SELECT count(*) AS n FROM provenance_edges').get() as { n: number };
    expect(n.n).toBe(loadSeedFacts().edges.length);
  });

  it('survives reopening with the same migrations', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    t.store.close();
    const again = openStore(t.path, { migrations: { provenance: MIGRATIONS } });
    expect(loadGraph(again).entityCount).toBe(loadSeedFacts().entities.length);
    again.close();
  });

  it('refuses a LEI already held by another entity', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    expect(
      codeOf(() =>
        saveFacts(t.store, {
          entities: [{ id: 'fake-amazon', name: 'Amazon', lei: 'ZXTILKJKG63JELOEG630' }],
          edges: [],
          paidPlacements: [],
        }),
      ),
    ).toBe('ERR_PROVENANCE_ENTITY_INVALID');
  });

  it('refuses a domain already held by another entity, and writes nothing of that batch', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    const batch = {
      entities: [
        { id: 'squatter', name: 'Squatter' },
        { id: 'squatter-2', name: 'Squatter 2', domains: ['amazon.com'] },
      ],
      edges: [],
      paidPlacements: [],
    };
    expect(codeOf(() => saveFacts(t.store, batch))).toBe('ERR_PROVENANCE_ENTITY_INVALID');
    expect(
      t.store.db.prepare("SELECT 1 FROM provenance_entities WHERE id = 'squatter'").get(),
    ).toBeUndefined();
  });

  it('refuses an edge to an entity that does not exist', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    const edge = {
      child: 'amazon',
      parent: 'nobody',
      relation: 'owns' as const,
      origin: 'local' as const,
      source: 'x',
    };
    expect(codeOf(() => saveFacts(t.store, { entities: [], edges: [edge], paidPlacements: [] }))).toBe(
      'ERR_PROVENANCE_ENTITY_UNKNOWN',
    );
  });
});

describe('addLocalEdge', () => {
  it("adds the person's note as a local fact that the graph then uses", () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    const e = addLocalEdge(
      t.store,
      { child: 'instacart', parent: 'target', relation: 'paid_partner', source: 'I read it in the news' },
      clock,
    );
    expect(e).toMatchObject({ origin: 'local', retrievedAt: '2026-11-25T12:00:00.000Z', licence: 'local' });
    expect(
      loadGraph(t.store)
        .affiliationsOf('instacart')
        .map((x) => x.parent),
    ).toEqual(['target']);
  });

  it('refuses unknown entities, bad relations and backwards dates with their codes', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    saveFacts(t.store, loadSeedFacts(), { clock });
    expect(codeOf(() => addLocalEdge(t.store, { child: 'nobody', parent: 'amazon', relation: 'owns' }))).toBe(
      'ERR_PROVENANCE_ENTITY_UNKNOWN',
    );
    expect(
      codeOf(() => addLocalEdge(t.store, { child: 'asda', parent: 'amazon', relation: 'likes' as never })),
    ).toBe('ERR_PROVENANCE_EDGE_INVALID');
    expect(
      codeOf(() =>
        addLocalEdge(t.store, {
          child: 'asda',
          parent: 'amazon',
          relation: 'owns',
          validFrom: '2020-01-01',
          validTo: '2019-01-01',
        }),
      ),
    ).toBe('ERR_PROVENANCE_EDGE_INVALID');
    expect(codeOf(() => addLocalEdge(t.store, { child: 'asda', parent: 'asda', relation: 'owns' }))).toBe(
      'ERR_PROVENANCE_EDGE_INVALID',
    );
  });
});

describe('buildGraph', () => {
  it('keeps the first holder of an identifier', () => {
    const g = buildGraph({
      entities: [
        { id: 'a', name: 'A', lei: 'ZXTILKJKG63JELOEG630' },
        { id: 'b', name: 'B', lei: 'ZXTILKJKG63JELOEG630' },
      ],
      edges: [],
      paidPlacements: [],
    });
    expect(g.byLei('ZXTILKJKG63JELOEG630')).toBe('a');
  });
});
