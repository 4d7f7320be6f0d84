import { closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, mapSqliteError } from './errors.ts';
import { applyMigrations, checkMigrations, type MigrationResult, type MigrationSet } from './migrations.ts';

/** The on-disk format this code writes (`PRAGMA user_version`). Bumped only for store-level changes. */
export const STORE_FORMAT_VERSION = 1;

/** How to open a store. */
export interface OpenStoreOptions {
  /** Migrations by owner, checked before anything is written, then applied. */
  migrations?: MigrationSet;
  /** How long to wait for another writer before failing with `ERR_STORE_LOCKED`. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * One SQLite database file in WAL mode with foreign keys on. Commitment writes go through
 * {@link Store.durably}, which syncs to disk before returning.
 */
export class Store {
  readonly db: Database.Database;
  readonly path: string;
  #closed = false;
  // Prepared once: building a transaction function per call cost more than
  // the bookkeeping it wrapped on the hot paths (a quote makes ~8 transactions).
  readonly #tx: Record<
    'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo',
    Database.Statement
  >;
  readonly #statements = new Map<string, Database.Statement>();
  #walFd: number | undefined;
  #syncsIssued = 0;
  #syncInFlight = false;
  #syncWaiters: Array<{ after: number; resolve: () => void; reject: (error: StoreError) => void }> = [];
  /** Set once a WAL sync failed: every later use is refused with it (fail closed). */
  #failed: StoreError | undefined;

  /** Use {@link openStore}. */
  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.#tx = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT steward_tx'),
      release: db.prepare('RELEASE steward_tx'),
      rollbackTo: db.prepare('ROLLBACK TO steward_tx'),
    };
  }

  /**
   * A prepared statement for `sql`, prepared once per store and reused (preparing costs 10–20 µs,
   * more than running most of our queries). Shared by every caller of the same SQL, so use it only
   * with `run`/`get`/`all`: never `iterate()` (a statement being iterated cannot be re-entered) and
   * never the modes that change it for everyone (`pluck`, `raw`, `expand`, `safeIntegers`, `bind`);
   * use `db.prepare` for those.
   */
  statement<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    this.#assertOpen();
    let stmt = this.#statements.get(sql) as Database.Statement<P, R> | undefined;
    if (!stmt) {
      try {
        stmt = this.db.prepare<P, R>(sql);
      } catch (error) {
        throw mapSqliteError(error, this.path);
      }
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Applies pending migrations of each owner; idempotent. */
  migrate(set: MigrationSet): MigrationResult[] {
    this.#assertOpen();
    try {
      return applyMigrations(this.db, this.path, set);
    } catch (error) {
      throw mapSqliteError(error, this.path);
    }
  }

  /**
   * Runs `fn` in an immediate transaction (normal durability: may be group-committed by WAL).
   * Inside another transaction it becomes a savepoint of that one, so callers compose.
   */
  transaction<T>(fn: () => T): T {
    this.#assertOpen();
    try {
      return this.#run(fn);
    } catch (error) {
      throw mapSqliteError(error, this.path);
    }
  }

  /** better-sqlite3's transaction semantics (savepoint when nested, undo only if still open), on statements prepared once. */
  #run<T>(fn: () => T): T {
    const t = this.#tx;
    const nested = this.db.inTransaction;
    (nested ? t.savepoint : t.begin).run();
    try {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === 'function')
        throw new TypeError('Transaction function cannot return a promise');
      (nested ? t.release : t.commit).run();
      return result;
    } catch (error) {
      this.#latchOnSyncError(error);
      // SQLite may already have rolled the whole transaction back (e.g. a full disk).
      if (this.db.inTransaction) {
        if (nested) {
          t.rollbackTo.run();
          t.release.run();
        } else t.rollback.run();
      }
      throw error;
    }
  }

  /**
   * Runs `fn` in an immediate transaction with `synchronous=FULL`, so the commit is on disk when
   * this returns. For commitment events: orders, approvals, policy changes, key changes.
   */
  durably<T>(fn: () => T): T {
    this.#assertOpen();
    // INVARIANT: nested in an outer transaction, durability is the outer one's to give; the outer
    // caller of a commitment must itself use durably().
    if (this.db.inTransaction) return this.transaction(fn);
    // Not a prepared statement: SQLite applies this pragma when compiling it, not when running it.
    this.db.pragma('synchronous = FULL');
    try {
      return this.#run(fn);
    } catch (error) {
      throw mapSqliteError(error, this.path);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /**
   * Resolves once everything committed before the call is on disk, without blocking this thread:
   * an `fdatasync` of the WAL file in libuv's thread pool (the same sync `synchronous=FULL` does
   * inside COMMIT, on the main thread). One sync runs at a time; a caller is settled only by a sync
   * issued after its call, and everyone who asks while one runs shares the next: this is the group
   * commit for writes acknowledged only once durable (audit events). A checkpoint that moves frames
   * into the database file syncs both files itself, so a frame checkpointed before the sync runs is
   * already durable. Rejects with `ERR_STORE_SYNC_FAILED` if the sync fails, and from then on the
   * store refuses every use with that error until it is reopened: after a failed sync the kernel
   * may have dropped pages it will not report again, so nothing written since can be trusted to be
   * on disk (the audit log must not sign over it). In-memory stores resolve at once.
   */
  whenSynced(): Promise<void> {
    this.#assertOpen();
    if (this.path === ':memory:') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#syncWaiters.push({ after: this.#syncsIssued, resolve, reject });
      if (!this.#syncInFlight) this.#issueSync();
    });
  }

  /** A COMMIT whose fsync failed latches the store too: the kernel reports such an error only once. */
  #latchOnSyncError(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'SQLITE_IOERR_FSYNC' || code === 'SQLITE_IOERR_DIR_FSYNC') {
      this.#failed ??= new StoreError('ERR_STORE_SYNC_FAILED', `cannot sync \`${this.path}\` to disk`, { cause: error, details: { path: this.path } });
    }
  }

  #issueSync(): void {
    const issued = ++this.#syncsIssued;
    this.#syncInFlight = true;
    const done = (error: StoreError | undefined) => {
      this.#syncInFlight = false;
      if (error) this.#failed ??= error;
      const failed = this.#failed;
      // Every waiter that asked before this sync was issued is covered by it; after a failure, none is.
      const ready = failed ? this.#syncWaiters : this.#syncWaiters.filter((w) => w.after < issued);
      this.#syncWaiters = failed ? [] : this.#syncWaiters.filter((w) => w.after >= issued);
      for (const w of ready) {
        if (failed) w.reject(failed);
        else w.resolve();
      }
      if (this.#closed) {
        // close() synced the rest while this one ran: settle everyone with both outcomes known.
        const rest = this.#syncWaiters;
        this.#syncWaiters = [];
        for (const w of rest) {
          if (this.#failed) w.reject(this.#failed);
          else w.resolve();
        }
        this.#closeWalFd();
      } else if (this.#syncWaiters.length > 0) this.#issueSync();
    };
    let fd: number;
    try {
      fd = this.#walFd ??= this.#openWal();
    } catch (cause) {
      const error = new StoreError('ERR_STORE_SYNC_FAILED', `cannot open the write-ahead log of \`${this.path}\` to sync it`, {
        cause,
        details: { path: this.path },
      });
      queueMicrotask(() => done(error));
      return;
    }
    fdatasync(fd, (cause) =>
      done(cause ? new StoreError('ERR_STORE_SYNC_FAILED', `cannot sync the write-ahead log of \`${this.path}\``, { cause, details: { path: this.path } }) : undefined),
    );
  }

  #openWal(): number {
    const fd = openSync(`${this.path}-wal`, 'r+');
    // The WAL's directory entry must be durable too (once: it is not recreated while we are open).
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return fd;
  }

  #closeWalFd(): void {
    if (this.#walFd === undefined) return;
    try {
      closeSync(this.#walFd);
    } catch {
      // already gone
    }
    this.#walFd = undefined;
  }

  /** True until {@link close} is called. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Checkpoints the WAL and closes the file. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Writes still waiting to be acknowledged are synced here, whatever the checkpoint below manages
    // (another connection reading can leave it busy, with our frames still only in the WAL).
    if (this.#syncWaiters.length > 0) {
      if (!this.#failed) {
        try {
          fdatasyncSync((this.#walFd ??= this.#openWal()));
        } catch (cause) {
          this.#failed = new StoreError('ERR_STORE_SYNC_FAILED', `cannot sync the write-ahead log of \`${this.path}\``, { cause, details: { path: this.path } });
        }
      }
      // With a sync still running, its outcome counts too (only one of two concurrent fsyncs may see
      // a write-back error): the waiters are settled when it returns.
      if (!this.#syncInFlight) {
        const waiters = this.#syncWaiters;
        this.#syncWaiters = [];
        for (const w of waiters) {
          if (this.#failed) w.reject(this.#failed);
          else w.resolve();
        }
      }
    }
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process may hold the WAL; closing still releases our handle.
    }
    this.db.close();
    // An fdatasync still running in the thread pool keeps its fd until it returns.
    if (!this.#syncInFlight) this.#closeWalFd();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('ERR_STORE_CLOSED', `database \`${this.path}\` is closed`);
    if (this.#failed) throw this.#failed;
  }
}

function readFormat(path: string, busyTimeoutMs: number, migrations: MigrationSet | undefined): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    const format = db.pragma('user_version', { simple: true }) as number;
    if (format > STORE_FORMAT_VERSION) {
      throw new StoreError(
        'ERR_STORE_NEWER_SCHEMA',
        `database \`${path}\` has store format ${format}, newer than this Steward's ${STORE_FORMAT_VERSION}; upgrade Steward or use another database file`,
        { details: { path, found: format, known: STORE_FORMAT_VERSION } },
      );
    }
    if (migrations) checkMigrations(db, path, migrations);
  } catch (error) {
    throw mapSqliteError(error, path);
  } finally {
    db?.close();
  }
}

/**
 * Opens (creating if needed) the SQLite file at `path`. An existing file is checked read-only
 * first, so a file from a newer Steward, or a corrupt one, fails with a coded error and is not
 * touched. Then WAL, foreign keys and the busy timeout are set and migrations applied.
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const full = path === ':memory:' ? path : resolve(path);
  if (full !== ':memory:' && existsSync(full)) readFormat(full, busyTimeoutMs, options.migrations);
  let db: Database.Database;
  try {
    if (full !== ':memory:') mkdirSync(dirname(full), { recursive: true });
    db = new Database(full, { timeout: busyTimeoutMs });
  } catch (error) {
    const mapped = mapSqliteError(error, full);
    if (mapped !== error) throw mapped;
    throw new StoreError('ERR_STORE_OPEN_FAILED', `cannot open database \`${full}\``, {
      cause: error,
      details: { path: full },
    });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoint the WAL every 4,000 pages (16 MiB) instead of 1,000: each checkpoint costs two
    // fsyncs, and small frequent writes (replay records, audit leaves) paid them every ~1,000 writes.
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    const format = db.pragma('user_version', { simple: true }) as number;
    if (format === 0) db.pragma(`user_version = ${STORE_FORMAT_VERSION}`);
  } catch (error) {
    db.close();
    throw mapSqliteError(error, full);
  }
  const store = new Store(db, full);
  if (options.migrations) {
    try {
      store.migrate(options.migrations);
    } catch (error) {
      store.close();
      throw error;
    }
  }
  return store;
}
