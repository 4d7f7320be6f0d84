import { describe, expect, it } from 'vitest';
import { isValidTimeZone, zonedIsoDateTime, zonedParts } from '../../src/internal/zoned-time.ts';

describe('zoned time', () => {
  it('uses the offset in force on the date, across daylight saving', () => {
    expect(zonedIsoDateTime({ year: 2026, month: 11, day: 27 }, 19, 0, 'America/New_York')).toBe('2026-11-27T19:00:00-05:00');
    expect(zonedIsoDateTime({ year: 2027, month: 7, day: 4 }, 19, 0, 'America/New_York')).toBe('2027-07-04T19:00:00-04:00');
    expect(zonedIsoDateTime({ year: 2027, month: 3, day: 28 }, 12, 30, 'Europe/Berlin')).toBe('2027-03-28T12:30:00+02:00');
    expect(zonedIsoDateTime({ year: 2026, month: 12, day: 1 }, 9, 0, 'Asia/Kolkata')).toBe('2026-12-01T09:00:00+05:30');
  });

  it('takes "today" from the zone, not from UTC', () => {
    const ms = Date.parse('2026-11-26T23:30:00Z');
    expect(zonedParts(ms, 'Europe/Berlin')).toMatchObject({ year: 2026, month: 11, day: 27, weekday: 5 });
    expect(zonedParts(ms, 'America/Los_Angeles')).toMatchObject({ day: 26, weekday: 4 });
  });

  it('knows IANA zones and refuses others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
