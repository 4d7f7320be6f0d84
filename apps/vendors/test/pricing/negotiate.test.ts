import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Fee } from '@steward/protocol';
import { concede, type PricedLine } from '../../src/index.ts';

const lineArb = fc
  .record({ price: fc.integer({ min: 1, max: 20_000 }), floorShare: fc.integer({ min: 5_000, max: 10_000 }), quantity: fc.integer({ min: 1, max: 12 }) })
  .map(({ price, floorShare, quantity }): PricedLine => {
    const floor = Math.ceil((price * floorShare) / 10_000);
    return { item: { sku: `SKU-${price}-${quantity}`, name: 'x', unit: 'each', priceMinor: price, floorMinor: floor, keywords: [] }, quantity, requestIndex: 0, unitMinor: price };
  });

const fees: Fee[] = [{ kind: 'delivery', label: 'Delivery', amount: { amountMinor: 499, currency: 'USD' } }];
const sum = (lines: PricedLine[]) => lines.reduce((s, l) => s + l.unitMinor * l.quantity, 0) + 499;

describe('concede (the price-floor rule)', () => {
  it('never quotes below the floor of any line, never above the list price, and never above an ask it accepts', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 200_000 }), (lines, ask) => {
        const r = concede(lines, fees, ask);
        expect(r.totalMinor).toBe(sum(r.lines));
        r.lines.forEach((l, i) => {
          expect(l.unitMinor).toBeGreaterThanOrEqual(l.item.floorMinor);
          expect(l.unitMinor).toBeLessThanOrEqual(lines[i]!.unitMinor);
        });
        expect(r.totalMinor).toBeGreaterThanOrEqual(r.floorTotalMinor);
        const list = sum(lines);
        if (ask >= list) expect(r.totalMinor).toBe(list);
        else if (ask >= r.floorTotalMinor) {
          expect(r.accepted).toBe(true);
          expect(r.totalMinor).toBeLessThanOrEqual(ask);
        } else {
          expect(r.accepted).toBe(false);
          expect(r.totalMinor).toBe(r.floorTotalMinor);
        }
      }),
    );
  });

  it('meets an accepted ask exactly when a single-unit line has room to absorb the odd cents', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 10_000 }), (lines, t) => {
        const single: PricedLine = { item: { sku: 'ONE', name: 'one', unit: 'each', priceMinor: 500_000, floorMinor: 1, keywords: [] }, quantity: 1, requestIndex: 0, unitMinor: 500_000 };
        const all = [...lines, single];
        const floor = concede(all, fees, 0).floorTotalMinor;
        const list = sum(all);
        const ask = floor + Math.floor(((list - floor) * t) / 10_000);
        const r = concede(all, fees, ask);
        expect(r.totalMinor).toBe(Math.min(ask, list));
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 100_000 }), (lines, ask) => {
        expect(concede(lines, fees, ask)).toEqual(concede(lines, fees, ask));
      }),
    );
  });
});
