/** One line of a line diff. */
export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/**
 * A line diff of two texts (longest common subsequence), for showing a draft policy against the
 * active one before applying. Quadratic, so it refuses texts above `maxLines` lines each.
 */
export function diffLines(before: string, after: string, maxLines = 4000): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > maxLines || b.length > maxLines) throw new RangeError(`texts above ${maxLines} lines are not diffed here`);
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..], in one flat array
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => lcs[i * (m + 1) + j]!;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      out.push({ op: '-', text: a[i++]! });
    } else {
      out.push({ op: '+', text: b[j++]! });
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}

/** Parses a unified diff (as `GET /api/policies/diff` sends it) into lines to colour. */
export function parseUnified(diff: string): DiffLine[] {
  return diff.split('\n').map((line) => {
    const c = line[0];
    if ((c === '+' && !line.startsWith('+++')) || (c === '-' && !line.startsWith('---'))) return { op: c, text: line.slice(1) };
    return { op: ' ', text: line };
  });
}

/** Keeps changed lines with `context` unchanged lines around them; elided runs become `…`. */
export function withContext(lines: readonly DiffLine[], context = 3): (DiffLine | null)[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: (DiffLine | null)[] = [];
  let skipped = false;
  lines.forEach((l, i) => {
    if (keep[i]) {
      out.push(l);
      skipped = false;
    } else if (!skipped) {
      out.push(null);
      skipped = true;
    }
  });
  return out;
}
