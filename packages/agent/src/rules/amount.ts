import type { Money } from '@steward/protocol';

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const SYMBOLS: Readonly<Record<string, string>> = {
  'us$': 'USD',
  $: 'USD',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  'c$': 'CAD',
  'a$': 'AUD',
};

const CURRENCY_WORDS: Readonly<Record<string, string>> = {
  dollar: 'USD',
  dollars: 'USD',
  buck: 'USD',
  bucks: 'USD',
  usd: 'USD',
  euro: 'EUR',
  euros: 'EUR',
  eur: 'EUR',
  pound: 'GBP',
  pounds: 'GBP',
  quid: 'GBP',
  gbp: 'GBP',
  yen: 'JPY',
  jpy: 'JPY',
};

const UNITS: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70,
  eighty: 80, ninety: 90, a: 1, an: 1,
};

/** Number words the parser reads ("eighty", "twenty five", "a hundred"), for amounts and counts. */
export const NUMBER_WORD = String.raw`(?:(?:a|an|one|two|three|four|five|six|seven|eight|nine)[ -]hundred(?:[ -](?:and[ -])?[a-z]+(?:[ -][a-z]+)?)?|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[ -](?:one|two|three|four|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)`;

/** The value of an English number phrase below ten thousand, or undefined. */
export function wordsToNumber(phrase: string): number | undefined {
  const words = phrase.toLowerCase().split(/[\s-]+/).filter((w) => w !== 'and' && w !== '');
  if (words.length === 0) return undefined;
  let total = 0;
  let current = 0;
  for (const w of words) {
    if (w === 'hundred') {
      current = (current === 0 ? 1 : current) * 100;
    } else if (w === 'thousand') {
      total += (current === 0 ? 1 : current) * 1000;
      current = 0;
    } else {
      const v = UNITS[w];
      if (v === undefined) return undefined;
      current += v;
    }
  }
  return total + current;
}

/** Digits after the decimal point a currency uses (USD 2, JPY 0). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Converts a decimal string ("75.50", "1,200") to integer minor units without floating point.
 * Returns undefined when it has more decimals than the currency allows.
 */
export function decimalToMinor(decimal: string, currency: string): number | undefined {
  const clean = decimal.replace(/,/g, '');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(clean);
  if (!m) return undefined;
  const digits = minorDigits(currency);
  const frac = m[2] ?? '';
  if (frac.length > digits) return undefined;
  const minor = Number(m[1]! + frac.padEnd(digits, '0'));
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/** Formats money for a person: `$80.00`, `€50.00`, `¥5,000`. */
export function formatMoney(m: Money): string {
  const digits = minorDigits(m.currency);
  const s = String(m.amountMinor).padStart(digits + 1, '0');
  const decimal = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency }).format(
    decimal as unknown as number,
  );
}

const NUM = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const SYMBOL = String.raw`us\$|c\$|a\$|\$|€|£|¥|₹`;
const CODE = String.raw`[A-Za-z]{3}`;
const WORD_CURRENCY = String.raw`dollars?|bucks?|euros?|pounds?|quid|yen`;
const BUDGET_WORDS = String.raw`under|below|max(?:imum)?|at most|up to|less than|no more than|budget(?: of| is)?|within|cap(?: of)?|spend(?:ing)?`;

/** One amount found in text, with where it was. */
export interface FoundAmount {
  money: Money;
  index: number;
  length: number;
}

// Codes read even in lower case; others must be written in capitals, since `all`, `top` and `cup` are
// currency codes too.
const COMMON_CODES = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'INR', 'CNY', 'MXN', 'BRL', 'SGD', 'HKD', 'ZAR']);

function codeCurrency(code: string): string | undefined {
  const upper = code.toUpperCase();
  const word = CURRENCY_WORDS[code.toLowerCase()];
  if (word) return word;
  if (COMMON_CODES.has(upper)) return upper;
  return code === upper && KNOWN_CURRENCIES.has(upper) ? upper : undefined;
}

/**
 * Finds the first amount of money in `text`: "$80", "80 dollars", "eighty bucks", "€50", "50 EUR",
 * "£30", "US$ 12", and a bare number after a budget word ("under 80", "max 75.50") in
 * `defaultCurrency`. Counts ("2 loaves", "for 4") are never read as money.
 */
export function findAmount(text: string, defaultCurrency: string): FoundAmount | undefined {
  const candidates: FoundAmount[] = [];
  const push = (currency: string | undefined, decimal: string, index: number, length: number): void => {
    if (!currency) return;
    const amountMinor = decimalToMinor(decimal, currency);
    if (amountMinor !== undefined) candidates.push({ money: { amountMinor, currency }, index, length });
  };
  const scan = (re: RegExp, f: (m: RegExpExecArray) => void): void => {
    for (const m of text.matchAll(re)) f(m);
  };
  // $80, € 50, US$12.50
  scan(new RegExp(String.raw`(${SYMBOL})\s?(${NUM})`, 'giu'), (m) =>
    push(SYMBOLS[m[1]!.toLowerCase()], m[2]!, m.index, m[0].length),
  );
  // 50€, 80$
  scan(new RegExp(String.raw`(?<![\w.])(${NUM})\s?(€|£|\$|¥)`, 'gu'), (m) => push(SYMBOLS[m[2]!], m[1]!, m.index, m[0].length));
  // 80 dollars, 50 EUR, 30 pounds
  scan(new RegExp(String.raw`(?<![\w.$€£¥])(${NUM})\s?(${WORD_CURRENCY}|${CODE})\b(?!\s+of\b)`, 'gi'), (m) =>
    push(codeCurrency(m[2]!), m[1]!, m.index, m[0].length),
  );
  // EUR 50, CHF 40
  scan(new RegExp(String.raw`\b(${CODE})\s?(${NUM})\b`, 'g'), (m) => push(codeCurrency(m[1]!), m[2]!, m.index, m[0].length));
  // eighty bucks, twenty five dollars
  scan(new RegExp(String.raw`\b(${NUMBER_WORD})\s+(${WORD_CURRENCY})\b`, 'gi'), (m) => {
    const n = wordsToNumber(m[1]!);
    if (n !== undefined && n > 0) push(codeCurrency(m[2]!), String(n), m.index, m[0].length);
  });
  // under 80, max 75.50: a bare number only after a budget word, and not a count or a time
  if (candidates.length === 0) {
    scan(
      new RegExp(String.raw`\b(?:${BUDGET_WORDS})\s+(${NUM})\b(?!\s*(?:people|persons?|guests?|pm|am|:\d|o'?clock|adults?|of|x\b|loaves|items?|days?|nights?))`, 'gi'),
      (m) => {
        push(defaultCurrency, m[1]!, m.index, m[0].length);
      },
    );
  }
  candidates.sort((a, b) => a.index - b.index);
  return candidates[0];
}
