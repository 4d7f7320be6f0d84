import { createRequire } from 'node:module';

// The UTS #39 confusables mapping (source code point → prototype), as shipped by `unhomoglyph`,
// which generates it from Unicode's confusables.txt. Never hand-typed.
const require = createRequire(import.meta.url);
const PROTOTYPES = new Map<string, string>(
  Object.entries(require('unhomoglyph/data.json') as Record<string, string>),
);

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The UTS #39 skeleton of a string: NFD, each code point replaced by its confusables prototype,
 * NFD again. Two strings are confusable when their skeletons are equal.
 * @see https://www.unicode.org/reports/tr39/#Confusable_Detection
 */
export function skeleton(input: string): string {
  // ASCII is its own NFD; skip both normalisations (most names and domains are ASCII).
  if (ASCII.test(input)) {
    let ascii = '';
    for (let i = 0; i < input.length; i++) {
      const ch = input[i]!;
      ascii += PROTOTYPES.get(ch) ?? ch;
    }
    return ASCII.test(ascii) ? ascii : ascii.normalize('NFD');
  }
  let out = '';
  for (const cp of input.normalize('NFD')) out += PROTOTYPES.get(cp) ?? cp;
  return out.normalize('NFD');
}

/**
 * A comparison key for vendor names: NFKC, skeleton, lowercase, skeleton again (so `Amaz0n`,
 * `AMAZON` and `Аmazon` with a Cyrillic А meet), then only letters and digits kept. An
 * extension of UTS #39 for case-insensitive, spacing-insensitive brand names.
 */
export function nameKey(input: string): string {
  const once = skeleton(ASCII.test(input) ? input : input.normalize('NFKC')).toLowerCase();
  return skeleton(once).replace(/[^\p{L}\p{N}]+/gu, '');
}

// Scripts a brand name may mix with Common/Inherited; resolved per UTS #39 §5.1 with Script_Extensions.
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Cherokee',
  'Ethiopic',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
] as const;
const SCRIPT_RE = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script_Extensions=${s}}`, 'u')] as const);
const COMMON_RE = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
// Japanese, Chinese and Korean writing mix these legitimately (UTS #39 augmented script sets).
const CJK = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul']);
const HIGHLY_RESTRICTIVE = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/**
 * The scripts of a string when it mixes scripts a single name should not (e.g. Latin and
 * Cyrillic), or an empty array when it is single-script. Common and Inherited characters
 * (digits, punctuation, combining marks) count for every script; Han with kana or Hangul is allowed.
 * @see https://www.unicode.org/reports/tr39/#Mixed_Script_Detection
 */
export function mixedScripts(input: string, options: { allowCjkLatin?: boolean } = {}): string[] {
  if (ASCII.test(input)) return []; // Latin and Common only
  let resolved: Set<string> | undefined;
  const seen = new Set<string>();
  for (const ch of input.normalize('NFKC')) {
    if (COMMON_RE.test(ch)) continue;
    const sets = new Set<string>();
    for (const [name, re] of SCRIPT_RE) if (re.test(ch)) sets.add(name);
    if (sets.size === 0) continue; // a script outside the list: not judged here
    for (const s of sets) seen.add(s);
    const widened = [...sets].some((s) => CJK.has(s)) ? new Set([...sets, ...CJK]) : sets;
    resolved = resolved === undefined ? widened : new Set([...resolved].filter((s) => widened.has(s)));
  }
  if (resolved === undefined || resolved.size > 0) return [];
  // UTS #39 "highly restrictive": Latin with Han and kana (Japanese), with Han and Bopomofo
  // (Chinese) or with Han and Hangul (Korean) is how names are written there, not a disguise.
  if (options.allowCjkLatin !== false && seen.has('Latin') && HIGHLY_RESTRICTIVE.some((allowed) => [...seen].every((s) => allowed.has(s)))) return [];
  return [...seen].sort();
}
