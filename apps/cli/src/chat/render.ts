import type { Approval, Money } from '@steward/protocol';

/** How text is styled on the person's terminal. */
export interface Style {
  dim(text: string): string;
  bold(text: string): string;
}

const plain: Style = { dim: (t) => t, bold: (t) => t };
const ansi: Style = { dim: (t) => `\x1b[2m${t}\x1b[22m`, bold: (t) => `\x1b[1m${t}\x1b[22m` };

/** ANSI styling on a terminal, none when piped or when `NO_COLOR` is set. */
export function styleFor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): Style {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb' ? ansi : plain;
}

/**
 * Makes text from the broker safe for a terminal: control characters (escape sequences that could
 * move the cursor, rewrite earlier lines or retitle the window), bidi overrides and invisible
 * characters become spaces, so a model's or vendor's words cannot disguise what is printed.
 */
export function cleanText(value: unknown, max = 4000): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g, ' ');
}

/** Money as `64.50 USD`, from integer minor units (no floating point). */
export function formatMoney(money: Money): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: money.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    digits = 2;
  }
  const negative = money.amountMinor < 0;
  const abs = String(Math.abs(money.amountMinor)).padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const frac = abs.slice(abs.length - digits);
  return `${negative ? '-' : ''}${whole}${digits > 0 ? `.${frac}` : ''} ${money.currency}`;
}

/** One line saying which engine answers: a language model, or the offline rules mode. */
export function modeLine(mode: unknown, model?: unknown): string {
  if (mode === 'model') {
    return `Answering: a language model${typeof model === 'string' && model ? ` (${cleanText(model, 100)})` : ''}. It proposes; the broker checks every action against your policy.`;
  }
  if (mode === 'offline-rules') return 'Answering: the offline rules mode (no language model).';
  return `Answering: an agent in an unknown mode \`${cleanText(mode, 40)}\`.`;
}

const DATA_WORDS: Readonly<Record<string, string>> = { identity_document: 'identity document', birth_date: 'birth date' };

/**
 * An approval request, rendered only from the approval's structured fields (never vendor prose):
 * vendor, items, all-in total, the data that would be shared, flags and the policy's reasons.
 */
export function renderApproval(a: Approval, style: Style): string {
  const s = a.summary;
  const what = a.kind === 'order' ? 'an order' : a.kind.replace(/_/g, ' ');
  const vendor = s.vendorName ? `${cleanText(s.vendorName, 200)}${s.vendor ? ` (${cleanText(s.vendor, 256)})` : ''}` : s.vendor ? cleanText(s.vendor, 256) : undefined;
  const lines = [style.bold(`Your approval is needed for ${what}${vendor ? ` from ${vendor}` : ''}`) + style.dim(`  [${a.approvalId}]`)];
  if (s.items.length > 0) {
    lines.push('  items:');
    for (const item of s.items) lines.push(`    ${item.quantity} × ${cleanText(item.name, 200)}  ${formatMoney(item.lineTotal)}`);
  }
  if (s.total) lines.push(`  all-in total: ${style.bold(formatMoney(s.total))}`);
  lines.push(`  data to share: ${s.dataToShare.length > 0 ? s.dataToShare.map((d) => DATA_WORDS[d] ?? d).join(', ') : 'none'}`);
  if (s.flags.length > 0) {
    lines.push('  flags:');
    for (const f of s.flags) lines.push(`    ${f.severity === 'info' ? '·' : '!'} ${f.kind.replace(/_/g, ' ')} (${f.severity}): ${cleanText(f.summary, 500)}`);
  } else {
    lines.push('  flags: none');
  }
  if (s.reasons.length > 0) {
    lines.push('  why you are asked:');
    for (const r of s.reasons) lines.push(`    - ${cleanText(r, 1000)}`);
  }
  lines.push(style.dim(`  policy ${cleanText(a.policyVersion, 128)}; expires ${a.expiresAt}; status ${a.status}`));
  return lines.join('\n');
}

/** What the broker did with an answered approval (or any order request). */
export function renderOutcome(outcome: Record<string, unknown>): string {
  const status = typeof outcome.status === 'string' ? outcome.status : 'unknown';
  const reasons = Array.isArray(outcome.reasons) ? outcome.reasons.map((r) => cleanText(r, 1000)).filter(Boolean) : [];
  const remedies = Array.isArray(outcome.remedies) ? outcome.remedies.map((r) => cleanText(r, 1000)).filter(Boolean) : [];
  const because = reasons.length > 0 ? `: ${reasons.join('; ')}` : '';
  switch (status) {
    case 'ordered':
      return `Ordered${typeof outcome.orderId === 'string' ? ` (${cleanText(outcome.orderId, 100)})` : ''}${because}.`;
    case 'needs_approval':
      return `Still waiting for an approval${because}.`;
    case 'denied':
    case 'failed':
      return `Not ordered (${status})${because}.${remedies.length > 0 ? ` To change that: ${remedies.join('; ')}.` : ''}`;
    default:
      return `The broker answered \`${cleanText(status, 40)}\`${because}.`;
  }
}
