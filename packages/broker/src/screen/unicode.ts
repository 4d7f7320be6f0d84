import { BrokerError } from '../errors.ts';

// Format (Cf), private-use (Co) and unassigned (Cn) code points, and C0/C1 controls other than
// tab and newline. Cf covers the tag block U+E0000–E007F, bidi controls and zero-width characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\p{Cf}\p{Co}\p{Cn}]|[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/gu;
// The one allowed exception: ZERO WIDTH JOINER between two pictographs (family and profession emoji).
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;

const PRINTABLE_ASCII = /^[\t\n\x20-\x7E]*$/;

/** A forbidden code point found in vendor text. */
export interface ForbiddenChar {
  codePoint: string;
  index: number;
}

/** Lists the forbidden code points of `text` (at most 10), allowing ZWJ inside emoji. */
export function findForbiddenChars(text: string): ForbiddenChar[] {
  const allowed = new Set<number>();
  for (const m of text.matchAll(EMOJI_ZWJ)) allowed.add(m.index);
  const found: ForbiddenChar[] = [];
  for (const m of text.matchAll(FORBIDDEN)) {
    if (allowed.has(m.index)) continue;
    found.push({ codePoint: `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, index: m.index });
    if (found.length >= 10) break;
  }
  return found;
}

/**
 * Normalises vendor text to NFKC and refuses invisible, bidi, tag and other format characters
 * (THREATS #3). `field` names where the text came from, for the error.
 */
export function normaliseVendorText(text: string, field: string): string {
  // Printable ASCII (with tab and newline) is its own NFKC form and holds no forbidden code point.
  if (PRINTABLE_ASCII.test(text)) return text;
  const normalised = text.normalize('NFKC');
  const forbidden = findForbiddenChars(normalised);
  if (forbidden.length > 0) {
    throw new BrokerError(
      'ERR_VENDOR_TEXT_FORBIDDEN_CHARS',
      `vendor text in \`${field}\` carries invisible or control characters (${forbidden.map((f) => f.codePoint).join(', ')})`,
      { details: { field, codePoints: forbidden.map((f) => f.codePoint) } },
    );
  }
  return normalised;
}
