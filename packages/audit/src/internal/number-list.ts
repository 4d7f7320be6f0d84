/**
 * Readers for the comma-separated integer lists SQLite's `group_concat` returns, parsed in place
 * without splitting the string (a page of a few thousand numbers costs a few microseconds).
 */

/** True when `text` is exactly `from,from+1,…,from+count-1` (non-negative integers). */
export function isRun(text: string, from: number, count: number): boolean {
  const n = text.length;
  let at = 0;
  for (let k = 0; k < count; k++) {
    if (at >= n) return false;
    let value = 0;
    let digits = 0;
    for (; at < n; at++) {
      const c = text.charCodeAt(at) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
    }
    // SQLite writes integers without leading zeros; anything else is not its output.
    if (digits === 0 || value !== from + k || (digits > 1 && text.charCodeAt(at - digits) === 48))
      return false;
    if (at < n) {
      if (text.charCodeAt(at) !== 44 || k === count - 1) return false;
      at++;
    }
  }
  return at === n;
}

/**
 * Parses non-negative integers separated by commas into `out`; returns how many were read, or -1
 * when the text holds anything else or more numbers than `out` has room for.
 */
export function readCounts(text: string, out: Int32Array): number {
  const n = text.length;
  if (n === 0) return 0;
  let at = 0;
  let count = 0;
  for (;;) {
    let value = 0;
    let digits = 0;
    for (; at < n; at++) {
      const c = text.charCodeAt(at) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      digits++;
    }
    if (digits === 0 || digits > 9 || count >= out.length) return -1;
    out[count++] = value;
    if (at === n) return count;
    if (text.charCodeAt(at) !== 44) return -1;
    at++;
  }
}
