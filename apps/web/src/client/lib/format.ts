/** Money as the API sends it: integer minor units and an ISO 4217 code. */
export interface Money {
  amountMinor: number;
  currency: string;
}

function digitsOf(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * Formats money without floating point: the minor units become a decimal string that Intl formats
 * exactly (`4210 USD` → `$42.10`, `4900 JPY` → `¥4,900`).
 */
export function formatMoney(money: Money | undefined | null): string {
  if (!money || !Number.isSafeInteger(money.amountMinor) || !/^[A-Z]{3}$/.test(money.currency)) return '—';
  const digits = digitsOf(money.currency);
  const negative = money.amountMinor < 0;
  const abs = String(Math.abs(money.amountMinor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  try {
    const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency, minimumFractionDigits: digits });
    // Intl formats decimal strings exactly (no float rounding)
    return format.format(`${negative ? '-' : ''}${decimal}` as unknown as number);
  } catch {
    return `${negative ? '-' : ''}${decimal} ${money.currency}`;
  }
}

/** Parses a decimal amount typed by the person ("42.10") into minor units, or undefined. */
export function parseAmount(text: string, currency: string): number | undefined {
  const digits = digitsOf(currency);
  const m = /^\s*(\d{1,12})(?:\.(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  if (frac.length > digits) return undefined;
  return Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
}

/** A timestamp (ISO string, or epoch seconds as signed messages carry them) in the person's locale. */
export function formatTime(at: string | number | undefined): string {
  if (at === undefined || at === '') return '—';
  const d = typeof at === 'number' ? new Date(at * 1000) : new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Shortens a hash for display (the full value stays in a title and copy button). */
export function shortHash(hash: string | undefined, n = 12): string {
  if (!hash) return '—';
  return hash.length > n ? `${hash.slice(0, n)}…` : hash;
}

/** Words for a flag kind (`affiliated_counterparty` → `affiliated counterparty`). */
export function words(kind: string): string {
  return kind.replace(/[_.]/g, ' ');
}

/** A link target only if it is plain http(s); anything else (javascript:, data:) is shown as text. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\/[^\s]+$/i.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
