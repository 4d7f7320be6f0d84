import { describe, expect, it } from 'vitest';
import { matchItem, priceRfq, VENDOR_PROFILES } from '../../src/index.ts';
import { faresFor } from '../../src/catalogue/travel.ts';

const gv = VENDOR_PROFILES['green-valley'].catalogue;

describe('matchItem', () => {
  it('matches by exact SKU first', () => {
    expect(matchItem({ sku: 'GV-OJ-52', description: 'milk', quantity: 1 }, gv)?.sku).toBe('GV-OJ-52');
  });

  it('matches descriptions by the longest keywords, not by the first hit', () => {
    expect(matchItem({ description: 'Oat milk, please', quantity: 1 }, gv)?.sku).toBe('GV-MILK-OAT-64');
    expect(matchItem({ description: 'whole milk', quantity: 1 }, gv)?.sku).toBe('GV-MILK-WHL-1G');
    expect(matchItem({ description: 'PEANUT BUTTER!', quantity: 1 }, gv)?.sku).toBe('GV-PB-CRMY');
  });

  it('returns nothing when nothing matches', () => {
    expect(matchItem({ description: 'a pony', quantity: 1 }, gv)).toBeUndefined();
  });
});

describe('catalogues', () => {
  it('every vendor has 15 to 40 priced items with a floor at or below the price', () => {
    for (const p of Object.values(VENDOR_PROFILES)) {
      const items = p.itemsFor ? faresFor({ from: 'SFO', to: 'LHR', departDate: '2027-01-10' }) : p.catalogue;
      if ('refuse' in items) throw new Error(items.refuse);
      expect(items.length, p.id).toBeGreaterThanOrEqual(15);
      expect(items.length, p.id).toBeLessThanOrEqual(40);
      for (const i of items) {
        expect(Number.isInteger(i.priceMinor) && Number.isInteger(i.floorMinor)).toBe(true);
        expect(i.floorMinor).toBeLessThanOrEqual(i.priceMinor);
        expect(i.floorMinor).toBeGreaterThanOrEqual(0);
      }
      expect(new Set(items.map((i) => i.sku)).size).toBe(items.length);
    }
  });

  it('fares depend on the route and date, deterministically', () => {
    const a = faresFor({ from: 'SFO', to: 'JFK', departDate: '2027-01-12' });
    const b = faresFor({ from: 'sfo', to: 'New York', departDate: '2027-01-12' });
    const far = faresFor({ from: 'SFO', to: 'LHR', departDate: '2027-01-12' });
    if ('refuse' in a || 'refuse' in b || 'refuse' in far) throw new Error('refused');
    expect(a).toEqual(b);
    expect(far[1]!.priceMinor).toBeGreaterThan(a[1]!.priceMinor);
    expect(faresFor({ from: 'SFO', to: 'XYZ', departDate: '2027-01-12' })).toHaveProperty('refuse');
    expect(faresFor({ from: 'SFO', to: 'JFK', departDate: '2027-01-12', returnDate: '2027-01-01' })).toHaveProperty('refuse');
  });
});

describe('priceRfq', () => {
  const rfq = (category: 'restaurant' | 'travel', description: string, quantity: number, constraints: Record<string, unknown>) => ({
    type: 'rfq' as const,
    rfqId: 'rfq-1',
    category,
    currency: 'USD',
    items: [{ description, quantity }],
    constraints,
    respondBy: 0,
  });
  const now = Date.parse('2027-01-01T00:00:00Z');

  it('quotes the table when a booking request names nothing on the menu', () => {
    const q = priceRfq(VENDOR_PROFILES['trattoria-sole'], rfq('restaurant', 'somewhere nice', 1, { partySize: 4, reservationAt: '2027-01-08T19:00:00Z' }), now);
    if ('refuse' in q) throw new Error(q.refuse);
    expect(q.lines.map((l) => l.item.sku)).toEqual(['TS-TABLE']);
    expect(q.unmatched).toEqual([]);
    expect(q.fees[0]?.amount.amountMinor).toBe(6000);
  });

  it('quotes one fare per traveller', () => {
    const q = priceRfq(VENDOR_PROFILES.skytrail, rfq('travel', 'get me to new york', 1, { from: 'SFO', to: 'JFK', departDate: '2027-01-12', travellers: 3 }), now);
    if ('refuse' in q) throw new Error(q.refuse);
    expect(q.lines.map((l) => [l.item.sku, l.quantity])).toEqual([['ST-ECON-SFOJFK', 3]]);
  });

  it('refuses a grocery delivery day in the past', () => {
    const q = priceRfq(VENDOR_PROFILES.quickbasket, { ...rfq('travel', 'milk', 1, { deliveryDay: '2026-12-30' }), category: 'groceries' }, now);
    expect(q).toEqual({ refuse: 'no delivery slots left for `2026-12-30`' });
  });
});
