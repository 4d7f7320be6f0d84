import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixedClock } from '@steward/protocol';
import {
  detectImportFormat,
  factsFromFile,
  importFile,
  loadGraph,
  loadSeedFacts,
  SEED_PATH,
  walkOwners,
} from '../../src/index.ts';
import { codeOf, tempStore } from '../support.ts';

const clock = new FixedClock(Date.parse('2026-11-25T12:00:00Z'));
const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', name);
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('the shipped seed', () => {
  it('keeps its about text and is all CC0', async () => {
    const { readFileSync } = await import('node:fs');
    const raw = JSON.parse(readFileSync(SEED_PATH, 'utf8'));
    expect(raw.about).toMatch(
      /^Public ownership facts for a first affiliation-graph seed\. Facts only \(CC0 sources/,
    );
    const facts = loadSeedFacts();
    expect(facts.edges.every((e) => e.licence === 'CC0-1.0' && e.origin === 'seed')).toBe(true);
    expect(facts.edges).toHaveLength(6);
    expect(facts.paidPlacements).toHaveLength(1);
  });
});

describe('factsFromFile', () => {
  const base = {
    about: 'x',
    entities: [
      { id: 'a', name: 'A' },
      { id: 'b', name: 'B' },
    ],
    edges: [{ child: 'a', parent: 'b', relation: 'owns', source: 's' }],
  };
  it('refuses a seed fact under a licence that is not public domain', () => {
    expect(codeOf(() => factsFromFile({ ...base, licence: 'CC-BY-SA-4.0' }))).toBe(
      'ERR_PROVENANCE_LICENCE_REFUSED',
    );
    expect(
      codeOf(() => factsFromFile({ ...base, edges: [{ ...base.edges[0], licence: 'proprietary' }] })),
    ).toBe('ERR_PROVENANCE_LICENCE_REFUSED');
    // The person's own notes may carry any licence.
    expect(factsFromFile({ ...base, origin: 'local', licence: 'proprietary' }).edges[0]?.origin).toBe(
      'local',
    );
  });
  it('refuses unknown keys, unknown entities and backwards dates', () => {
    expect(codeOf(() => factsFromFile({ ...base, extra: 1 }))).toBe('ERR_PROVENANCE_IMPORT_INVALID');
    expect(
      codeOf(() =>
        factsFromFile({ ...base, edges: [{ child: 'a', parent: 'zz', relation: 'owns', source: 's' }] }),
      ),
    ).toBe('ERR_PROVENANCE_ENTITY_UNKNOWN');
    expect(
      codeOf(() =>
        factsFromFile({
          ...base,
          edges: [{ ...base.edges[0], validFrom: '2020-01-02', validTo: '2020-01-01' }],
        }),
      ),
    ).toBe('ERR_PROVENANCE_EDGE_INVALID');
  });
});

describe('detectImportFormat', () => {
  it('tells the three formats apart and refuses anything else', () => {
    expect(detectImportFormat({ entities: [], edges: [] })).toBe('steward');
    expect(detectImportFormat({ data: [] })).toBe('gleif');
    expect(detectImportFormat({ entities: {} })).toBe('wikidata');
    expect(codeOf(() => detectImportFormat([]))).toBe('ERR_PROVENANCE_IMPORT_FORMAT_UNKNOWN');
  });
});

describe('importFile', () => {
  it('imports GLEIF relationship records onto entities known by LEI', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    importFile(t.store, SEED_PATH, { clock });
    const progress: number[] = [];
    const r = importFile(t.store, fixture('gleif-relationships.json'), {
      clock,
      onProgress: (d) => progress.push(d),
    });
    expect(r).toMatchObject({ format: 'gleif', edges: 2, skipped: 1, entities: 2 });
    expect(progress.at(-1)).toBe(4);
    expect(loadGraph(t.store).entity('lei-5493001kjtiigc8y1r12')?.name).toBe('Example Fresh Subsidiary LLC');
    expect(loadGraph(t.store).entity('lei-2138004oldsubsidi012')?.name).toBe('LEI 2138004OLDSUBSIDI012');
    const g = loadGraph(t.store);
    const owned = g.ownersOf('lei-5493001kjtiigc8y1r12');
    expect(owned).toHaveLength(1);
    expect(owned[0]).toMatchObject({
      parent: 'amazon',
      relation: 'owns',
      stake: 1,
      validFrom: '2017-08-28',
      origin: 'seed',
      licence: 'CC0-1.0',
      confidence: 0.95,
    });
    const ended = g.ownersOf('lei-2138004oldsubsidi012')[0]!;
    expect(ended).toMatchObject({ parent: 'walmart', validTo: '2021-02-16' });
    expect(walkOwners(g, 'lei-2138004oldsubsidi012', { asOf: '2026-01-01' }).ultimate).toEqual([
      'lei-2138004oldsubsidi012',
    ]);
  });

  it('imports Wikidata statements with start/end qualifiers and reuses the seed entity for Q3884', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    importFile(t.store, SEED_PATH, { clock });
    const r = importFile(t.store, fixture('wikidata-entities.json'), { clock });
    expect(r.format).toBe('wikidata');
    const g = loadGraph(t.store);
    // Amazon (seed id) has subsidiary Q1809448, which the seed knows as whole-foods.
    expect(
      g
        .ownersOf('whole-foods')
        .map((e) => e.source)
        .some((s) => s.includes('P355')),
    ).toBe(true);
    const shop = g.byDomain('cornershop.example');
    expect(shop).toBe('wd-q7000001');
    const owners = g.ownersOf('wd-q7000001');
    expect(owners.map((e) => e.parent).sort()).toEqual(['wd-q7000002', 'wd-q7000004']);
    expect(owners.find((e) => e.parent === 'wd-q7000002')).toMatchObject({
      validFrom: '2015-01-01',
      validTo: '2019-06-30',
      stake: 0.51,
    });
    expect(r.skipped).toBe(1); // the deprecated statement
    // Importing again changes nothing.
    importFile(t.store, fixture('wikidata-entities.json'), { clock });
    expect(loadGraph(t.store).edgeCount).toBe(g.edgeCount);
  });

  it('refuses unsafe or unreadable files with a code', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    const bad = join(t.dir, 'bad.json');
    writeFileSync(bad, '{"__proto__": {"x": 1}, "entities": [], "edges": []}');
    expect(codeOf(() => importFile(t.store, bad))).toBe('ERR_PROVENANCE_IMPORT_INVALID');
    expect(codeOf(() => importFile(t.store, join(t.dir, 'missing.json')))).toBe(
      'ERR_PROVENANCE_IMPORT_INVALID',
    );
    writeFileSync(
      bad,
      JSON.stringify({ data: [{ attributes: { relationship: { startNode: { id: 'nope' } } } }] }),
    );
    expect(codeOf(() => importFile(t.store, bad))).toBe('ERR_PROVENANCE_IMPORT_INVALID');
  });
});
