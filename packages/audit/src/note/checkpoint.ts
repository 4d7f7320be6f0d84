import { AuditError } from '../errors.ts';
import { HASH_SIZE } from '../merkle/hash.ts';
import { openNote, signNote } from './signed-note.ts';
import type { NoteSigner, NoteVerifier } from './keys.ts';

/** A log checkpoint: which log, how many leaves, and the root over them. */
export interface Checkpoint {
  /** The log's origin line, e.g. `steward.local/audit/3f2a…`. */
  origin: string;
  size: number;
  root: Buffer;
}

/**
 * The checkpoint body: origin, decimal size and base64 root, one per line.
 * @see https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md
 */
export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin.length === 0 || /[\n\r]/.test(cp.origin)) {
    throw new AuditError('ERR_AUDIT_CHECKPOINT_INVALID', 'checkpoint origin must be one non-empty line');
  }
  return `${cp.origin}\n${cp.size}\n${cp.root.toString('base64')}\n`;
}

/** Parses a checkpoint body (signature lines already removed). Extension lines are refused. */
export function parseCheckpoint(text: string): Checkpoint {
  const bad = (reason: string): never => {
    throw new AuditError('ERR_AUDIT_CHECKPOINT_INVALID', `checkpoint is malformed: ${reason}`, {
      details: { reason },
    });
  };
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[3] !== '') bad('want exactly origin, size and root lines');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) bad('empty origin');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    bad('size is not a decimal integer');
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText)
    bad('root is not 32 bytes of base64');
  return { origin, size: Number(sizeText), root };
}

/** Signs a checkpoint as a C2SP signed note. */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), signer);
}

/**
 * Verifies a signed checkpoint note with the broker's key (and any others given) and parses it.
 * Throws `ERR_AUDIT_SIGNATURE_INVALID`, `ERR_AUDIT_NOTE_MALFORMED` or `ERR_AUDIT_CHECKPOINT_INVALID`.
 */
export function verifyCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  expectedOrigin?: string,
): Checkpoint & { verifiedBy: string[] } {
  const { text, verifiedBy } = openNote(note, verifiers);
  const cp = parseCheckpoint(text);
  if (expectedOrigin !== undefined && cp.origin !== expectedOrigin) {
    throw new AuditError(
      'ERR_AUDIT_CHECKPOINT_INVALID',
      `checkpoint is for log \`${cp.origin}\`, want \`${expectedOrigin}\``,
      {
        details: { origin: cp.origin, expected: expectedOrigin },
      },
    );
  }
  return { ...cp, verifiedBy };
}
