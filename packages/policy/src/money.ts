import { CurrencyCode, type Money } from '@steward/protocol';

const digitsCache = new Map<string, number>();

/** How many minor-unit digits a currency has (USD 2, JPY 0, BHD 3), from Intl. */
export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
    digitsCache.set(currency, d);
  }
  return d;
}

const MONEY_TEXT = /^(\d{1,15})(?:\.(\d{1,3}))?\s+([A-Z]{3})$/;

/**
 * Reads money written the way people write it in a policy file, `50.00 USD`, into integer minor
 * units. Returns an error message instead when the text is not money or has too many decimals.
 */
export function parseMoneyText(text: string): Money | string {
  const m = MONEY_TEXT.exec(text.trim());
  if (!m) return 'must be an amount and a currency, e.g. `50.00 USD`';
  const [, whole = '0', frac = '', currency = ''] = m;
  if (!CurrencyCode.safeParse(currency).success) return `unknown currency \`${currency}\``;
  const digits = minorDigits(currency);
  if (frac.length > digits)
    return `\`${currency}\` has ${digits} decimal places, \`${text}\` has ${frac.length}`;
  const amountMinor = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  if (!Number.isSafeInteger(amountMinor)) return 'amount is too large';
  return { amountMinor, currency };
}

const formatters = new Map<string, Intl.NumberFormat>();

/** Formats money for a reason a person reads, e.g. `$92.40` or `€12.00`. */
export function formatMoney(money: Money): string {
  let f = formatters.get(money.currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency });
    formatters.set(money.currency, f);
  }
  return f.format(money.amountMinor / 10 ** minorDigits(money.currency));
}
