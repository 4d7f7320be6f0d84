import { isMap, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';

/** Finds the source position of `path` in a YAML document: the deepest node that exists. */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  key?: string,
): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (!node || typeof node !== 'object' || !('range' in node) || !node.range) continue;
    let offset = node.range[0];
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (keyRange) offset = keyRange[0];
    } else if (n < path.length && isMap(node)) {
      // The value is missing: point at the map that should hold it.
    }
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }
  return { line: 1, col: 1 };
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  keyType?: z.ZodType;
  in?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object keys a schema allows at `path`, for "did you mean" hints. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType[] = [schema];
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable') && d.innerType)
      return unwrap(d.innerType);
    if (d.type === 'pipe' && d.in) return unwrap(d.in);
    if (d.type === 'union' && d.options) return d.options.flatMap(unwrap);
    return [s];
  };
  for (const step of [...path, null]) {
    const flat = current.flatMap(unwrap);
    if (step === null) {
      const keys = new Set<string>();
      for (const s of flat) {
        const d = defOf(s);
        if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
        if (d.type === 'record' && d.keyType) {
          const kd = defOf(d.keyType) as Def & { entries?: Record<string, string> };
          if (kd.entries) for (const k of Object.keys(kd.entries)) keys.add(k);
        }
      }
      return [...keys];
    }
    const next: z.ZodType[] = [];
    for (const s of flat) {
      const d = defOf(s);
      if (d.type === 'object' && d.shape && typeof step === 'string' && d.shape[step])
        next.push(d.shape[step]);
      if (d.type === 'array' && d.element && typeof step === 'number') next.push(d.element);
      if (d.type === 'record' && d.valueType) next.push(d.valueType);
    }
    current = next;
  }
  return [];
}

/** The closest candidate to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
