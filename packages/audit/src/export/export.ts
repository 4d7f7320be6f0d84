import canonicalize from 'canonicalize';
import { AuditEvent } from '@steward/protocol';
import { AuditError } from '../errors.ts';
import type { AuditLog } from '../log/audit-log.ts';
import { Frontier } from '../merkle/frontier.ts';
import { hashLeaf } from '../merkle/hash.ts';
import { verifyConsistency } from '../merkle/verify.ts';
import { verifyCheckpoint } from '../note/checkpoint.ts';
import type { KeyObject } from 'node:crypto';
import { parseVerifierKey, toVerifier, type NoteVerifier } from '../note/keys.ts';
import { parseNote } from '../note/signed-note.ts';

/** The export format identifier written in the header line. */
export const EXPORT_FORMAT = 'steward-audit-export/1';

/** What an export claims to prove. */
export type ExportClaim = 'broker-signed' | 'witnessed';

/** The first line of an export. */
export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  origin: string;
  treeSize: number;
  /** base64 root at treeSize. */
  root: string;
  /** The broker's signed checkpoint at treeSize. */
  checkpoint: string;
  /** The broker's verifier key as the log knows it (informational: verify with a key you trust). */
  verifierKey: string;
  /** `broker-signed`, or `witnessed` when a checkpoint cosigned by the person's device is included. */
  proves: ExportClaim;
  /** A sentence saying what the claim means. */
  statement: string;
  /** The person's witness checkpoint (size ≤ treeSize), cosigned by the device, and its key. */
  witness?: { checkpoint: string; witnessKey: string; size: number };
  exportedAt: string;
}

const STATEMENTS: Record<ExportClaim, string> = {
  'broker-signed':
    'The broker key signed a checkpoint over exactly these events. This proves they were not changed after that signature; it does not prove the broker never signed a different history.',
  witnessed:
    "The broker key signed a checkpoint over exactly these events, and the person's own device cosigned an earlier or equal checkpoint that these events extend: the events up to the witnessed size cannot have been rewritten since the device saw them without the device's memory showing it.",
};

/** Options of {@link exportLog}. */
export interface ExportOptions {
  /** A checkpoint cosigned by the person's witness, to include when it is consistent. */
  witness?: { checkpoint: string; witnessKey: string };
  /** Time of export (ISO); default now. */
  exportedAt?: string;
}

/**
 * Writes the log up to its newest signed checkpoint as JSON Lines: a header, one line per event
 * (its canonical bytes verbatim), and an end line. Streams rows, so memory stays flat.
 * Throws `ERR_AUDIT_NO_CHECKPOINT` when nothing is signed yet.
 */
export function exportLog(
  log: AuditLog,
  write: (chunk: string) => void,
  options: ExportOptions = {},
): ExportHeader {
  log.flush();
  const cp = log.latestCheckpoint();
  if (!cp) throw new AuditError('ERR_AUDIT_NO_CHECKPOINT', 'nothing to export: no signed checkpoint yet');
  let witness: ExportHeader['witness'];
  if (options.witness) {
    const wv = parseVerifierKey(options.witness.witnessKey);
    const bv = parseVerifierKey(cp.verifierKey);
    const w = verifyCheckpoint(options.witness.checkpoint, [wv], log.origin);
    verifyCheckpoint(options.witness.checkpoint, [bv], log.origin);
    if (!w.verifiedBy.includes(wv.name) || w.size > cp.size) {
      throw new AuditError(
        'ERR_AUDIT_EXPORT_INVALID',
        'the witness checkpoint is not cosigned or is ahead of the log',
      );
    }
    try {
      const proof =
        w.size > 0 ? log.consistencyProof(w.size, cp.size).map((h) => Buffer.from(h, 'base64')) : [];
      if (w.size > 0) verifyConsistency(w.size, cp.size, proof, w.root, Buffer.from(cp.root, 'base64'));
    } catch (cause) {
      throw new AuditError(
        'ERR_AUDIT_HISTORY_REWRITTEN',
        `the log does not extend the checkpoint of ${w.size} events the witness saw`,
        {
          cause,
          details: { witnessSize: w.size, size: cp.size },
        },
      );
    }
    witness = {
      checkpoint: options.witness.checkpoint,
      witnessKey: options.witness.witnessKey,
      size: w.size,
    };
  }
  const proves: ExportClaim = witness ? 'witnessed' : 'broker-signed';
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    origin: log.origin,
    treeSize: cp.size,
    root: cp.root,
    checkpoint: cp.note,
    verifierKey: cp.verifierKey,
    proves,
    statement: STATEMENTS[proves],
    ...(witness ? { witness } : {}),
    exportedAt: options.exportedAt ?? new Date().toISOString(),
  };
  write(`${JSON.stringify(header)}\n`);
  const db = log.store.db;
  // A full scan gains nothing from a large page cache; keep it small so memory stays flat.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -2000');
  let buf = '';
  try {
    const rows = db
      .prepare('SELECT idx, event FROM audit_leaves WHERE idx < ? ORDER BY idx')
      .raw()
      .iterate(cp.size) as Iterable<[number, Buffer]>;
    for (const [idx, event] of rows) {
      // The stored bytes are the canonical JSON the leaf commits to; written verbatim.
      buf += `{"index":${idx},"event":${event.toString('utf8')}}\n`;
      if (buf.length > 1 << 16) {
        write(buf);
        buf = '';
      }
    }
  } finally {
    db.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
  }
  write(`${buf}{"end":true,"count":${cp.size}}\n`);
  return header;
}

/** The outcome of verifying an export. */
export interface ExportReport {
  ok: boolean;
  origin?: string;
  treeSize?: number;
  /** What the export claimed. */
  claimed?: ExportClaim;
  /** What was actually established with the keys given. */
  proven: ExportClaim | 'nothing';
  eventsChecked: number;
  /** Set when the witness part could not be checked because no witness key was given. */
  note?: string;
  problem?: { index?: number; line: number; message: string };
}

/**
 * Verifies an export line by line with nothing but the broker's public key (and, for the
 * witnessed claim, the witness's): recomputes every leaf from the canonical event, the root at
 * the witnessed size and at the end, and checks the signatures. Feed lines with {@link push}.
 */
export class ExportVerifier {
  readonly #keyInput: NoteVerifier | KeyObject;
  readonly #witnessInput: NoteVerifier | KeyObject | undefined;
  #key!: NoteVerifier;
  #witnessKey: NoteVerifier | undefined;
  #line = 0;
  #header: ExportHeader | undefined;
  #checkpointRoot: Buffer | undefined;
  #witnessRoot: Buffer | undefined;
  #witnessChecked = false;
  readonly #frontier = new Frontier();
  #ended = false;
  #problem: ExportReport['problem'];

  /** Keys as verifier keys (name bound) or bare Ed25519 public keys (name taken from the note). */
  constructor(key: NoteVerifier | KeyObject, witnessKey?: NoteVerifier | KeyObject) {
    this.#keyInput = key;
    this.#witnessInput = witnessKey;
  }

  /** Feeds one line (without its newline). Returns false once a problem was found. */
  push(line: string): boolean {
    if (this.#problem) return false;
    this.#line++;
    if (line.length === 0) return true;
    try {
      this.#take(line);
    } catch (error) {
      this.#problem = {
        line: this.#line,
        ...(this.#header && !this.#ended ? { index: this.#frontier.size } : {}),
        message: error instanceof Error ? error.message : String(error),
      };
      return false;
    }
    return true;
  }

  /** Ends the input and reports. */
  finish(): ExportReport {
    const h = this.#header;
    const base = {
      origin: h?.origin,
      treeSize: h?.treeSize,
      claimed: h?.proves,
      eventsChecked: this.#frontier.size,
    };
    if (!this.#problem && !this.#ended) {
      this.#problem = {
        line: this.#line,
        index: this.#frontier.size,
        message: 'the export ends early: the end line is missing',
      };
    }
    if (this.#problem) return { ...clean(base), ok: false, proven: 'nothing', problem: this.#problem };
    const witnessed = h?.witness !== undefined && this.#witnessChecked;
    return {
      ...clean(base),
      ok: true,
      proven: witnessed ? 'witnessed' : 'broker-signed',
      ...(h?.witness && !this.#witnessKey
        ? { note: 'the witness cosignature was not checked: no witness key was given' }
        : {}),
    };
  }

  #take(line: string): void {
    if (line.length > 2_000_000) throw new Error('line is too long');
    const value = JSON.parse(line) as Record<string, unknown>;
    if (!this.#header) return this.#takeHeader(value);
    if (this.#ended) throw new Error('data after the end line');
    if (value.end === true) {
      if (value.count !== this.#header.treeSize || this.#frontier.size !== this.#header.treeSize) {
        throw new Error(
          `the export holds ${this.#frontier.size} events, the checkpoint covers ${this.#header.treeSize}`,
        );
      }
      if (!this.#frontier.root().equals(this.#checkpointRoot!)) {
        throw new Error(
          'the events do not hash to the signed checkpoint root: an event was changed, added, removed or reordered',
        );
      }
      this.#ended = true;
      return;
    }
    const expected = this.#frontier.size;
    if (value.index !== expected)
      throw new Error(`expected event ${expected}, found index \`${String(value.index)}\``);
    if (expected >= this.#header.treeSize) throw new Error('more events than the checkpoint covers');
    const parsed = AuditEvent.safeParse(value.event);
    if (!parsed.success) throw new Error(`event ${expected} does not match the audit event schema`);
    const text = canonicalize(value.event);
    if (text === undefined) throw new Error(`event ${expected} cannot be canonicalized`);
    this.#frontier.append(hashLeaf(Buffer.from(text, 'utf8')));
    if (this.#witnessRoot && this.#frontier.size === this.#header.witness?.size) {
      if (!this.#frontier.root().equals(this.#witnessRoot))
        throw new Error(`the first ${this.#frontier.size} events differ from what the witness saw`);
    }
  }

  #takeHeader(value: Record<string, unknown>): void {
    if (value.format !== EXPORT_FORMAT) throw new Error(`not a \`${EXPORT_FORMAT}\` export`);
    const h = value as unknown as ExportHeader;
    this.#key = resolveVerifier(this.#keyInput, String(h.checkpoint));
    if (this.#witnessInput && h.witness)
      this.#witnessKey = resolveVerifier(this.#witnessInput, String(h.witness.checkpoint), this.#key.name);
    const cp = verifyCheckpoint(String(h.checkpoint), [this.#key]);
    if (cp.origin !== h.origin || cp.size !== h.treeSize)
      throw new Error('the header does not match its signed checkpoint');
    this.#checkpointRoot = cp.root;
    if (h.witness) {
      const verifiers = this.#witnessKey ? [this.#witnessKey] : [this.#key];
      const w = verifyCheckpoint(String(h.witness.checkpoint), verifiers, cp.origin);
      verifyCheckpoint(String(h.witness.checkpoint), [this.#key], cp.origin);
      if (w.size !== h.witness.size || w.size > cp.size)
        throw new Error('the witness checkpoint does not fit the export');
      this.#witnessRoot = w.root;
      this.#witnessChecked = this.#witnessKey !== undefined;
      if (w.size === 0 && !w.root.equals(new Frontier().root()))
        throw new Error('the witness checkpoint of size 0 has a wrong root');
    } else if (h.proves === 'witnessed') {
      throw new Error('the export claims to be witnessed but carries no witness checkpoint');
    }
    this.#header = h;
  }
}

/**
 * A bare public key carries no name; the signed-note key ID binds name and key, so the name is
 * taken from the signature line whose ID matches this key.
 */
function resolveVerifier(input: NoteVerifier | KeyObject, note: string, notName?: string): NoteVerifier {
  if ('keyId' in input) return input;
  for (const s of parseNote(note).signatures) {
    if (s.name === notName) continue;
    const v = toVerifier(s.name, input);
    if (v.keyId.equals(s.keyId)) return v;
  }
  throw new Error('no signature line in the note belongs to the given key');
}

function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Verifies a whole export given as lines (sync or async iterable). */
export async function verifyExport(
  lines: Iterable<string> | AsyncIterable<string>,
  key: NoteVerifier | KeyObject,
  witnessKey?: NoteVerifier | KeyObject,
): Promise<ExportReport> {
  const v = new ExportVerifier(key, witnessKey);
  for await (const line of lines) if (!v.push(line)) break;
  return v.finish();
}
