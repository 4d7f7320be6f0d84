import { describe, expect, it } from 'vitest';
import { findAmount, formatMoney } from '../../src/index.ts';

const money = (text: string) => findAmount(text, 'USD')?.money;

describe('findAmount', () => {
  it.each([
    ['under $80', 8000, 'USD'],
    ['80 dollars', 8000, 'USD'],
    ['eighty bucks', 8000, 'USD'],
    ['€50', 5000, 'EUR'],
    ['50€', 5000, 'EUR'],
    ['50 EUR', 5000, 'EUR'],
    ['EUR 50', 5000, 'EUR'],
    ['£30', 3000, 'GBP'],
    ['under 80', 8000, 'USD'],
    ['max $75.50', 7550, 'USD'],
    ['$1,234.05', 123405, 'USD'],
    ['¥5000', 5000, 'JPY'],
    ['a hundred dollars', 10000, 'USD'],
    ['twenty-five euros', 2500, 'EUR'],
    ['up to 40 CHF', 4000, 'CHF'],
    ['no more than 12.5', 1250, 'USD'],
  ])('%s', (text, amountMinor, currency) => {
    expect(money(text)).toEqual({ amountMinor, currency });
  });

  it.each(['2 loaves of bread', 'a table for 4 at 7pm', 'Dec 12-15', '12/12', 'for 2 people', '2 pounds of apples', 'under 7:30', 'call me at 555'])(
    'reads no money in %s',
    (text) => expect(money(text)).toBeUndefined(),
  );

  it('refuses more decimals than the currency has (no silent rounding)', () => {
    expect(money('¥50.5')).toBeUndefined();
    expect(money('$10.999')).toBeUndefined();
  });

  it('never reads lower-case three-letter words as rare currency codes', () => {
    expect(money('all 30 top 20')).toBeUndefined();
    expect(money('30 ALL')?.currency).toBe('ALL'); // minor units as Intl (CLDR) has them, like the policy package
  });
});

describe('formatMoney', () => {
  it('formats from minor units without floating point', () => {
    expect(formatMoney({ amountMinor: 8000, currency: 'USD' })).toBe('$80.00');
    expect(formatMoney({ amountMinor: 5, currency: 'EUR' })).toBe('€0.05');
    expect(formatMoney({ amountMinor: 5000, currency: 'JPY' })).toBe('¥5,000');
    expect(formatMoney({ amountMinor: 900719925474099, currency: 'USD' })).toBe('$9,007,199,254,740.99');
  });
});
