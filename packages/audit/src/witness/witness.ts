import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '@steward/protocol';
import { AuditError } from '../errors.ts';
import { verifyConsistency } from '../merkle/verify.ts';
import { verifyCheckpoint } from '../note/checkpoint.ts';
import { formatVerifierKey, parseVerifierKey, type NoteSigner } from '../note/keys.ts';
import { cosignNote } from '../note/signed-note.ts';

/** Where a witness keeps its memory: a file, browser localStorage, anything that holds a string. */
export interface WitnessStorage {
  read(): string | undefined;
  write(text: string): void;
}

/** What the witness remembers. */
export interface WitnessState {
  version: 1;
  origin: string;
  /** The broker key pinned on first sight (`name+id+key`). */
  verifierKey: string;
  size: number;
  /** base64 root at `size`. */
  root: string;
  /** The checkpoint note as last seen, with the witness's cosignature when it has a key. */
  checkpoint: string;
  /** The witness's own verifier key, when it cosigns. */
  witnessKey?: string;
  seenAt: string;
  /** Alarms raised so far, newest last (kept so a rewrite is never forgotten). */
  alarms: { at: string; reason: string; size: number }[];
}

/** What the broker hands the witness: a signed checkpoint and a proof from the remembered size. */
export interface WitnessInput {
  checkpoint: string;
  /** base64 consistency proof from the remembered size to the checkpoint's size. */
  consistencyProof?: readonly string[];
  /** The broker key to pin on first use; ignored (must match) once one is pinned. */
  verifierKey?: string;
}

/** The outcome of {@link Witness.observe} when all is well. */
export interface WitnessResult {
  status: 'first-seen' | 'unchanged' | 'advanced';
  size: number;
  previousSize?: number;
  /** The checkpoint with the witness's cosignature, when the witness has a key. */
  cosigned?: string;
}

/**
 * The person as witness: remembers the last checkpoint it saw and demands a consistency proof
 * next time. A smaller size, a different root at the same size, a proof that fails or a changed
 * key raises `ERR_AUDIT_HISTORY_REWRITTEN` (or `ERR_AUDIT_SIGNATURE_INVALID`) and is recorded.
 * The logic is pure; storage is a port.
 * @see RFC 9162 §2.1.4
 */
export class Witness {
  readonly #storage: WitnessStorage;
  readonly #signer: NoteSigner | undefined;
  readonly #clock: Clock;

  constructor(options: { storage: WitnessStorage; signer?: NoteSigner; clock?: Clock }) {
    this.#storage = options.storage;
    this.#signer = options.signer;
    this.#clock = options.clock ?? systemClock;
  }

  /** The remembered state, if any. Throws `ERR_AUDIT_WITNESS_STATE_INVALID` if it is unreadable. */
  state(): WitnessState | undefined {
    const text = this.#storage.read();
    if (text === undefined) return undefined;
    try {
      const s = JSON.parse(text) as WitnessState;
      if (
        s.version !== 1 ||
        typeof s.size !== 'number' ||
        typeof s.checkpoint !== 'string' ||
        typeof s.verifierKey !== 'string'
      ) {
        throw new Error('unexpected shape');
      }
      s.alarms = Array.isArray(s.alarms) ? s.alarms : [];
      return s;
    } catch (cause) {
      throw new AuditError(
        'ERR_AUDIT_WITNESS_STATE_INVALID',
        'the witness memory is unreadable; it was not changed',
        { cause },
      );
    }
  }

  /** Checks a new checkpoint against the remembered one and remembers it if consistent. */
  observe(input: WitnessInput): WitnessResult {
    const prev = this.state();
    const now = new Date(this.#clock.now()).toISOString();
    const pinned = prev?.verifierKey ?? input.verifierKey;
    if (!pinned)
      throw new AuditError('ERR_AUDIT_KEY_INVALID', 'the first checkpoint needs the broker key to pin');
    if (prev && input.verifierKey !== undefined && input.verifierKey.trim() !== prev.verifierKey) {
      this.#alarm(prev, now, 'the broker key changed', prev.size);
      throw new AuditError(
        'ERR_AUDIT_HISTORY_REWRITTEN',
        'the broker key differs from the one this witness pinned',
        {
          details: { reason: 'key-changed' },
        },
      );
    }
    const verifier = parseVerifierKey(pinned);
    const cp = verifyCheckpoint(input.checkpoint, [verifier], prev?.origin);
    const root = cp.root.toString('base64');
    const cosigned = this.#signer ? cosignNote(input.checkpoint, this.#signer) : undefined;
    const next: WitnessState = {
      version: 1,
      origin: cp.origin,
      verifierKey: pinned.trim(),
      size: cp.size,
      root,
      checkpoint: cosigned ?? input.checkpoint,
      ...(this.#signer ? { witnessKey: formatVerifierKey(this.#signer.name, this.#signer.privateKey) } : {}),
      seenAt: now,
      alarms: prev?.alarms ?? [],
    };
    if (!prev) {
      this.#storage.write(JSON.stringify(next, null, 2));
      return { status: 'first-seen', size: cp.size, ...(cosigned ? { cosigned } : {}) };
    }
    if (cp.size < prev.size) {
      this.#alarm(prev, now, `the log shrank from ${prev.size} to ${cp.size} events`, cp.size);
      throw new AuditError(
        'ERR_AUDIT_HISTORY_REWRITTEN',
        `the log shrank from ${prev.size} to ${cp.size} events: history was rewritten`,
        {
          details: { reason: 'shrank', previousSize: prev.size, size: cp.size },
        },
      );
    }
    const prevRoot = Buffer.from(prev.root, 'base64');
    if (cp.size === prev.size) {
      if (!cp.root.equals(prevRoot)) {
        this.#alarm(prev, now, `a different root for the same ${cp.size} events`, cp.size);
        throw new AuditError(
          'ERR_AUDIT_HISTORY_REWRITTEN',
          `the broker signed a different root for the same ${cp.size} events: history was rewritten`,
          {
            details: { reason: 'fork', size: cp.size },
          },
        );
      }
      return {
        status: 'unchanged',
        size: cp.size,
        previousSize: prev.size,
        ...(cosigned ? { cosigned } : {}),
      };
    }
    if (prev.size > 0) {
      try {
        verifyConsistency(
          prev.size,
          cp.size,
          (input.consistencyProof ?? []).map((h) => Buffer.from(h, 'base64')),
          prevRoot,
          cp.root,
        );
      } catch (cause) {
        this.#alarm(prev, now, `no valid consistency proof from ${prev.size} to ${cp.size}`, cp.size);
        throw new AuditError(
          'ERR_AUDIT_HISTORY_REWRITTEN',
          `the checkpoint of ${cp.size} events does not extend the one of ${prev.size} this witness saw: history was rewritten`,
          { cause, details: { reason: 'inconsistent', previousSize: prev.size, size: cp.size } },
        );
      }
    }
    this.#storage.write(JSON.stringify(next, null, 2));
    return { status: 'advanced', size: cp.size, previousSize: prev.size, ...(cosigned ? { cosigned } : {}) };
  }

  #alarm(prev: WitnessState, at: string, reason: string, size: number): void {
    const alarms = [...prev.alarms, { at, reason, size }].slice(-50);
    this.#storage.write(JSON.stringify({ ...prev, alarms }, null, 2));
  }
}

/** Keeps the witness memory in `<dir>/witness.json`, written atomically with mode 0600. */
export class FileWitnessStorage implements WitnessStorage {
  readonly path: string;
  constructor(dir: string) {
    this.path = join(dir, 'witness.json');
  }
  read(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw error;
    }
  }
  write(text: string): void {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

/** Keeps the witness memory in a variable (tests, or a caller that persists it elsewhere). */
export class MemoryWitnessStorage implements WitnessStorage {
  text: string | undefined;
  read(): string | undefined {
    return this.text;
  }
  write(text: string): void {
    this.text = text;
  }
}
