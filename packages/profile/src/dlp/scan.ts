import type { DataClass } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import { canonicalEmail, datesIn, decodings, deobfuscateEmail, digitRuns, foldText, phoneCandidates, spelledDigits, tokens, type DigitRun } from '../internal/normalise.ts';

/** A personal value to look for, with its class and label (never reported back as a value). */
export interface SecretValue {
  dataClass: DataClass;
  label: string;
  value: string;
}

/** How a value was found. */
export type LeakMethod = 'digits' | 'email' | 'email-squashed' | 'tokens' | 'date' | 'code';

/** A profile value found in an outbound message: which one, how, and in which string(s). Never the value. */
export interface LeakFinding {
  dataClass: DataClass;
  label: string;
  method: LeakMethod;
  /** JSON paths of the strings the match spans (two or more when a value was split over fields). */
  paths: string[];
}

/** Limits of what the scanner reads; beyond them it refuses rather than pass unscanned text. */
export const DLP_LIMITS = { maxDepth: 64, maxStrings: 20_000, maxChars: 2_000_000 } as const;

/** Classes scanned by default. `preferences` is left out: low sensitivity and common words. */
export const DLP_DEFAULT_CLASSES: readonly DataClass[] = ['name', 'email', 'phone', 'address', 'payment', 'birth_date', 'health', 'location', 'identity_document'];

interface Piece {
  path: string;
  folded: string;
}

function unscannable(why: string): never {
  throw new ProfileError('ERR_PROFILE_DLP_UNSCANNABLE', `the outbound message cannot be screened: ${why}`, { details: { why } });
}

/**
 * The message's strings in document order, and its object keys apart: values are adjacent to each
 * other (so a value split over two fields joins up) and keys, which can carry data too, are
 * scanned as a stream of their own.
 */
function collect(message: unknown): { values: Piece[]; keys: Piece[] } {
  const pieces: Piece[] = [];
  const keys: Piece[] = [];
  let chars = 0;
  const seen = new WeakSet<object>();
  const push = (path: string, raw: string, into: Piece[] = pieces): void => {
    chars += raw.length;
    if (chars > DLP_LIMITS.maxChars) unscannable(`more than ${DLP_LIMITS.maxChars} characters`);
    into.push({ path, folded: foldText(raw) });
    for (const decoded of decodings(raw)) into.push({ path: `${path}(decoded)`, folded: foldText(decoded) });
    if (pieces.length + keys.length > DLP_LIMITS.maxStrings) unscannable(`more than ${DLP_LIMITS.maxStrings} strings`);
  };
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > DLP_LIMITS.maxDepth) unscannable(`nested deeper than ${DLP_LIMITS.maxDepth}`);
    if (typeof value === 'string') push(path, value);
    else if (typeof value === 'number' || typeof value === 'bigint') push(path, String(value));
    else if (value instanceof Uint8Array) push(path, Buffer.from(value).toString('utf8'));
    else if (value instanceof Date) push(path, Number.isNaN(value.getTime()) ? '' : value.toISOString());
    else if (value !== null && typeof value === 'object') {
      if (seen.has(value)) return;
      seen.add(value);
      // What JSON.stringify would send may differ from the object's own fields.
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') walk((toJSON as () => unknown).call(value), `${path}(toJSON)`, depth + 1);
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
      else if (value instanceof Map) {
        let i = 0;
        for (const [k, v] of value) {
          walk(k, `${path}<key ${i}>`, depth + 1);
          walk(v, `${path}<${i++}>`, depth + 1);
        }
      } else if (value instanceof Set) {
        let i = 0;
        for (const v of value) walk(v, `${path}<${i++}>`, depth + 1);
      } else {
        for (const [k, v] of Object.entries(value)) {
          push(`${path}{${k.slice(0, 40)}}`, k, keys);
          walk(v, `${path}.${k}`, depth + 1);
        }
      }
    }
  };
  walk(message, '$', 0);
  return { values: pieces, keys };
}

/** Contiguous occurrences of `needle` in `hay`, returning the index range of the first match. */
function findSequence(hay: readonly string[], needle: readonly string[]): number {
  if (needle.length === 0 || needle.length > hay.length) return -1;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Views of the pieces, each built on first use so a scan pays only for the classes it checks. */
class Streams {
  readonly pieces: Piece[];
  readonly emails: (string[] | undefined)[] = [];
  readonly dates: ([number, number, number][] | undefined)[] = [];
  #tokens: { toks: string[]; tokPiece: number[]; squash: string; squashStarts: number[]; squashPieces: number[] } | undefined;
  #runs: DigitRun[] | undefined;

  constructor(pieces: Piece[]) {
    this.pieces = pieces;
  }

  get runs(): DigitRun[] {
    return (this.#runs ??= digitRuns(this.pieces.map((p) => spelledDigits(p.folded))));
  }

  get tokens(): { toks: string[]; tokPiece: number[]; squash: string; squashStarts: number[]; squashPieces: number[] } {
    if (this.#tokens) return this.#tokens;
    const toks: string[] = [];
    const tokPiece: number[] = [];
    const parts: string[] = [];
    const squashStarts: number[] = [];
    const squashPieces: number[] = [];
    let offset = 0;
    this.pieces.forEach((p, i) => {
      for (const t of tokens(p.folded)) {
        toks.push(t);
        tokPiece.push(i);
        if (t === 'at' || t === 'dot') continue;
        parts.push(t);
        squashStarts.push(offset);
        squashPieces.push(i);
        offset += t.length;
      }
    });
    return (this.#tokens = { toks, tokPiece, squash: parts.join(''), squashStarts, squashPieces });
  }
}

function pathsOf(s: Streams, indices: Iterable<number>): string[] {
  return [...new Set([...indices].map((i) => s.pieces[i]?.path ?? '$'))];
}

function matchDigits(s: Streams, candidates: readonly string[]): string[] | undefined {
  for (const run of s.runs) {
    for (const c of candidates) {
      const at = run.digits.indexOf(c);
      if (at >= 0) return pathsOf(s, run.pieces.slice(at, at + c.length));
    }
  }
  return undefined;
}

function matchTokens(s: Streams, needle: readonly string[]): string[] | undefined {
  const { toks, tokPiece } = s.tokens;
  const at = findSequence(toks, needle);
  return at < 0 ? undefined : pathsOf(s, tokPiece.slice(at, at + needle.length));
}

function matchSquash(s: Streams, needle: string): string[] | undefined {
  const { squash, squashStarts, squashPieces } = s.tokens;
  const at = squash.indexOf(needle);
  if (at < 0) return undefined;
  const owners: number[] = [];
  squashStarts.forEach((start, k) => {
    const next = squashStarts[k + 1] ?? squash.length;
    if (next > at && start < at + needle.length) owners.push(squashPieces[k] ?? 0);
  });
  return pathsOf(s, owners);
}

const LOCAL_TAIL = /[\p{L}\p{N}._%+-]{1,64}$/u;
const DOMAIN_HEAD = /^[\p{L}\p{N}.-]{1,253}/u;

/**
 * Email-like strings around each `@`, read at most 64 characters left and 253 right, so that a long
 * string without an address costs linear time (an unanchored email regex would backtrack).
 */
function emailsAround(text: string): string[] {
  const out: string[] = [];
  for (let at = text.indexOf('@'); at >= 0 && out.length < 1000; at = text.indexOf('@', at + 1)) {
    const local = LOCAL_TAIL.exec(text.slice(Math.max(0, at - 64), at))?.[0];
    const domain = DOMAIN_HEAD.exec(text.slice(at + 1, at + 254))?.[0];
    if (local && domain && domain.includes('.')) out.push(`${local}@${domain}`);
  }
  return out;
}

function segments(value: string): string[][] {
  return foldText(value)
    .split(/[,;\n]+/)
    .map((seg) => tokens(seg))
    .filter((t) => t.length > 0);
}

function findOne(s: Streams, secret: SecretValue): { method: LeakMethod; paths: string[] } | undefined {
  const hit = (method: LeakMethod, paths: string[] | undefined) => (paths ? { method, paths } : undefined);
  switch (secret.dataClass) {
    case 'phone': {
      const candidates = phoneCandidates(secret.value);
      // Written backwards is still the number.
      return hit('digits', matchDigits(s, [...candidates, ...candidates.map((c) => [...c].reverse().join(''))]));
    }
    case 'payment': {
      const pans = [...secret.value.matchAll(/\d[\d\s-]{10,}\d/g)].map((m) => m[0].replace(/\D/g, '')).filter((d) => d.length >= 12);
      if (pans.length > 0) return hit('digits', matchDigits(s, pans));
      return undefined;
    }
    case 'email': {
      const canonical = canonicalEmail(secret.value);
      if (!canonical) return undefined;
      for (let i = 0; i < s.pieces.length; i++) {
        const folded = s.pieces[i]?.folded ?? '';
        // Only text with an `@` or an "at" can hold an address in the forms read here.
        const found = (s.emails[i] ??= folded.includes('@') || /\bat\b/.test(folded) ? emailsAround(deobfuscateEmail(folded)) : []);
        for (const candidate of found) {
          if (canonicalEmail(candidate) === canonical) return { method: 'email', paths: pathsOf(s, [i]) };
        }
      }
      const [local = '', domain = ''] = canonical.split('@');
      const squashed = tokens(local).join('') + tokens(domain).join('');
      if (tokens(local).join('').length >= 3) return hit('email-squashed', matchSquash(s, squashed));
      return undefined;
    }
    case 'birth_date': {
      const [y, m, d] = secret.value.split('-').map(Number) as [number, number, number];
      for (let i = 0; i < s.pieces.length; i++) {
        for (const [yy, mm, dd] of (s.dates[i] ??= datesIn(s.pieces[i]?.folded ?? ''))) {
          if (mm === m && dd === d && (yy === y || (yy < 100 && yy === y % 100))) return { method: 'date', paths: pathsOf(s, [i]) };
        }
      }
      return undefined;
    }
    case 'name': {
      const t = tokens(foldText(secret.value));
      if (t.length < 2) return undefined;
      return hit('tokens', matchTokens(s, t) ?? matchTokens(s, [...t.slice(1), t[0] ?? '']));
    }
    case 'address': {
      const segs = segments(secret.value);
      // Street lines: segments with a number and a real word, not the last (postcode, city) of several.
      const lines = segs.filter(
        (seg, i) =>
          (segs.length === 1 || i < segs.length - 1) &&
          seg.some((t) => /\d/.test(t)) &&
          (seg.length >= 3 || (seg.length === 2 && seg.some((t) => /^\p{L}{5,}$/u.test(t)))),
      );
      const all = segs.flat();
      const candidates = lines.length > 0 ? lines : all.length >= 3 ? [all] : [];
      for (const c of candidates) {
        const paths = matchTokens(s, c);
        if (paths) return { method: 'tokens', paths };
      }
      return undefined;
    }
    case 'identity_document':
    case 'location':
    case 'health':
    case 'preferences': {
      const code = tokens(foldText(secret.value)).join('');
      if (/\d/.test(code) && code.length >= 6) return hit('code', matchSquash(s, code));
      for (const seg of segments(secret.value)) {
        if (seg.length >= 2 || (seg[0]?.length ?? 0) >= 5) {
          const paths = matchTokens(s, seg);
          if (paths) return { method: 'tokens', paths };
        }
      }
      return undefined;
    }
  }
}

/**
 * Finds personal values in an outbound message: every string (keys, numbers and decoded forms
 * included) is folded (NFKC, invisible characters removed, case, diacritics) and checked per
 * class: phone and card numbers by digits across separators and adjacent fields, emails by
 * canonical form and common obfuscations, addresses and names by token sequences across adjacent
 * fields, dates in any common format. Secrets equal to an `allowed` value are not reported.
 * Pure: no I/O, no audit.
 * @see /work/shared/THREATS.md #12
 */
export function findLeaks(
  message: unknown,
  secrets: readonly SecretValue[],
  allowed: Iterable<string> = [],
  classes: readonly DataClass[] = DLP_DEFAULT_CLASSES,
): LeakFinding[] {
  const allowedFolded = new Set<string>();
  for (const a of allowed) if (typeof a === 'string') allowedFolded.add(foldText(a).trim());
  const todo = secrets.filter((x) => classes.includes(x.dataClass) && !allowedFolded.has(foldText(x.value).trim()));
  if (todo.length === 0) return [];
  const collected = collect(message);
  const streams = [new Streams(collected.values), new Streams(collected.keys)];
  const findings: LeakFinding[] = [];
  for (const secret of todo) {
    let found: ReturnType<typeof findOne>;
    for (const s of streams) {
      found = findOne(s, secret);
      if (found) break;
    }
    if (found) findings.push({ dataClass: secret.dataClass, label: secret.label, method: found.method, paths: found.paths });
  }
  return findings;
}
