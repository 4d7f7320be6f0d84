import { createHash } from 'node:crypto';
import type { Flag, FlagKind } from '@steward/protocol';
import { BrokerError } from '../errors.ts';
import { normaliseVendorText } from './unicode.ts';
import {
  AUTHORITY_PATTERNS,
  ENCODED_PATTERNS,
  FRAMING_TOKENS,
  INSTRUCTION_PATTERNS,
  LINK_PATTERN,
  URGENCY_PATTERNS,
  firstMatch,
} from './phrases.ts';

/** The result of screening one vendor string. */
export interface ScreenedText {
  /** NFKC-normalised text, as stored and shown to the person (labelled as vendor text). */
  text: string;
  /** The text a model may see: links removed, capped; empty when quarantined. */
  modelText: string;
  /** SHA-256 (hex) of the raw UTF-8 bytes, kept for the audit log. */
  rawHash: string;
  /** True when the text addressed the assistant or carried a payload: never shown to a model. */
  quarantined: boolean;
  flags: Flag[];
}

const MODEL_TEXT_MAX = 200;

function flag(kind: FlagKind, field: string, match: string, vendor: string | undefined, summary: string): Flag {
  return {
    kind,
    severity: kind === 'instruction_like_text' ? 'warning' : 'info',
    summary,
    confidence: 0.7,
    ...(vendor ? { vendor } : {}),
    evidence: [],
    notes: [`field \`${field}\`: “${match.slice(0, 120)}”`],
  };
}

/**
 * Screens one string written by a vendor (THREATS #1–4, #8, #9, #13): refuses invisible and
 * framing characters, flags instruction-like, urgent, authority-claiming and encoded text, and
 * derives the link-free, capped text a model may see. Flags never gate anything; the policy does.
 */
export function screenVendorText(raw: string, field: string, vendor?: string): ScreenedText {
  const text = normaliseVendorText(raw, field);
  const framing = firstMatch(FRAMING_TOKENS, text);
  if (framing) {
    throw new BrokerError('ERR_VENDOR_TEXT_FRAMING', `vendor text in \`${field}\` imitates chat or tool framing (\`${framing[0].slice(0, 40)}\`)`, {
      details: { field, token: framing[0].slice(0, 40) },
    });
  }
  const flags: Flag[] = [];
  let quarantined = false;
  const instruction = firstMatch(INSTRUCTION_PATTERNS, text);
  if (instruction) {
    quarantined = true;
    flags.push(flag('instruction_like_text', field, instruction[0], vendor, 'vendor text addresses the assistant instead of describing the offer; it was hidden from the agent'));
  }
  const encoded = firstMatch(ENCODED_PATTERNS, text);
  if (encoded) {
    quarantined = true;
    flags.push(flag('instruction_like_text', field, encoded[0], vendor, 'vendor text carries an encoded blob; it was hidden from the agent'));
  }
  const urgency = firstMatch(URGENCY_PATTERNS, text);
  if (urgency) {
    flags.push(flag('urgency_language', field, urgency[0], vendor, 'vendor text pressures you to decide fast; only the signed expiry counts, and you keep your full approval time'));
  }
  const authority = firstMatch(AUTHORITY_PATTERNS, text);
  if (authority) {
    flags.push(flag('unverified_claim', field, authority[0], vendor, 'vendor claims an approval or endorsement that no issuer you trust has signed'));
  }
  const linkFree = text.replace(LINK_PATTERN, '[link removed]').replace(/\s+/g, ' ').trim();
  return {
    text,
    modelText: quarantined ? '' : linkFree.length > MODEL_TEXT_MAX ? `${linkFree.slice(0, MODEL_TEXT_MAX - 1)}…` : linkFree,
    rawHash: createHash('sha256').update(raw, 'utf8').digest('hex'),
    quarantined,
    flags,
  };
}
