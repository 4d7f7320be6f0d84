import { createHash, randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AuditEvent, parseStrict, type AuditEventType } from '@steward/protocol';
import { AuditError } from '../errors.ts';
import { hashLeaf } from '../merkle/hash.ts';

/**
 * Event types that commit the person to something or change what the broker trusts. They are
 * written with `synchronous=FULL` at once instead of waiting for a group commit.
 */
export function isCommitmentType(type: AuditEventType): boolean {
  return (
    type === 'order.signed' ||
    type === 'vendor.revoked' ||
    type.startsWith('approval.') ||
    type.startsWith('policy.') ||
    type.startsWith('key.')
  );
}

/**
 * Parses an event strictly and returns it with its RFC 8785 canonical UTF-8 bytes: the exact
 * bytes a leaf commits to. Throws `ERR_SCHEMA_INVALID` for anything the schema refuses.
 * @see RFC 8785
 */
export function canonicalEvent(event: unknown): { event: AuditEvent; bytes: Buffer } {
  const parsed = parseStrict(AuditEvent, event, 'audit event');
  const text = canonicalize(parsed);
  if (text === undefined)
    throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'audit event cannot be canonicalized');
  return { event: parsed, bytes: Buffer.from(text, 'utf8') };
}

/**
 * The leaf hash of an event: SHA-256(0x00 ‖ canonical event).
 * @see RFC 9162 §2.1.1, RFC 8785
 */
export function eventLeafHash(event: unknown): Buffer {
  return hashLeaf(canonicalEvent(event).bytes);
}

/** Length of a payload salt in bytes. */
export const SALT_BYTES = 32;

/**
 * The salted commitment to a personal payload: base64url(SHA-256(salt ‖ canonical payload)).
 * The salt keeps a guessable payload (a phone number) from being found by hashing candidates.
 */
export function payloadCommitment(salt: Uint8Array, payload: unknown): string {
  const text = canonicalize(payload);
  if (text === undefined)
    throw new AuditError('ERR_AUDIT_PAYLOAD_CONFLICT', 'payload cannot be canonicalized');
  return createHash('sha256').update(salt).update(text, 'utf8').digest('base64url');
}

/** A fresh random salt for {@link payloadCommitment}. */
export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES);
}

/** The text indexed for search: the summary and every string under `data.reason(s)`/`data.*`. */
export function searchText(event: AuditEvent): { summary: string; reasons: string } {
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (out.length > 200 || depth > 6) return;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(event.data ?? {}, 0);
  return { summary: event.summary, reasons: out.join('\n').slice(0, 20_000) };
}
