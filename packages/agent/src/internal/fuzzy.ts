/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions), bounded:
 * returns `max + 1` as soon as the distance must exceed `max`, so matching a word against a keyword
 * list stays cheap.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    rows.push(row);
    if (i > 0 && rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/**
 * How many typos a keyword tolerates: none for short words (so `tablet` never reads as `table`),
 * one for 7 letters, two from 8 letters up (`tommorow` → `tomorrow`, `resturant` → `restaurant`).
 */
export function typoBudget(keyword: string): number {
  if (keyword.length < 7) return 0;
  if (keyword.length === 7) return 1;
  return 2;
}

/** The keyword a word stands for, exact first, then the closest within its typo budget. */
export function matchKeyword(word: string, keywords: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (keywords.includes(w)) return w;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of keywords) {
    const budget = typoBudget(k);
    if (budget === 0 || w.length < 5) continue;
    const d = editDistance(w, k, budget);
    if (d <= budget && d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
