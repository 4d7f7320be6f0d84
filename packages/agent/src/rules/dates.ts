import { addDays, compareDates, isRealDate, weekdayOf, type CivilDate } from '../internal/zoned-time.ts';

/** How to read `12/11`: month first (US) or day first. */
export type DateOrder = 'MDY' | 'DMY';

/** A date found in text, with where it was. */
export interface FoundDate {
  date: CivilDate;
  index: number;
  length: number;
  /** True when a preposition like "by"/"before" made it a deadline rather than a day. */
  deadline: boolean;
}

/** A time of day found in text. */
export interface FoundTime {
  hour: number;
  minute: number;
  /** False for "at 7", where am/pm was guessed. */
  explicit: boolean;
  index: number;
  length: number;
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11,
  november: 11, dec: 12, december: 12,
};

const WEEKDAYS: Readonly<Record<string, number>> = {
  sunday: 0, sun: 0, monday: 1, mon: 1, tuesday: 2, tue: 2, tues: 2, wednesday: 3, wed: 3,
  thursday: 4, thu: 4, thur: 4, thurs: 4, friday: 5, fri: 5, saturday: 6, sat: 6,
};

const MONTH_RE = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');
const WEEKDAY_RE = Object.keys(WEEKDAYS).sort((a, b) => b.length - a.length).join('|');
const DAY = String.raw`(\d{1,2})(?:st|nd|rd|th)?`;

function inferYear(month: number, day: number, today: CivilDate): CivilDate | undefined {
  const thisYear = { year: today.year, month, day };
  if (!isRealDate(thisYear) && !isRealDate({ year: today.year + 1, month, day })) return undefined;
  if (isRealDate(thisYear) && compareDates(thisYear, today) >= 0) return thisYear;
  const next = { year: today.year + 1, month, day };
  return isRealDate(next) ? next : undefined;
}

function explicitYear(year: string | undefined, month: number, day: number, today: CivilDate): CivilDate | undefined {
  if (year === undefined) return inferYear(month, day, today);
  const y = year.length === 2 ? 2000 + Number(year) : Number(year);
  const d = { year: y, month, day };
  return isRealDate(d) ? d : undefined;
}

/** The next date on or after `today` falling on `weekday`. */
function thisWeekday(today: CivilDate, weekday: number): CivilDate {
  return addDays(today, (weekday - weekdayOf(today) + 7) % 7);
}

/** The `weekday` of the next calendar week (weeks start on Monday): "next Friday". */
function nextWeekday(today: CivilDate, weekday: number): CivilDate {
  const mondayOffset = (weekdayOf(today) + 6) % 7;
  const nextMonday = addDays(today, 7 - mondayOffset);
  return addDays(nextMonday, (weekday + 6) % 7);
}

/** The Sunday that ends the current week (weeks start on Monday): "this week". */
export function endOfWeek(today: CivilDate): CivilDate {
  return addDays(today, (7 - weekdayOf(today)) % 7);
}

/**
 * Finds dates in `text` (already lower-cased and typo-corrected), in order: "today", "tomorrow",
 * "day after tomorrow", "in 3 days", "this Saturday", "next Friday", "Dec 12", "12 December",
 * "12/12", "2026-12-12", and ranges "Dec 12-15", "Dec 28 - Jan 3", "12/12-12/15". Dates without a year
 * are the next such date on or after `today`.
 */
export function findDates(text: string, today: CivilDate, order: DateOrder = 'MDY'): FoundDate[] {
  const found: FoundDate[] = [];
  const taken: [number, number][] = [];
  const free = (i: number, len: number): boolean => taken.every(([s, e]) => i + len <= s || i >= e);
  const add = (date: CivilDate | undefined, index: number, length: number, whole: [number, number]): void => {
    if (!date) return;
    const before = text.slice(Math.max(0, index - 8), index);
    found.push({ date, index, length, deadline: /\b(by|before|until)\s+(the\s+)?$/.test(before) });
    taken.push(whole);
  };
  const scan = (re: RegExp, f: (m: RegExpExecArray, start: number, end: number) => void): void => {
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (free(start, m[0].length)) f(m, start, end);
    }
  };

  // 2026-12-12
  scan(/\b(\d{4})-(\d{2})-(\d{2})\b/g, (m, s, e) => {
    const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
    add(isRealDate(d) ? d : undefined, s, e - s, [s, e]);
  });
  // Dec 12 - Jan 3, Dec 12-15, Dec 12 to 15, December 12th, 2026
  scan(
    new RegExp(
      String.raw`\b(${MONTH_RE})\.?\s+${DAY}(?:,?\s+(\d{4}))?(?:\s*(?:-|–|to|through|until|thru)\s*(?:(${MONTH_RE})\.?\s+)?${DAY}(?:,?\s+(\d{4}))?)?\b`,
      'g',
    ),
    (m, s, e) => {
      const month = MONTHS[m[1]!]!;
      const first = explicitYear(m[3], month, Number(m[2]), today);
      add(first, s, e - s, [s, e]);
      if (m[5] !== undefined && first) {
        const month2 = m[4] ? MONTHS[m[4]]! : month;
        let second = explicitYear(m[6], month2, Number(m[5]), first);
        if (second && compareDates(second, first) < 0) second = explicitYear(undefined, month2, Number(m[5]), first);
        add(second, s, e - s, [s, e]);
      }
    },
  );
  // 12 Dec, 12th of December, 12-15 Dec
  scan(
    new RegExp(String.raw`\b${DAY}(?:\s*(?:-|–|to)\s*${DAY})?\s+(?:of\s+)?(${MONTH_RE})\b\.?(?:,?\s+(\d{4}))?`, 'g'),
    (m, s, e) => {
      const month = MONTHS[m[3]!]!;
      const first = explicitYear(m[4], month, Number(m[1]), today);
      add(first, s, e - s, [s, e]);
      if (m[2] !== undefined && first) add(explicitYear(m[4], month, Number(m[2]), first), s, e - s, [s, e]);
    },
  );
  // 12/12, 12/12/2026, 12/12-12/15
  scan(/\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?(?:\s*(?:-|–|to)\s*(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?)?\b/g, (m, s, e) => {
    const pick = (a: string, b: string): [number, number] => (order === 'MDY' ? [Number(a), Number(b)] : [Number(b), Number(a)]);
    const [mo, d] = pick(m[1]!, m[2]!);
    const first = explicitYear(m[3], mo, d, today);
    add(first, s, e - s, [s, e]);
    if (m[4] !== undefined && m[5] !== undefined && first) {
      const [mo2, d2] = pick(m[4], m[5]);
      add(explicitYear(m[6], mo2, d2, first), s, e - s, [s, e]);
    }
  });
  // "the 12th": the next such day of a month, this month or the next
  scan(new RegExp(String.raw`\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?(?:${MONTH_RE})\b)`, 'g'), (m, s, e) => {
    const day = Number(m[1]);
    let d: CivilDate | undefined;
    for (let k = 0; k < 3 && !d; k++) {
      const month = ((today.month - 1 + k) % 12) + 1;
      const year = today.year + Math.floor((today.month - 1 + k) / 12);
      const c = { year, month, day };
      if (isRealDate(c) && compareDates(c, today) >= 0) d = c;
    }
    add(d, s, e - s, [s, e]);
  });
  scan(/\b(?:the\s+)?day after tomorrow\b/g, (_m, s, e) => add(addDays(today, 2), s, e - s, [s, e]));
  scan(/\btomorrow\b/g, (_m, s, e) => add(addDays(today, 1), s, e - s, [s, e]));
  scan(/\b(?:today|tonight|this evening)\b/g, (_m, s, e) => add(today, s, e - s, [s, e]));
  scan(/\bin\s+(\d{1,2}|a|one|two|three|four|five|six|seven)\s+(days?|weeks?)\b/g, (m, s, e) => {
    const words: Record<string, number> = { a: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7 };
    const n = words[m[1]!] ?? Number(m[1]);
    add(addDays(today, m[2]!.startsWith('week') ? 7 * n : n), s, e - s, [s, e]);
  });
  scan(/\b(this|next)\s+weekend\b/g, (m, s, e) =>
    add(m[1] === 'next' ? nextWeekday(today, 6) : thisWeekday(today, 6), s, e - s, [s, e]),
  );
  scan(new RegExp(String.raw`\b(?:(this|next|on|coming)\s+)?(${WEEKDAY_RE})\b`, 'g'), (m, s, e) => {
    const wd = WEEKDAYS[m[2]!]!;
    add(m[1] === 'next' ? nextWeekday(today, wd) : thisWeekday(today, wd), s, e - s, [s, e]);
  });
  return found.sort((a, b) => a.index - b.index);
}

/**
 * Finds a time of day: "7pm", "7:30 pm", "19:00", "noon", "at 7" (read as evening, 1–10 → pm,
 * since that is how people book tables).
 */
export function findTime(text: string): FoundTime | undefined {
  const m1 = /\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?![a-z])/.exec(text);
  if (m1) {
    let hour = Number(m1[1]);
    const minute = Number(m1[2] ?? 0);
    if (hour < 1 || hour > 12 || minute > 59) return undefined;
    const pm = m1[3]!.startsWith('p');
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
    return { hour, minute, explicit: true, index: m1.index, length: m1[0].length };
  }
  const m2 = /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text);
  if (m2) return { hour: Number(m2[1]), minute: Number(m2[2]), explicit: true, index: m2.index, length: m2[0].length };
  const m3 = /\b(noon|midday|midnight)\b/.exec(text);
  if (m3) return { hour: m3[1] === 'midnight' ? 0 : 12, minute: 0, explicit: true, index: m3.index, length: m3[0].length };
  for (const m4 of text.matchAll(/\b(?:at|around)\s+(\d{1,2})(?:\s*o'?clock)?\b(?!\s*(?:people|persons?|guests?|adults?|of|\/|-|:|\d|%))/g)) {
    let hour = Number(m4[1]);
    if (hour < 1 || hour > 12) continue;
    if (hour <= 10) hour += 12;
    return { hour, minute: 0, explicit: false, index: m4.index, length: m4[0].length };
  }
  return undefined;
}
