import { createHash } from 'node:crypto';
import { canonicalizeAgentCard } from '@a2a-js/sdk';
import canonicalize from 'canonicalize';
import { IdentityError } from '../errors.ts';

/** Which canonical form a card signature verified over. */
export type CardForm = 'spec' | 'sdk';

/**
 * RFC 8785 JSON Canonicalization Scheme. Throws on NaN, Infinity and lone surrogates.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new IdentityError('ERR_CARD_INVALID', 'value cannot be canonicalised (RFC 8785)', { cause });
  }
  if (text === undefined) throw new IdentityError('ERR_CARD_INVALID', 'value cannot be canonicalised (RFC 8785)');
  return text;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean => (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/** Non-REQUIRED repeated and map fields of the card, dropped when empty (A2A §8.4.1). */
const OPTIONAL_REPEATED_TOP = ['additionalInterfaces', 'security', 'securitySchemes', 'securityRequirements', 'supportedInterfaces'];
const OPTIONAL_REPEATED_CAPABILITIES = ['extensions'];
const OPTIONAL_REPEATED_SKILL = ['examples', 'inputModes', 'outputModes', 'security', 'securityRequirements'];

function dropEmpty(obj: Json, names: readonly string[]): Json {
  const out: Json = { ...obj };
  for (const n of names) if (n in out && isEmpty(out[n])) delete out[n];
  return out;
}

/**
 * The card in the A2A specification's canonical form, before JCS: `signatures` removed;
 * REQUIRED fields kept even when empty; optional scalars kept when set (even `false`);
 * non-REQUIRED repeated fields and maps omitted when empty.
 * @see https://a2a-protocol.org/latest/specification/#841-canonicalization-requirements
 */
export function specCardObject(card: Readonly<Json>): Json {
  const { signatures: _signatures, ...rest } = card;
  let out = dropEmpty(rest, OPTIONAL_REPEATED_TOP);
  if (isObject(out.capabilities)) out = { ...out, capabilities: dropEmpty(out.capabilities, OPTIONAL_REPEATED_CAPABILITIES) };
  if (Array.isArray(out.skills)) out = { ...out, skills: (out.skills as unknown[]).map((s) => (isObject(s) ? dropEmpty(s, OPTIONAL_REPEATED_SKILL) : s)) };
  return out;
}

/** The spec-form canonical text of a card (RFC 8785 over {@link specCardObject}). */
export function canonicalCardSpec(card: Readonly<Json>): string {
  return canonicalJson(specCardObject(card));
}

/**
 * The canonical text @a2a-js/sdk 1.3.0 signs: its own function, so the form is reproduced
 * exactly (it maps the card through the v1.0 proto shape and drops every empty value,
 * REQUIRED or not).
 * @see https://github.com/a2aproject/A2A/issues/2122
 */
export function canonicalCardSdk(card: Readonly<Json>): string {
  return canonicalizeAgentCard(card as unknown as Parameters<typeof canonicalizeAgentCard>[0]);
}

/** SHA-256 (base64url) of the spec-form canonical card: what the trust store pins and compares for drift. */
export function cardHash(card: Readonly<Json>): string {
  return createHash('sha256').update(canonicalCardSpec(card), 'utf8').digest('base64url');
}

/** Drops empty strings, arrays and objects recursively, as the SDK does before signing. */
function cleanEmpty(v: unknown): unknown {
  if (v === '' || v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const list = v.map(cleanEmpty).filter((x) => x !== undefined);
    return list.length > 0 ? list : undefined;
  }
  if (isObject(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const c = cleanEmpty(x);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return v;
}

function collectUncovered(original: unknown, signed: unknown, path: string, out: string[]): void {
  if (original === false && signed === undefined) return; // a dropped `false` is the proto default: same meaning
  if (isObject(original)) {
    if (!isObject(signed)) {
      out.push(path || '(root)');
      return;
    }
    for (const [k, v] of Object.entries(original)) collectUncovered(v, signed[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(original)) {
    if (!Array.isArray(signed) || signed.length !== original.length) {
      out.push(path);
      return;
    }
    original.forEach((v, i) => collectUncovered(v, signed[i], `${path}[${i}]`, out));
    return;
  }
  if (original !== signed) out.push(path);
}

/**
 * The fields of a card that an SDK-form signature does not cover: values the SDK's proto
 * mapping drops (fields the v1.0 proto does not know, such as `url`) or rewrites. Empty values
 * and `false` defaults are not counted: both forms agree they carry nothing.
 */
export function sdkUncoveredFields(card: Readonly<Json>): string[] {
  const { signatures: _signatures, ...rest } = card;
  const original = cleanEmpty(rest) ?? {};
  const signed: unknown = JSON.parse(canonicalCardSdk(card));
  const out: string[] = [];
  collectUncovered(original, signed, '', out);
  return out;
}
