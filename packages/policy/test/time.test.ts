import { describe, expect, it } from 'vitest';
import { localParts, windowStart } from '../src/internal/time.ts';
import { formatMoney, parseMoneyText } from '../src/index.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('calendar windows in the person’s time zone', () => {
  it('starts the day at local midnight', () => {
    expect(iso(windowStart('day', false, at('2026-03-10T03:00:00Z'), 'America/New_York'))).toBe(
      '2026-03-09T04:00:00.000Z',
    );
    expect(iso(windowStart('day', false, at('2026-03-10T23:30:00Z'), 'Asia/Tokyo'))).toBe(
      '2026-03-10T15:00:00.000Z',
    );
  });

  it('starts the week on Monday', () => {
    // Sunday 15 March 2026, 20:00 in Berlin → Monday 9 March 00:00 CET.
    expect(iso(windowStart('week', false, at('2026-03-15T19:00:00Z'), 'Europe/Berlin'))).toBe(
      '2026-03-08T23:00:00.000Z',
    );
    // Monday 16 March 00:30 in Berlin is already the next week.
    expect(iso(windowStart('week', false, at('2026-03-15T23:30:00Z'), 'Europe/Berlin'))).toBe(
      '2026-03-15T23:00:00.000Z',
    );
  });

  it('starts the month on the 1st, across a DST change', () => {
    // 1 April 2026 00:30 in Berlin is CEST (UTC+2), though March began in CET (UTC+1).
    expect(iso(windowStart('month', false, at('2026-03-31T22:30:00Z'), 'Europe/Berlin'))).toBe(
      '2026-03-31T22:00:00.000Z',
    );
    expect(iso(windowStart('month', false, at('2026-03-31T21:30:00Z'), 'Europe/Berlin'))).toBe(
      '2026-02-28T23:00:00.000Z',
    );
  });

  it('handles the day clocks spring forward', () => {
    // 8 March 2026 in New York has 23 hours; midnight is still 05:00Z (EST).
    expect(iso(windowStart('day', false, at('2026-03-08T20:00:00Z'), 'America/New_York'))).toBe(
      '2026-03-08T05:00:00.000Z',
    );
    expect(iso(windowStart('day', false, at('2026-03-09T20:00:00Z'), 'America/New_York'))).toBe(
      '2026-03-09T04:00:00.000Z',
    );
  });

  it('ends rolling windows now', () => {
    expect(windowStart('week', true, at('2026-03-10T12:00:00Z'), 'UTC')).toBe(at('2026-03-03T12:00:00Z'));
  });

  it('reads local hour and weekday', () => {
    expect(localParts(at('2026-03-13T23:30:00Z'), 'Europe/Berlin')).toMatchObject({
      hour: 0,
      minute: 30,
      weekday: 5,
      day: 14,
    });
  });
});

describe('money in policy files', () => {
  it('reads amounts in the currency’s own minor units', () => {
    expect(parseMoneyText('50.00 USD')).toEqual({ amountMinor: 5000, currency: 'USD' });
    expect(parseMoneyText('50 USD')).toEqual({ amountMinor: 5000, currency: 'USD' });
    expect(parseMoneyText('5000 JPY')).toEqual({ amountMinor: 5000, currency: 'JPY' });
    expect(parseMoneyText('1.005 BHD')).toEqual({ amountMinor: 1005, currency: 'BHD' });
  });

  it('refuses floats beyond the currency’s decimals, missing currencies and unknown ones', () => {
    expect(parseMoneyText('1.005 USD')).toMatch(/2 decimal places/);
    expect(parseMoneyText('50')).toMatch(/amount and a currency/);
    expect(parseMoneyText('50 XYZ')).toMatch(/unknown currency|not/);
    expect(parseMoneyText('-5 USD')).toMatch(/amount and a currency/);
  });

  it('formats for people', () => {
    expect(formatMoney({ amountMinor: 9240, currency: 'USD' })).toBe('$92.40');
    expect(formatMoney({ amountMinor: 5000, currency: 'JPY' })).toBe('¥5,000');
  });
});
