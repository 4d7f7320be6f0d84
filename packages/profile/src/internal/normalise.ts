/**
 * Text normalisation for outbound DLP: the same value written differently (case, width,
 * diacritics, invisible characters, spelled-out digits, abbreviations) must compare equal.
 */

// Invisible format characters (zero-width, bidi controls, tag characters) hide values from naive matching.
const FORMAT_CHARS = /[\p{Cf}\u034f\u115f\u1160\u3164\uffa0]/gu;
const MARKS = /\p{M}+/gu;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ND = /\p{Nd}/u;
const NON_ASCII_DIGIT = /(?![0-9])\p{Nd}/gu;

/** The value of a decimal digit of any script: its distance from the start of its run of ten. */
function digitValue(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  let back = 0;
  while (back < 60 && ND.test(String.fromCodePoint(cp - back - 1))) back++;
  return String(back % 10);
}

/** NFKC, digits of any script as ASCII, format characters removed, diacritics stripped, case-folded (`ß` → `ss`). */
export function foldText(s: string): string {
  // Printable ASCII needs none of the Unicode steps.
  if (PRINTABLE_ASCII.test(s)) return s.toLowerCase();
  return s
    .normalize('NFKC')
    .replace(NON_ASCII_DIGIT, digitValue).replace(FORMAT_CHARS, '').normalize('NFD').replace(MARKS, '').normalize('NFC').toUpperCase().toLowerCase();
}

const ABBREVIATIONS: Readonly<Record<string, string>> = {
  st: 'street',
  str: 'street',
  rd: 'road',
  ave: 'avenue',
  av: 'avenue',
  blvd: 'boulevard',
  bd: 'boulevard',
  dr: 'drive',
  ln: 'lane',
  ct: 'court',
  pl: 'place',
  sq: 'square',
  hwy: 'highway',
  pkwy: 'parkway',
  apt: 'apartment',
  ste: 'suite',
  fl: 'floor',
  mt: 'mount',
  ft: 'fort',
};

/** Word tokens of folded text: letters and digits only, common street abbreviations expanded. */
export function tokens(folded: string): string[] {
  return folded
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0)
    .map((t) => ABBREVIATIONS[t] ?? t);
}

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};
const DIGIT_WORD = /\b(zero|oh|one|two|three|four|five|six|seven|eight|nine)\b/g;

/** Folded text with spelled-out digits ("four one five") turned into digits. */
export function spelledDigits(folded: string): string {
  return folded.replace(DIGIT_WORD, (w) => DIGIT_WORDS[w] ?? w);
}

const DIGIT_SEPARATOR = /[\s\-.()+/,\u2010-\u2015_*#]/u;

/** A run of digits written with separators (`+1 (415) 555-0134`), and the piece index of each digit. */
export interface DigitRun {
  digits: string;
  pieces: number[];
}

/**
 * Splits the pieces (already digit-normalised) into digit runs. A run continues across up to four
 * separator characters, including the gap between adjacent pieces, so a number split over two
 * fields is one run; letters end it.
 */
export function digitRuns(pieces: readonly string[]): DigitRun[] {
  const runs: DigitRun[] = [];
  let digits = '';
  let owners: number[] = [];
  let gap = 0;
  const close = (): void => {
    if (digits.length > 0) runs.push({ digits, pieces: owners });
    digits = '';
    owners = [];
    gap = 0;
  };
  pieces.forEach((text, p) => {
    if (digits.length === 0 && !/\d/.test(text)) return;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        digits += text[i];
        owners.push(p);
        gap = 0;
      } else if (digits.length > 0 && DIGIT_SEPARATOR.test(text[i] ?? '')) {
        gap += 1;
        if (gap > 4) close();
      } else if (digits.length > 0) {
        close();
      }
    }
    // The boundary between two pieces counts as one separator.
    if (digits.length > 0) {
      gap += 1;
      if (gap > 4) close();
    }
  });
  close();
  return runs;
}

/** The phone's digit strings to look for: with and without the country code and trunk zero. */
export function phoneCandidates(value: string): string[] {
  const trimmed = value.trim();
  const all = trimmed.replace(/\D/g, '');
  const out = new Set<string>();
  const add = (d: string): void => {
    if (d.length >= 7) out.add(d);
  };
  add(all);
  const international = trimmed.startsWith('+') || all.startsWith('00');
  const body = trimmed.startsWith('+') ? all : all.startsWith('00') ? all.slice(2) : all;
  if (international) {
    add(body);
    for (let cc = 1; cc <= 3; cc++) {
      const national = body.slice(cc);
      add(national);
      add(`0${national}`);
      add(`00${body}`);
    }
  } else if (all.startsWith('0')) {
    add(all.slice(1));
  }
  return [...out];
}

/** The canonical form of an email address: lowercased, `+tag` removed, Gmail dots removed. */
export function canonicalEmail(address: string): string | undefined {
  const folded = foldText(address).trim();
  const at = folded.lastIndexOf('@');
  if (at <= 0 || at === folded.length - 1) return undefined;
  let local = folded.slice(0, at);
  let domain = folded.slice(at + 1).replace(/\.$/, '');
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (domain === 'googlemail.com') domain = 'gmail.com';
  if (domain === 'gmail.com') local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}

/** Undoes common email obfuscations: `name (at) example [dot] com`, `name at example dot com`. */
export function deobfuscateEmail(folded: string): string {
  return folded
    .replace(/\s*[[({<]\s*(?:at|@)\s*[\])}>]\s*/g, '@')
    .replace(/\s*[[({<]\s*(?:dot|\.)\s*[\])}>]\s*/g, '.')
    .replace(/\s+at\s+/g, '@')
    .replace(/\s+dot\s+/g, '.')
    .replace(/\s*@\s*/g, '@')
    .replace(/(\w)\s*\.\s*(?=\w)/g, '$1.');
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?';
const YMD = /(?<!\d)(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})(?!\d)/g;
const DMY = /(?<!\d)(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})(?!\d)/g;
const COMPACT = /(?<!\d)(\d{8})(?!\d)/g;
const D_MONTH_Y = new RegExp(`(?<!\\d)(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH},?\\s+(\\d{4}|\\d{2})(?!\\d)`, 'g');
const MONTH_D_Y = new RegExp(`${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4}|\\d{2})(?!\\d)`, 'g');

/** Every calendar date written in the text, as `[year, month, day]` (two-digit years kept as such). */
export function datesIn(folded: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  if (!/\d/.test(folded)) return out;
  const num = (s: string | undefined): number => Number(s);
  for (const m of folded.matchAll(YMD)) out.push([num(m[1]), num(m[2]), num(m[3])]);
  for (const m of folded.matchAll(DMY)) {
    out.push([num(m[3]), num(m[2]), num(m[1])], [num(m[3]), num(m[1]), num(m[2])]);
  }
  for (const m of folded.matchAll(COMPACT)) {
    const s = m[1] ?? '';
    out.push([num(s.slice(0, 4)), num(s.slice(4, 6)), num(s.slice(6, 8))], [num(s.slice(4, 8)), num(s.slice(2, 4)), num(s.slice(0, 2))], [num(s.slice(4, 8)), num(s.slice(0, 2)), num(s.slice(2, 4))]);
  }
  if (/[a-z]/.test(folded)) {
    for (const m of folded.matchAll(D_MONTH_Y)) out.push([num(m[3]), MONTHS.indexOf(m[2] ?? '') + 1, num(m[1])]);
    for (const m of folded.matchAll(MONTH_D_Y)) out.push([num(m[3]), MONTHS.indexOf(m[1] ?? '') + 1, num(m[2])]);
  }
  return out;
}

/** Possible decodings of a string that may hide a value: percent-encoding, HTML entities, hex, base64. */
export function decodings(raw: string): string[] {
  const out: string[] = [];
  if (/%[0-9a-f]{2}/i.test(raw)) {
    try {
      out.push(decodeURIComponent(raw.replace(/\+/g, ' ')));
    } catch {
      // Not valid percent-encoding: scanned as written.
    }
  }
  if (/&#?[a-z0-9]+;/i.test(raw)) {
    out.push(
      raw
        .replace(/&#x([0-9a-f]{1,6});/gi, (_, h: string) => safeCodePoint(parseInt(h, 16)))
        .replace(/&#(\d{1,7});/g, (_, d: string) => safeCodePoint(Number(d)))
        .replace(/&commat;/gi, '@')
        .replace(/&period;/gi, '.')
        .replace(/&amp;/gi, '&'),
    );
  }
  for (const m of raw.matchAll(/(?<![0-9a-f])(?:[0-9a-f]{2}){6,}(?![0-9a-f])/gi)) {
    const text = Buffer.from(m[0], 'hex').toString('utf8');
    if (!text.includes('\ufffd') && /^[\p{L}\p{N}\p{P}\p{Zs}\p{S}\n]+$/u.test(text)) out.push(text);
  }
  for (const m of raw.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)) {
    const decoded = Buffer.from(m[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    const text = decoded.toString('utf8');
    // Only text that round-trips as mostly printable UTF-8 is worth scanning.
    if (text.length >= 6 && !text.includes('\ufffd') && /^[\p{L}\p{N}\p{P}\p{Zs}\p{S}\n]+$/u.test(text)) out.push(text);
  }
  return out;
}

function safeCodePoint(n: number): string {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
}
