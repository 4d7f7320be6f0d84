import { describe, expect, it } from 'vitest';
import type { AgentManifest } from '@steward/protocol';
import { buildGraph, detectConflicts, loadSeedFacts, type DetectionInput } from '../../src/index.ts';
import { codeOf } from '../support.ts';

const manifest: AgentManifest = {
  manifestVersion: 1,
  agent: { name: 'a', version: '1' },
  maker: { name: 'M' },
  operator: { name: 'M' },
  modelProvider: { name: 'P' },
  declaredAffiliations: [],
  issuedAt: '2026-11-01T00:00:00Z',
};
const offer = {
  offerId: 'o1',
  vendor: 'https://a.example',
  total: { amountMinor: 1, currency: 'USD' },
  delivery: null,
  sponsored: false,
  items: [],
};
const base: DetectionInput = { manifest, vendors: [], offers: [offer], asOf: '2026-11-25', nowMs: 0 };
const g = buildGraph(loadSeedFacts());

describe('detectConflicts input', () => {
  it('fails closed on input it would misread', () => {
    expect(codeOf(() => detectConflicts(g, { ...base, asOf: '25/11/2026' }))).toBe(
      'ERR_PROVENANCE_INPUT_INVALID',
    );
    expect(codeOf(() => detectConflicts(g, { ...base, pickOfferId: 'missing' }))).toBe(
      'ERR_PROVENANCE_INPUT_INVALID',
    );
    expect(codeOf(() => detectConflicts(g, { ...base, offers: [offer, offer] }))).toBe(
      'ERR_PROVENANCE_INPUT_INVALID',
    );
    expect(codeOf(() => detectConflicts(g, { ...base, nowMs: Number.NaN }))).toBe(
      'ERR_PROVENANCE_INPUT_INVALID',
    );
  });
  it('judges a vendor it has no descriptor for by its origin alone', () => {
    const flags = detectConflicts(g, base);
    expect(flags.map((f) => f.kind)).toEqual(['stale_provenance']);
  });
});
