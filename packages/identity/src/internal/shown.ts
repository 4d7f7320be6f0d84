/**
 * A value chosen by a signer (a header or claim), made safe to quote in an error that reaches the
 * person, the log and the audit trail: control, format and unassigned characters and backticks
 * become `?`, and at most `max` characters are kept. Errors must never echo vendor text unbounded.
 */
export function shown(value: unknown, max = 80): string {
  const text = String(value).slice(0, max + 1).replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}`]/gu, '?');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
