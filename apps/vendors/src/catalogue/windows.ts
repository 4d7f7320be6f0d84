import type { RfqConstraints } from '@steward/protocol';
import type { Window } from './types.ts';

const DAY_MS = 86_400_000;

function dayStartMs(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`);
}

/**
 * A grocery delivery slot: on `deliveryDay` (or by `deliverBy`, or the next day), from
 * `startHourUtc` for `hours` hours. Refuses a day in the past or more than `horizonDays` ahead.
 */
export function deliverySlot(constraints: RfqConstraints, nowMs: number, startHourUtc: number, hours: number, horizonDays = 14): Window | { refuse: string } {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const requested = constraints.deliveryDay ?? constraints.deliverBy;
  const day = requested === undefined ? today + DAY_MS : dayStartMs(requested);
  if (day < today + DAY_MS && requested !== undefined) return { refuse: `no delivery slots left for \`${requested}\`` };
  if (day > today + horizonDays * DAY_MS) return { refuse: `deliveries are booked at most ${horizonDays} days ahead` };
  const start = day + startHourUtc * 3_600_000;
  return { start: new Date(start).toISOString(), end: new Date(start + hours * 3_600_000).toISOString() };
}
