/** Local calendar facts of an instant in a time zone. Weekday 0 = Monday … 6 = Sunday. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The local date, hour and weekday of `ms` in the IANA zone `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  const p: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, weekday: 0 };
  for (const part of formatter(tz).formatToParts(ms)) {
    const t = part.type;
    if (t === 'year') p.year = Number(part.value);
    else if (t === 'month') p.month = Number(part.value);
    else if (t === 'day') p.day = Number(part.value);
    else if (t === 'hour') p.hour = Number(part.value);
    else if (t === 'minute') p.minute = Number(part.value);
    else if (t === 'weekday') p.weekday = WEEKDAYS[part.value] ?? 0;
  }
  return p;
}

function offsetMs(ms: number, tz: string): number {
  const parts = formatter(tz).formatToParts(ms);
  const get = (t: string) => Number(parts.find((x) => x.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Epoch ms of local midnight starting the given local date in `tz` (DST-safe). */
export function localMidnight(year: number, month: number, day: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetMs(guess, tz);
  const second = guess - offsetMs(first, tz);
  return second;
}

/** A spending window: how long, and whether it follows the calendar or ends now. */
export type WindowPer = 'day' | 'week' | 'month';

const ROLLING_MS: Record<WindowPer, number> = {
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
};

interface CachedWindow {
  start: number;
  end: number;
}
const calendarCache = new Map<string, CachedWindow>();

/**
 * The start (epoch ms) of the window containing `ms`: calendar windows begin at local midnight,
 * on Monday, or on the 1st in `tz`; rolling ones are the last 24 h, 7 days or 30 days.
 */
export function windowStart(per: WindowPer, rolling: boolean, ms: number, tz: string): number {
  if (rolling) return ms - ROLLING_MS[per];
  const key = `${tz}\u0000${per}`;
  const hit = calendarCache.get(key);
  if (hit && ms >= hit.start && ms < hit.end) return hit.start;
  const p = localParts(ms, tz);
  let start: number;
  let end: number;
  if (per === 'day') {
    start = localMidnight(p.year, p.month, p.day, tz);
    const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
    end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz);
  } else if (per === 'week') {
    const monday = new Date(Date.UTC(p.year, p.month - 1, p.day - p.weekday));
    start = localMidnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), tz);
    const next = new Date(Date.UTC(p.year, p.month - 1, p.day - p.weekday + 7));
    end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz);
  } else {
    start = localMidnight(p.year, p.month, 1, tz);
    const next = new Date(Date.UTC(p.year, p.month, 1));
    end = localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, tz);
  }
  calendarCache.set(key, { start, end });
  return start;
}
