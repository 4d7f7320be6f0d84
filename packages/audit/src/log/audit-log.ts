import { createHash } from 'node:crypto';
import {
  AuditEventType,
  Effect,
  FlagKind,
  systemClock,
  type AuditEvent,
  type Clock,
} from '@steward/protocol';
import type { Store } from '@steward/store';
import { AuditError } from '../errors.ts';
import { Frontier, popcount, type CompletedNode } from '../merkle/frontier.ts';
import { HASH_SIZE, hashLeaf as hashLeafOf } from '../merkle/hash.ts';
import { consistencyProof, inclusionProof, rootAt, type NodeSource } from '../merkle/tree.ts';
import { verifyConsistency } from '../merkle/verify.ts';
import { signCheckpoint, verifyCheckpoint } from '../note/checkpoint.ts';
import { formatVerifierKey, toVerifier, type NoteSigner, type NoteVerifier } from '../note/keys.ts';
import { canonicalEvent, isCommitmentType, newSalt, payloadCommitment, searchText } from './event.ts';
import { MIGRATIONS } from './migrations.ts';
import { BulkInsert } from '../internal/bulk-insert.ts';

/** How to open the audit log. */
export interface OpenAuditLogOptions {
  /** The checkpoint origin line, fixed when the log is created. Default `steward.local/audit/<random>`. */
  origin?: string;
  /** The broker's checkpoint key (a port: the key store lives elsewhere). Without it, no checkpoints. */
  signer?: NoteSigner;
  /** Source of time for `at` of events the log writes itself and for checkpoint timing. */
  clock?: Clock;
  /** Sign a checkpoint automatically after this many new events and/or this many seconds. */
  checkpointEvery?: { events?: number; seconds?: number };
  /**
   * Earlier public keys of the broker (after a key rotation), trusted to have signed earlier
   * checkpoints. A last checkpoint signed by any other key is never extended.
   */
  previousKeys?: readonly NoteVerifier[];
  /**
   * Told when an automatic checkpoint fails (for example `ERR_AUDIT_CHECKPOINT_INCONSISTENT`: an
   * alarm), or the idle search indexing does (a text query retries it). Appends are not failed by
   * it. Default: a process warning.
   */
  onCheckpointError?: (error: unknown) => void;
  /** Group commit: flush when this many events wait (default 1024) or after this delay (default 2 ms). */
  groupCommit?: { maxBatch?: number; maxDelayMs?: number };
}

/** What an append returns once the event is durable. */
export interface AppendReceipt {
  /** 0-based leaf index. */
  index: number;
  /** base64url SHA-256 leaf hash. */
  leafHash: string;
  /** The salted commitment written into the event, when a payload was given. */
  payloadCommitment?: string;
}

/** Options of one append. */
export interface AppendOptions {
  /** A personal payload, stored apart and committed by a salted hash in the event. */
  payload?: unknown;
}

/** One event read back from the log. */
export interface LogEntry {
  index: number;
  event: AuditEvent;
  leafHash: string;
  /** Whether a personal payload is attached, erased, or there never was one. */
  payload: 'none' | 'present' | 'erased';
}

/** A signed checkpoint kept by the log. */
export interface CheckpointRecord {
  size: number;
  /** base64 root, as in the note. */
  root: string;
  /** The C2SP signed note. */
  note: string;
  keyName: string;
  /** The signer's verifier key string (`name+id+key`). */
  verifierKey: string;
  signedAt: string;
}

/** An inclusion proof for one leaf at one tree size. */
export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  /** base64 hashes, leaf end first. */
  proof: string[];
}

/** Filters for {@link AuditLog.query}. All are ANDed. */
export interface AuditQuery {
  /** ISO date-time: events at or after. */
  since?: string;
  /** ISO date-time: events strictly before. */
  until?: string;
  vendor?: string;
  taskId?: string;
  types?: readonly AuditEventType[];
  decision?: Effect;
  flag?: FlagKind;
  /** Words that must all appear in the summary or the reasons (full-text, prefix-free). */
  text?: string;
  /** Page size, 1–500, default 50. */
  limit?: number;
  /** `desc` (newest first, default) or `asc`. */
  order?: 'asc' | 'desc';
  /** The opaque `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of query results. */
export interface QueryPage {
  entries: LogEntry[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

interface Pending {
  event: AuditEvent;
  bytes: Buffer;
  payload?: { salt: Buffer; text: string; commitment: string };
  resolve: (r: AppendReceipt) => void;
  reject: (e: unknown) => void;
}

interface StateRow {
  origin: string;
  size: number;
  root: Buffer;
  frontier: Buffer;
}

const DEFAULT_BATCH = 1024;
const DEFAULT_DELAY_MS = 2;
/** Events indexed for search per transaction: large batches make few, large FTS5 segments. */
const SEARCH_CHUNK = 4096;
/** How long after an append the idle search indexing runs. */
const SEARCH_IDLE_MS = 100;

/** The caller's write inside {@link AuditLog.appendWith} threw: its event is withdrawn, not lost. */
class CallerWriteFailed extends Error {
  constructor(cause: unknown) {
    super('the caller\u2019s write failed', { cause });
  }
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/**
 * The tamper-evident audit log: an RFC 9162 Merkle tree over RFC 8785 canonical events in
 * SQLite. Every append updates the leaf, the completed subtree hashes and the persisted frontier
 * in one transaction; nothing is acknowledged before it is on disk.
 * @see RFC 9162, RFC 8785
 */
export class AuditLog {
  readonly store: Store;
  readonly origin: string;
  readonly #signer: NoteSigner | undefined;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #every: { events?: number; seconds?: number };
  readonly #previousKeys: readonly NoteVerifier[];
  readonly #onCheckpointError: (error: unknown) => void;
  #frontier: Frontier;
  #root: Buffer;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #indexTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #nodeSource: NodeSource;
  readonly #stmts: ReturnType<typeof prepareStatements>;
  readonly #bulk: { leaves: BulkInsert; nodes: BulkInsert; search: BulkInsert };

  /** Use {@link openAuditLog}. */
  constructor(store: Store, options: OpenAuditLogOptions = {}) {
    this.store = store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? systemClock;
    this.#maxBatch = Math.max(1, options.groupCommit?.maxBatch ?? DEFAULT_BATCH);
    this.#maxDelayMs = Math.max(0, options.groupCommit?.maxDelayMs ?? DEFAULT_DELAY_MS);
    this.#every = options.checkpointEvery ?? {};
    this.#previousKeys = options.previousKeys ?? [];
    this.#onCheckpointError =
      options.onCheckpointError ??
      ((error) =>
        process.emitWarning(
          error instanceof Error ? error : new Error(String(error)),
          'StewardAuditWarning',
        ));
    const db = store.db;
    this.#stmts = prepareStatements(db);
    this.#bulk = {
      leaves: new BulkInsert(
        db,
        'INSERT INTO audit_leaves (idx, event, type, at_ms, vendor, task_id, decision)',
        7,
      ),
      nodes: new BulkInsert(db, 'INSERT INTO audit_nodes (level, idx, hash)', 3, 64),
      search: new BulkInsert(db, 'INSERT INTO audit_search (rowid, summary, reasons)', 3),
    };
    this.#nodeSource = (level, index) => {
      const h = this.#stmts.node.get(level, index) as Buffer | undefined;
      if (!h || h.length !== HASH_SIZE) {
        throw new AuditError(
          'ERR_AUDIT_STATE_CORRUPT',
          `subtree hash at level ${level} index ${index} is missing`,
          {
            details: { level, index },
          },
        );
      }
      return h;
    };
    let state = this.#stmts.state.get() as StateRow | undefined;
    if (!state) {
      const origin =
        options.origin ??
        `steward.local/audit/${createHash('sha256').update(newSalt()).digest('hex').slice(0, 12)}`;
      if (origin.length === 0 || /[\s]/.test(origin)) {
        throw new AuditError(
          'ERR_AUDIT_CHECKPOINT_INVALID',
          `origin \`${origin}\` must be one word without spaces`,
        );
      }
      const empty = new Frontier();
      this.#stmts.initState.run(origin, empty.root(), Buffer.alloc(0));
      state = { origin, size: 0, root: empty.root(), frontier: Buffer.alloc(0) };
    }
    this.origin = state.origin;
    this.#frontier = loadFrontier(state);
    this.#root = this.#frontier.root();
    const maxIdx = this.#stmts.maxIdx.get() as number | null;
    // INVARIANT: the persisted frontier describes exactly the leaves on disk.
    if ((maxIdx ?? -1) + 1 !== state.size || !this.#root.equals(state.root)) {
      throw new AuditError(
        'ERR_AUDIT_STATE_CORRUPT',
        `audit state says ${state.size} events but ${(maxIdx ?? -1) + 1} are stored; run \`steward audit verify\``,
        { details: { stateSize: state.size, stored: (maxIdx ?? -1) + 1 } },
      );
    }
    // INVARIANT: a broker (one that signs) never starts on a tree that does not extend its last
    // signed checkpoint; reading the log without a signer stays possible, to investigate.
    if (this.#signer) this.#assertExtendsLastCheckpoint(this.#signer);
    if (this.#every.seconds && this.#signer) {
      this.#checkpointTimer = setInterval(
        () => this.#maybeCheckpoint(),
        Math.max(1000, this.#every.seconds * 500),
      );
      this.#checkpointTimer.unref();
    }
  }

  /** Number of events durably in the log. */
  get size(): number {
    return this.#frontier.size;
  }

  /** The current root (32 bytes). */
  root(): Buffer {
    return Buffer.from(this.#root);
  }

  /** The verifier key string of the checkpoint signer, if one is configured. */
  get verifierKey(): string | undefined {
    return this.#signer ? formatVerifierKey(this.#signer.name, this.#signer.privateKey) : undefined;
  }

  /**
   * Appends an event (parsed strictly; throws `ERR_SCHEMA_INVALID` at once). The promise resolves
   * once the event is on disk: commitment events are written at once with `synchronous=FULL`,
   * others are group-committed within a few milliseconds.
   */
  append(event: AuditEvent, options: AppendOptions = {}): Promise<AppendReceipt> {
    this.#assertOpen();
    const item = this.#prepare(event, options);
    const promise = new Promise<AppendReceipt>((resolve, reject) => {
      this.#queue.push({ ...item, resolve, reject });
    });
    // INVARIANT: the log never writes inside a caller's open transaction: a rollback there would undo
    // the rows while the in-memory tree kept them. Such appends are flushed once the caller is done.
    if (this.store.db.inTransaction) setImmediate(() => this.#flushQueue(undefined, 'group'));
    else if (isCommitmentType(item.event.type) || this.#queue.length >= this.#maxBatch) this.#flushQueue(undefined, 'group');
    else this.#timer ??= setTimeout(() => this.#flushQueue(undefined, 'group'), this.#maxDelayMs);
    return promise;
  }

  /**
   * Appends an event and returns only when it is on disk (`synchronous=FULL`), after writing
   * anything queued before it. For callers that must not go on before the record exists.
   */
  appendDurably(event: AuditEvent, options: AppendOptions = {}): AppendReceipt {
    this.#assertOpen();
    if (this.store.db.inTransaction) {
      throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'cannot append durably inside an open transaction: it could still roll back; append after it commits', {
        details: { type: event.type },
      });
    }
    const item = this.#prepare(event, options);
    let receipt: AppendReceipt | undefined;
    let failure: unknown;
    this.#queue.push({
      ...item,
      resolve: (r) => (receipt = r),
      reject: (e) => (failure = e),
    });
    this.#flushQueue();
    if (failure !== undefined) throw failure as Error;
    if (!receipt) throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'append was not acknowledged');
    return receipt;
  }

  /**
   * Appends `event` and runs `write` (the caller's own rows, on the same store) in one transaction
   * with `synchronous=FULL`: both are on disk, or neither. For a change whose record must never exist
   * without it, nor it without its record (an order settled by the person). If `write` throws,
   * nothing of it and not the event is written, no gap is recorded (nothing happened), and its error
   * is rethrown as it is. Events queued before are written first, on their own.
   */
  appendWith<T>(event: AuditEvent, write: () => T, options: AppendOptions = {}): { receipt: AppendReceipt; result: T } {
    this.#assertOpen();
    if (this.store.db.inTransaction) {
      throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'cannot append durably inside an open transaction: it could still roll back; append after it commits', {
        details: { type: event.type },
      });
    }
    const item = this.#prepare(event, options);
    // INVARIANT: a refused write takes only its own event with it, never others waiting in the queue.
    this.#flushQueue();
    let receipt: AppendReceipt | undefined;
    let failure: unknown;
    let result: { value: T } | undefined;
    this.#queue.push({ ...item, resolve: (r) => (receipt = r), reject: (e) => (failure = e) });
    this.#flushQueue(() => {
      try {
        result = { value: write() };
      } catch (error) {
        throw new CallerWriteFailed(error);
      }
    });
    if (failure !== undefined) {
      const cause = (failure as { cause?: unknown }).cause;
      throw cause instanceof CallerWriteFailed ? cause.cause : (failure as Error);
    }
    if (!receipt || !result) throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'append was not acknowledged');
    return { receipt, result: result.value };
  }

  /** Writes every queued event now. */
  flush(): void {
    this.#flushQueue();
  }

  /**
   * Records that events were lost (a failed write, a component that could not log): a `gap`
   * event, so a hole is never silent. Signs a checkpoint right after when a signer is set.
   */
  recordGap(gap: {
    lost: number;
    reason: string;
    data?: Record<string, string | number | boolean>;
  }): AppendReceipt {
    const receipt = this.appendDurably({
      type: 'gap',
      at: new Date(this.#clock.now()).toISOString(),
      actor: 'broker',
      summary: `${gap.lost} audit event${gap.lost === 1 ? ' was' : 's were'} lost: ${gap.reason}`.slice(
        0,
        1000,
      ),
      data: { lost: gap.lost, reason: gap.reason.slice(0, 500), ...(gap.data ?? {}) },
    });
    if (this.#signer) this.checkpoint();
    return receipt;
  }

  /** Reads one event; throws `ERR_AUDIT_INDEX_OUT_OF_RANGE` if it is not in the log. */
  get(index: number): LogEntry {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new AuditError(
        'ERR_AUDIT_INDEX_OUT_OF_RANGE',
        `no event at index ${index} (log has ${this.size})`,
        {
          details: { index, size: this.size },
        },
      );
    }
    const row = this.#stmts.entry.get(index) as EntryRow | undefined;
    if (!row)
      throw new AuditError(
        'ERR_AUDIT_STATE_CORRUPT',
        `event ${index} is missing; run \`steward audit verify\``,
        { details: { index } },
      );
    return toEntry(row);
  }

  /** The stored canonical bytes of one event (the leaf data). */
  eventBytes(index: number): Buffer {
    this.get(index);
    return this.store.db.prepare('SELECT event FROM audit_leaves WHERE idx = ?').pluck().get(index) as Buffer;
  }

  /** The personal payload of an event, or whether it was erased. */
  payload(
    index: number,
  ): { state: 'present'; payload: unknown; salt: string } | { state: 'erased'; erasedAt: string } {
    const row = this.#stmts.payload.get(index) as
      { salt: Buffer | null; payload: string | null; erased_at: string | null } | undefined;
    if (!row)
      throw new AuditError('ERR_AUDIT_PAYLOAD_NOT_FOUND', `event ${index} has no payload`, {
        details: { index },
      });
    if (row.erased_at !== null) return { state: 'erased', erasedAt: row.erased_at };
    return {
      state: 'present',
      payload: JSON.parse(row.payload ?? 'null') as unknown,
      salt: b64u(row.salt ?? Buffer.alloc(0)),
    };
  }

  /**
   * Erases the personal payload of an event (the person's right) and records a `payload.erased`
   * event, in one durable transaction. The leaf keeps its commitment, so the log still verifies.
   * The freed bytes are overwritten (`secure_delete`) and the WAL truncated.
   */
  erasePayload(index: number, reason = 'erased at the person\u2019s request'): AppendReceipt {
    this.#assertOpen();
    const row = this.#stmts.payload.get(index) as { erased_at: string | null } | undefined;
    if (!row)
      throw new AuditError('ERR_AUDIT_PAYLOAD_NOT_FOUND', `event ${index} has no payload`, {
        details: { index },
      });
    if (row.erased_at !== null) {
      throw new AuditError('ERR_AUDIT_PAYLOAD_NOT_FOUND', `payload of event ${index} was already erased`, {
        details: { index },
      });
    }
    const now = new Date(this.#clock.now()).toISOString();
    const item = this.#prepare(
      {
        type: 'payload.erased',
        at: now,
        actor: 'person',
        summary: `personal payload of event ${index} erased`,
        data: { index, reason: reason.slice(0, 500) },
      },
      {},
    );
    let receipt: AppendReceipt | undefined;
    let failure: unknown;
    this.#queue.push({ ...item, resolve: (r) => (receipt = r), reject: (e) => (failure = e) });
    const db = this.store.db;
    db.pragma('secure_delete = ON');
    try {
      this.#flushQueue(() => this.#stmts.erase.run(now, index));
    } finally {
      db.pragma('secure_delete = OFF');
    }
    if (failure !== undefined) throw failure as Error;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A reader may hold the WAL; the next checkpoint overwrites it.
    }
    if (!receipt) throw new AuditError('ERR_AUDIT_APPEND_FAILED', 'erasure was not acknowledged');
    return receipt;
  }

  /** The hash source over the stored complete subtrees, for proofs and roots at any past size. */
  get nodes(): NodeSource {
    return this.#nodeSource;
  }

  /** The root at a past size, from stored subtree hashes in O(log n) reads. */
  rootAt(size: number): Buffer {
    if (size > this.size)
      throw new AuditError('ERR_AUDIT_INDEX_OUT_OF_RANGE', `size ${size} is beyond the log (${this.size})`, {
        details: { size },
      });
    return rootAt(this.#nodeSource, size);
  }

  /** The inclusion proof of event `index` in the tree of `treeSize` events (default: current). */
  inclusionProof(index: number, treeSize = this.size): InclusionProof {
    if (treeSize > this.size) {
      throw new AuditError(
        'ERR_AUDIT_INDEX_OUT_OF_RANGE',
        `size ${treeSize} is beyond the log (${this.size})`,
        { details: { treeSize } },
      );
    }
    const proof = inclusionProof(this.#nodeSource, index, treeSize);
    return {
      index,
      treeSize,
      leafHash: Buffer.from(this.#nodeSource(0, index)).toString('base64'),
      proof: proof.map((h) => h.toString('base64')),
    };
  }

  /** The consistency proof between two sizes (base64 hashes). */
  consistencyProof(size1: number, size2 = this.size): string[] {
    if (size2 > this.size) {
      throw new AuditError('ERR_AUDIT_INDEX_OUT_OF_RANGE', `size ${size2} is beyond the log (${this.size})`, {
        details: { size2 },
      });
    }
    return consistencyProof(this.#nodeSource, size1, size2).map((h) => h.toString('base64'));
  }

  /**
   * Signs a checkpoint of the current tree (after writing anything queued). Refuses with
   * `ERR_AUDIT_CHECKPOINT_INCONSISTENT` if the tree is not an extension of the last checkpoint.
   * Returns the existing checkpoint when the size has not changed.
   */
  checkpoint(): CheckpointRecord {
    this.#assertOpen();
    const signer = this.#signer;
    if (!signer)
      throw new AuditError('ERR_AUDIT_NO_CHECKPOINT', 'no checkpoint key is configured for this audit log');
    this.#flushQueue();
    const size = this.size;
    const root = this.#root;
    const last = this.latestCheckpoint();
    const verifier = toVerifier(signer.name, signer.privateKey);
    if (last) {
      let ok = false;
      let reason = '';
      try {
        const cp = verifyCheckpoint(last.note, [verifier, ...this.#previousKeys], this.origin);
        if (cp.size !== last.size || cp.size > size)
          throw new Error(`last checkpoint size ${cp.size} is beyond the tree (${size})`);
        if (cp.size === size) {
          if (!cp.root.equals(root))
            throw new Error('root differs from the last checkpoint at the same size');
          return last;
        }
        if (cp.size > 0)
          verifyConsistency(cp.size, size, consistencyProof(this.#nodeSource, cp.size, size), cp.root, root);
        ok = true;
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
      if (!ok) {
        throw new AuditError(
          'ERR_AUDIT_CHECKPOINT_INCONSISTENT',
          `refusing to sign: the tree of ${size} events is not consistent with the checkpoint at ${last.size} (${reason})`,
          { details: { size, lastSize: last.size, reason } },
        );
      }
    }
    const note = signCheckpoint({ origin: this.origin, size, root }, signer);
    const signedAt = new Date(this.#clock.now()).toISOString();
    this.store.durably(() =>
      this.#stmts.insertCheckpoint.run(
        size,
        root,
        note,
        signer.name,
        formatVerifierKey(signer.name, signer.privateKey),
        signedAt,
      ),
    );
    return (
      this.checkpointAt(size) ?? {
        size,
        root: root.toString('base64'),
        note,
        keyName: signer.name,
        verifierKey: formatVerifierKey(signer.name, signer.privateKey),
        signedAt,
      }
    );
  }

  /** The newest signed checkpoint, if any. */
  latestCheckpoint(): CheckpointRecord | undefined {
    return toCheckpoint(this.#stmts.lastCheckpoint.get() as CheckpointRow | undefined);
  }

  /** The checkpoint signed at exactly `size`, if any. */
  checkpointAt(size: number): CheckpointRecord | undefined {
    return toCheckpoint(this.#stmts.checkpointAt.get(size) as CheckpointRow | undefined);
  }

  /** Every signed checkpoint, oldest first. */
  checkpoints(): CheckpointRecord[] {
    return (this.#stmts.allCheckpoints.all() as CheckpointRow[]).map((r) => toCheckpoint(r)!);
  }

  /**
   * Everything needed to check one event offline: the event bytes, an inclusion proof and the
   * newest signed checkpoint that covers it. Throws `ERR_AUDIT_NO_CHECKPOINT` if none does yet.
   */
  proveEvent(index: number): EventProof {
    const entry = this.get(index);
    const cp = this.latestCheckpoint();
    if (!cp || cp.size <= index) {
      throw new AuditError('ERR_AUDIT_NO_CHECKPOINT', `no signed checkpoint covers event ${index} yet`, {
        details: { index },
      });
    }
    const p = this.inclusionProof(index, cp.size);
    return {
      format: 'steward-audit-proof/1',
      index,
      treeSize: cp.size,
      event: this.eventBytes(entry.index).toString('utf8'),
      leafHash: p.leafHash,
      proof: p.proof,
      checkpoint: cp.note,
    };
  }

  /** Finds events by time, vendor, task, type, decision, flag and text, a page at a time. */
  query(q: AuditQuery = {}): QueryPage {
    const { sql, params, limit, order, filterKey } = buildQuery(q);
    if (q.text !== undefined) this.indexSearch();
    const rows = this.store.db.prepare(sql).all(...params) as EntryRow[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(toEntry),
      ...(more && last ? { nextCursor: encodeCursor({ v: 1, i: last.idx, o: order, f: filterKey }) } : {}),
    };
  }

  /** Writes what is queued, stops timers and closes nothing else (the store is the caller's). */
  close(): void {
    if (this.#closed) return;
    this.#flushQueue();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#indexTimer) clearTimeout(this.#indexTimer);
    if (this.#checkpointTimer) clearInterval(this.#checkpointTimer);
  }

  #prepare(event: AuditEvent, options: AppendOptions): Omit<Pending, 'resolve' | 'reject'> {
    if (options.payload === undefined) {
      const { event: parsed, bytes } = canonicalEvent(event);
      return { event: parsed, bytes };
    }
    if (event.payloadCommitment !== undefined) {
      throw new AuditError(
        'ERR_AUDIT_PAYLOAD_CONFLICT',
        'event already carries a payloadCommitment; pass either the payload or the commitment',
      );
    }
    const salt = newSalt();
    const commitment = payloadCommitment(salt, options.payload);
    const text = JSON.stringify(options.payload);
    const { event: parsed, bytes } = canonicalEvent({ ...event, payloadCommitment: commitment });
    return { event: parsed, bytes, payload: { salt, text, commitment } };
  }

  /**
   * Writes the queue in one transaction. `sync` (explicit flushes, durable appends, erasures,
   * checkpoints) commits with `synchronous=FULL` and acknowledges at once. `group` commits normally
   * and acknowledges once an fdatasync of the WAL in the thread pool returns, so the fsync does not
   * block this thread and is shared by every batch committed meanwhile; a batch holding a commitment
   * event is still written with `synchronous=FULL`.
   */
  #flushQueue(extra?: () => void, mode: 'sync' | 'group' = 'sync'): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#queue;
    if (batch.length === 0 && !extra) return;
    this.#queue = [];
    const next = this.#frontier.clone();
    const receipts: AppendReceipt[] = [];
    const s = this.#stmts;
    let root: Buffer;
    let syncNow: boolean;
    try {
      syncNow = mode === 'sync' || batch.some((item) => isCommitmentType(item.event.type));
      root = (syncNow ? this.store.durably.bind(this.store) : this.store.transaction.bind(this.store))(() => {
        const leaves: unknown[][] = [];
        const nodes: unknown[][] = [];
        for (const item of batch) {
          const index = next.size;
          const done: CompletedNode[] = next.append(hashLeafOf(item.bytes));
          const e = item.event;
          leaves.push([
            index,
            item.bytes,
            e.type,
            Date.parse(e.at),
            e.vendor ?? null,
            e.taskId ?? null,
            e.decision ?? null,
          ]);
          for (const n of done) nodes.push([n.level, n.index, n.hash]);
          for (const f of new Set(e.flags ?? [])) s.insertFlag.run(f, index);
          if (item.payload) s.insertPayload.run(index, item.payload.salt, item.payload.text);
          receipts.push({
            index,
            leafHash: b64u(done[0]!.hash),
            ...(item.payload ? { payloadCommitment: item.payload.commitment } : {}),
          });
        }
        this.#bulk.leaves.run(leaves);
        this.#bulk.nodes.run(nodes);
        extra?.();
        const r = next.root();
        s.updateState.run(next.size, r, Buffer.concat(next.hashes));
        return r;
      });
    } catch (cause) {
      const error = new AuditError(
        'ERR_AUDIT_APPEND_FAILED',
        `${batch.length} audit event(s) could not be written`,
        {
          cause,
          details: { lost: batch.length },
        },
      );
      for (const item of batch) item.reject(error);
      this.#recordLoss(batch, cause);
      return;
    }
    this.#frontier = next;
    this.#root = root;
    if (syncNow) batch.forEach((item, i) => item.resolve(receipts[i]!));
    else
      this.store.whenSynced().then(
        () => batch.forEach((item, i) => item.resolve(receipts[i]!)),
        (cause: unknown) => {
          // Written, but the disk did not confirm it: not acknowledged (the rows stay in the log).
          const error = new AuditError('ERR_AUDIT_APPEND_FAILED', `${batch.length} audit event(s) were written but could not be confirmed on disk`, {
            cause,
            details: { unconfirmed: batch.length },
          });
          for (const item of batch) item.reject(error);
        },
      );
    if (batch.length > 0) {
      this.#maybeCheckpoint();
      this.#scheduleIndexing();
    }
  }

  /**
   * Brings the full-text index up to date with the log, in bulk transactions of
   * {@link SEARCH_CHUNK} events; returns how many events it indexed. A text query calls it first,
   * so a search never misses an appended event; between appends it runs on an idle timer.
   */
  indexSearch(max = Number.POSITIVE_INFINITY): number {
    let done = 0;
    while (done < max) {
      const n = this.store.transaction(() => {
        const from = this.#stmts.searchIndexed.get() as number;
        const rows = this.#stmts.leavesFrom.all(from, Math.min(SEARCH_CHUNK, max - done)) as [number, Buffer][];
        if (rows.length === 0) return 0;
        const search: unknown[][] = [];
        let next = from;
        for (const [idx, bytes] of rows) {
          // INVARIANT: the index covers exactly the leaves [0, indexed), each once.
          if (idx !== next) {
            throw new AuditError('ERR_AUDIT_STATE_CORRUPT', `event ${next} is missing; run \`steward audit verify\``, {
              details: { index: next },
            });
          }
          const st = searchText(JSON.parse(bytes.toString('utf8')) as AuditEvent);
          search.push([idx, st.summary, st.reasons]);
          next++;
        }
        this.#bulk.search.run(search);
        this.#stmts.setSearchIndexed.run(next);
        return rows.length;
      });
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** Events appended but not yet in the full-text index. */
  get searchBacklog(): number {
    return this.size - (this.#stmts.searchIndexed.get() as number);
  }

  #scheduleIndexing(): void {
    if (this.#indexTimer || this.#closed) return;
    this.#indexTimer = setTimeout(() => {
      this.#indexTimer = undefined;
      if (this.#closed || !this.store.open) return;
      try {
        this.indexSearch(SEARCH_CHUNK);
        if (this.searchBacklog > 0) this.#scheduleIndexing();
      } catch (error) {
        // A text query retries (and reports) the same work; nothing is lost by waiting.
        this.#onCheckpointError(error);
      }
    }, SEARCH_IDLE_MS);
    this.#indexTimer.unref();
  }

  #recordLoss(batch: Pending[], cause: unknown): void {
    if (batch.length === 0 || batch.every((b) => b.event.type === 'gap')) return;
    // A caller's write refused inside appendWith(): its event was withdrawn with it, not lost.
    if (cause instanceof CallerWriteFailed) return;
    try {
      const code = (cause as { code?: unknown } | null)?.code;
      this.recordGap({
        lost: batch.length,
        reason: `write failed${typeof code === 'string' ? ` (${code})` : ''}`,
        data: { firstType: batch[0]!.event.type },
      });
    } catch {
      // The store itself is failing; the callers were told (their promises rejected).
    }
  }

  #maybeCheckpoint(): void {
    if (!this.#signer || this.#closed) return;
    const { events, seconds } = this.#every;
    if (!events && !seconds) return;
    const last = this.latestCheckpoint();
    const lastSize = last?.size ?? 0;
    if (this.size === lastSize) return;
    const dueByCount = events !== undefined && this.size - lastSize >= events;
    const dueByTime =
      seconds !== undefined && (!last || this.#clock.now() - Date.parse(last.signedAt) >= seconds * 1000);
    if (!dueByCount && !dueByTime) return;
    try {
      this.checkpoint();
    } catch (error) {
      this.#onCheckpointError(error);
    }
  }

  #assertExtendsLastCheckpoint(signer: NoteSigner): void {
    const last = this.latestCheckpoint();
    if (!last) return;
    try {
      const cp = verifyCheckpoint(
        last.note,
        [toVerifier(signer.name, signer.privateKey), ...this.#previousKeys],
        this.origin,
      );
      if (cp.size > this.size) throw new Error(`it covers ${cp.size} events but ${this.size} are stored`);
      if (!rootAt(this.#nodeSource, cp.size).equals(cp.root))
        throw new Error('the stored tree has another root at its size');
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new AuditError(
        'ERR_AUDIT_CHECKPOINT_INCONSISTENT',
        `the audit log does not extend its last signed checkpoint (${reason}); run \`steward audit verify\``,
        { cause, details: { lastSize: last.size, size: this.size, reason } },
      );
    }
  }

  #assertOpen(): void {
    if (this.#closed || !this.store.open) throw new AuditError('ERR_AUDIT_CLOSED', 'audit log is closed');
  }
}

/** Everything needed to check one event offline against a signed checkpoint. */
export interface EventProof {
  format: 'steward-audit-proof/1';
  index: number;
  treeSize: number;
  /** The canonical event JSON exactly as committed. */
  event: string;
  /** base64 leaf hash. */
  leafHash: string;
  /** base64 inclusion proof, leaf end first. */
  proof: string[];
  /** The C2SP signed checkpoint note. */
  checkpoint: string;
}

interface EntryRow {
  idx: number;
  event: Buffer;
  hash: Buffer | null;
  pidx: number | null;
  erased: string | null;
}

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  key_name: string;
  verifier_key: string;
  signed_at: string;
}

function toCheckpoint(r: CheckpointRow | undefined): CheckpointRecord | undefined {
  if (!r) return undefined;
  return {
    size: r.size,
    root: r.root.toString('base64'),
    note: r.note,
    keyName: r.key_name,
    verifierKey: r.verifier_key,
    signedAt: r.signed_at,
  };
}

function toEntry(row: EntryRow): LogEntry {
  return {
    index: row.idx,
    event: JSON.parse(row.event.toString('utf8')) as AuditEvent,
    leafHash: row.hash ? b64u(row.hash) : '',
    payload: row.pidx === null ? 'none' : row.erased !== null ? 'erased' : 'present',
  };
}

function loadFrontier(state: StateRow): Frontier {
  const n = popcount(state.size);
  if (state.frontier.length !== n * HASH_SIZE) {
    throw new AuditError('ERR_AUDIT_STATE_CORRUPT', 'persisted frontier does not fit the tree size', {
      details: { size: state.size },
    });
  }
  const hashes: Buffer[] = [];
  for (let i = 0; i < n; i++)
    hashes.push(Buffer.from(state.frontier.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
  return new Frontier(state.size, hashes);
}

interface CursorData {
  v: 1;
  i: number;
  o: 'asc' | 'desc';
  f: string;
}

function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(text: string, order: 'asc' | 'desc', filterKey: string): number {
  const bad = (): never => {
    throw new AuditError('ERR_AUDIT_CURSOR_INVALID', 'cursor is not one this query returned');
  };
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) bad();
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    bad();
  }
  const d = c as Partial<CursorData> | null;
  if (!d || d.v !== 1 || !Number.isSafeInteger(d.i) || d.o !== order || d.f !== filterKey) bad();
  return d!.i!;
}

function invalid(field: string, message: string): never {
  throw new AuditError('ERR_AUDIT_QUERY_INVALID', `query \`${field}\` ${message}`, { details: { field } });
}

function buildQuery(q: AuditQuery): {
  sql: string;
  params: unknown[];
  limit: number;
  order: 'asc' | 'desc';
  filterKey: string;
} {
  const where: string[] = [];
  const params: unknown[] = [];
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') invalid('order', 'must be `asc` or `desc`');
  const limit = q.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    invalid('limit', 'must be an integer from 1 to 500');
  const time = (field: string, v: string): number => {
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms)) invalid(field, 'must be an ISO date-time');
    return ms;
  };
  if (q.since !== undefined) {
    where.push('l.at_ms >= ?');
    params.push(time('since', q.since));
  }
  if (q.until !== undefined) {
    where.push('l.at_ms < ?');
    params.push(time('until', q.until));
  }
  if (q.vendor !== undefined) {
    where.push('l.vendor = ?');
    params.push(q.vendor);
  }
  if (q.taskId !== undefined) {
    where.push('l.task_id = ?');
    params.push(q.taskId);
  }
  if (q.types !== undefined) {
    if (q.types.length === 0 || q.types.length > 50) invalid('types', 'must list 1 to 50 event types');
    for (const t of q.types)
      if (!AuditEventType.safeParse(t).success) invalid('types', `has unknown type \`${String(t)}\``);
    where.push(`l.type IN (${q.types.map(() => '?').join(', ')})`);
    params.push(...q.types);
  }
  if (q.decision !== undefined) {
    if (!Effect.safeParse(q.decision).success) invalid('decision', 'must be allow, ask or deny');
    where.push('l.decision = ?');
    params.push(q.decision);
  }
  if (q.flag !== undefined) {
    if (!FlagKind.safeParse(q.flag).success) invalid('flag', `has unknown flag \`${String(q.flag)}\``);
    where.push('l.idx IN (SELECT idx FROM audit_flags WHERE flag = ?)');
    params.push(q.flag);
  }
  if (q.text !== undefined) {
    const words = q.text.split(/\s+/u).filter((w) => w.length > 0);
    if (words.length === 0 || words.length > 16 || q.text.length > 500)
      invalid('text', 'must have 1 to 16 words');
    // Each word becomes a quoted FTS5 string, so no query syntax from the person reaches FTS5.
    const match = words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
    where.push('l.idx IN (SELECT rowid FROM audit_search WHERE audit_search MATCH ?)');
    params.push(match);
  }
  const filterKey = createHash('sha256')
    .update(JSON.stringify([q.since, q.until, q.vendor, q.taskId, q.types, q.decision, q.flag, q.text]))
    .digest('base64url')
    .slice(0, 12);
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor, order, filterKey);
    where.push(order === 'desc' ? 'l.idx < ?' : 'l.idx > ?');
    params.push(after);
  }
  const sql = `SELECT l.idx AS idx, l.event AS event, n.hash AS hash, p.idx AS pidx, p.erased_at AS erased
    FROM audit_leaves l LEFT JOIN audit_nodes n ON n.level = 0 AND n.idx = l.idx
    LEFT JOIN audit_payloads p ON p.idx = l.idx
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY l.idx ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
  params.push(limit + 1);
  return { sql, params, limit, order, filterKey };
}

/**
 * Opens the audit log in a store, applying the audit migrations first.
 * @see RFC 9162
 */
export function openAuditLog(store: Store, options: OpenAuditLogOptions = {}): AuditLog {
  store.migrate({ audit: MIGRATIONS });
  return new AuditLog(store, options);
}

function prepareStatements(db: Store['db']) {
  return {
    state: db.prepare('SELECT origin, size, root, frontier FROM audit_state WHERE id = 1'),
    initState: db.prepare(
      'INSERT INTO audit_state (id, origin, size, root, frontier) VALUES (1, ?, 0, ?, ?)',
    ),
    updateState: db.prepare('UPDATE audit_state SET size = ?, root = ?, frontier = ? WHERE id = 1'),
    maxIdx: db.prepare('SELECT max(idx) FROM audit_leaves').pluck(),
    searchIndexed: db.prepare('SELECT indexed FROM audit_search_state WHERE id = 1').pluck(),
    setSearchIndexed: db.prepare('UPDATE audit_search_state SET indexed = ? WHERE id = 1'),
    leavesFrom: db.prepare('SELECT idx, event FROM audit_leaves WHERE idx >= ? ORDER BY idx LIMIT ?').raw(),
    insertFlag: db.prepare('INSERT OR IGNORE INTO audit_flags (flag, idx) VALUES (?, ?)'),
    insertPayload: db.prepare('INSERT INTO audit_payloads (idx, salt, payload) VALUES (?, ?, ?)'),
    node: db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck(),
    entry: db.prepare(
      `SELECT l.idx AS idx, l.event AS event, n.hash AS hash, p.idx AS pidx, p.erased_at AS erased
       FROM audit_leaves l LEFT JOIN audit_nodes n ON n.level = 0 AND n.idx = l.idx
       LEFT JOIN audit_payloads p ON p.idx = l.idx WHERE l.idx = ?`,
    ),
    payload: db.prepare('SELECT salt, payload, erased_at FROM audit_payloads WHERE idx = ?'),
    erase: db.prepare('UPDATE audit_payloads SET salt = NULL, payload = NULL, erased_at = ? WHERE idx = ?'),
    lastCheckpoint: db.prepare('SELECT * FROM audit_checkpoints ORDER BY size DESC LIMIT 1'),
    checkpointAt: db.prepare('SELECT * FROM audit_checkpoints WHERE size = ?'),
    checkpointAtOrBelow: db.prepare(
      'SELECT * FROM audit_checkpoints WHERE size <= ? ORDER BY size DESC LIMIT 1',
    ),
    allCheckpoints: db.prepare('SELECT * FROM audit_checkpoints ORDER BY size'),
    insertCheckpoint: db.prepare(
      'INSERT OR IGNORE INTO audit_checkpoints (size, root, note, key_name, verifier_key, signed_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
  };
}
