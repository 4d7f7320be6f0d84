import { sign, verify } from 'node:crypto';
import { AuditError } from '../errors.ts';
import { assertKeyName, noteKeyId, type NoteSigner, type NoteVerifier } from './keys.ts';

/** One signature line of a note. */
export interface NoteSignature {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

/** A note split into its signed text and its signature lines. */
export interface ParsedNote {
  /** The signed text, ending with a newline. */
  text: string;
  signatures: NoteSignature[];
}

const MAX_NOTE_BYTES = 1_000_000;
const MAX_SIGNATURES = 100;

function malformed(reason: string): never {
  throw new AuditError('ERR_AUDIT_NOTE_MALFORMED', `signed note is malformed: ${reason}`, {
    details: { reason },
  });
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) malformed('text does not end with a newline');
  // Control characters other than newline are forbidden in the note text.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) malformed('text contains a control character');
  }
}

/**
 * Splits a signed note into text and signature lines. Strict: the text ends with a newline, a
 * blank line separates it from at least one `— name base64` line, and nothing else follows.
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export function parseNote(note: string): ParsedNote {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) malformed('note is too large');
  if (!note.endsWith('\n')) malformed('note does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  checkText(text);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) malformed('too many signatures');
  const signatures = lines.map((line): NoteSignature => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m) malformed('a signature line is not `— name base64`');
    const name = m[1]!;
    const blob = Buffer.from(m[2]!, 'base64');
    if (blob.toString('base64') !== m[2] || blob.length < 5)
      malformed(`signature of \`${name}\` is not valid base64`);
    return { name, keyId: blob.subarray(0, 4), signature: blob.subarray(4) };
  });
  return { text, signatures };
}

/** The signature line of `signer` over `text` (text must end with a newline). */
export function signatureLine(text: string, signer: NoteSigner, keyId: Buffer): string {
  const sig = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `\u2014 ${signer.name} ${Buffer.concat([keyId, sig]).toString('base64')}\n`;
}

/**
 * Signs `text` as a note: text, a blank line, then the Ed25519 signature line.
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export function signNote(text: string, signer: NoteSigner): string {
  assertKeyName(signer.name);
  checkText(text);
  return `${text}\n${signatureLine(text, signer, noteKeyId(signer.name, signer.privateKey))}`;
}

/** Adds another signer's line to an already signed note (a cosignature by a witness). */
export function cosignNote(note: string, signer: NoteSigner): string {
  assertKeyName(signer.name);
  const { text } = parseNote(note);
  return `${note}${signatureLine(text, signer, noteKeyId(signer.name, signer.privateKey))}`;
}

/**
 * Verifies a note against known keys. Lines of unknown keys are ignored; a line of a known key
 * that does not verify, or no verified line at all, throws `ERR_AUDIT_SIGNATURE_INVALID`.
 * Returns the text and the names that verified.
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; verifiedBy: string[] } {
  const { text, signatures } = parseNote(note);
  const verifiedBy: string[] = [];
  for (const s of signatures) {
    const v = verifiers.find((k) => k.name === s.name && k.keyId.equals(s.keyId));
    if (!v) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), v.publicKey, s.signature)) {
      throw new AuditError('ERR_AUDIT_SIGNATURE_INVALID', `signature of \`${s.name}\` does not verify`, {
        details: { name: s.name },
      });
    }
    if (!verifiedBy.includes(s.name)) verifiedBy.push(s.name);
  }
  if (verifiedBy.length === 0) {
    throw new AuditError(
      'ERR_AUDIT_SIGNATURE_INVALID',
      `note carries no signature by \`${verifiers.map((v) => v.name).join('`, `')}\``,
      {
        details: { names: verifiers.map((v) => v.name) },
      },
    );
  }
  return { text, verifiedBy };
}
