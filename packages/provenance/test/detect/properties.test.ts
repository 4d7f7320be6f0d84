import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentManifest, Flag } from '@steward/protocol';
import {
  buildGraph,
  detectConflicts,
  loadSeedFacts,
  type DetectionInput,
  type EdgeRecord,
  type OfferView,
  type VendorDescriptor,
} from '../../src/index.ts';

const seed = loadSeedFacts();
const graph = buildGraph(seed);
const manifest: AgentManifest = {
  manifestVersion: 1,
  agent: { name: 'Shopper', version: '1' },
  maker: { name: 'Amazon.com, Inc.', lei: 'ZXTILKJKG63JELOEG630' },
  operator: { name: 'Amazon.com, Inc.', lei: 'ZXTILKJKG63JELOEG630' },
  modelProvider: { name: 'Example Models' },
  declaredAffiliations: [],
  issuedAt: '2026-11-01T00:00:00Z',
};
const v = (origin: string, displayName: string, k: number): VendorDescriptor => ({
  origin,
  displayName,
  keyThumbprint: `key${k}`.padEnd(43, 'A'),
  payoutId: `payout-${k}`,
  declaredOwners: [],
  declaredAffiliations: [],
});
const origins = [
  'https://www.wholefoodsmarket.com',
  'https://fresh.example',
  'https://www.asda.com',
  'https://www.amazon.com',
  'https://www.target.com',
];
const offer = (id: string, vendor: string, amount: number, endDay: number): OfferView => ({
  offerId: id,
  vendor,
  total: { amountMinor: amount, currency: 'USD' },
  delivery: { start: '2026-11-27T08:00:00Z', end: `2026-11-${String(endDay).padStart(2, '0')}T12:00:00Z` },
  sponsored: false,
  items: [],
});
const input = (vendors: VendorDescriptor[], offers: OfferView[], pick?: string): DetectionInput => ({
  manifest,
  vendors,
  offers,
  ...(pick === undefined ? {} : { pickOfferId: pick }),
  asOf: '2026-11-25',
  nowMs: Date.parse('2026-11-25T00:00:00Z'),
});
// What a flag says, without the words (which quote display names).
const essence = (flags: Flag[]) =>
  flags
    .filter((f) => f.kind !== 'confusable_name')
    .map((f) => JSON.stringify([f.kind, f.vendor, f.offerId, f.severity, f.confidence, f.evidence]))
    .sort();

describe('detector properties', () => {
  const offers = origins.map((o, i) => offer(`o${i}`, o, 5000 - i * 100, 28));

  it('a display name never changes who a vendor is: no flag but confusable_name depends on it', () => {
    const reference = essence(
      detectConflicts(
        graph,
        input(
          origins.map((o, i) => v(o, `Vendor ${i}`, i)),
          offers,
          'o0',
        ),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.constantFrom(...seed.entities.map((e) => e.name), 'Amazon', 'Walmart'),
          ),
          { minLength: origins.length, maxLength: origins.length },
        ),
        (names) => {
          const flags = detectConflicts(
            graph,
            input(
              origins.map((o, i) => v(o, names[i]!, i)),
              offers,
              'o0',
            ),
          );
          expect(essence(flags)).toEqual(reference);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('facts that ended before the offer date never change any flag', () => {
    const vendors = origins.map((o, i) => v(o, `Vendor ${i}`, i));
    const reference = detectConflicts(graph, input(vendors, offers, 'o0'))
      .map((f) => JSON.stringify(f))
      .sort();
    const ids = seed.entities.map((e) => e.id);
    const expired = fc.record({
      child: fc.constantFrom(...ids),
      parent: fc.constantFrom(...ids),
      relation: fc.constantFrom('owns', 'controls', 'brand_of', 'operates', 'paid_partner', 'affiliate_fee'),
      validTo: fc.constantFrom('2000-01-01', '2026-11-24'),
    });
    fc.assert(
      fc.property(fc.array(expired, { maxLength: 12 }), (extra) => {
        const edges: EdgeRecord[] = extra
          .filter((e) => e.child !== e.parent)
          .map((e) => ({
            ...e,
            relation: e.relation,
            origin: 'local',
            source: 'ended fact',
            retrievedAt: '2026-11-20T00:00:00Z',
          }));
        const g = buildGraph({ ...seed, edges: [...seed.edges, ...edges] });
        expect(
          detectConflicts(g, input(vendors, offers, 'o0'))
            .map((f) => JSON.stringify(f))
            .sort(),
        ).toEqual(reference);
      }),
      { numRuns: 100 },
    );
  });

  it('a pick that is cheapest and fastest is never called steering', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 27, max: 30 })), {
          minLength: origins.length,
          maxLength: origins.length,
        }),
        fc.integer({ min: 0, max: origins.length - 1 }),
        (terms, pickIndex) => {
          const minPrice = Math.min(...terms.map(([p]) => p));
          const minDay = Math.min(...terms.map(([, d]) => d));
          const os = origins.map((o, i) =>
            i === pickIndex
              ? offer(`o${i}`, o, minPrice, minDay)
              : offer(`o${i}`, o, terms[i]![0], terms[i]![1]),
          );
          const flags = detectConflicts(
            graph,
            input(
              origins.map((o, i) => v(o, `Vendor ${i}`, i)),
              os,
              `o${pickIndex}`,
            ),
          );
          expect(flags.filter((f) => f.kind === 'steering_suspected')).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
