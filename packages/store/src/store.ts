import { existsSync, mkdirSync } from 'node:fs';
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

  /** Use {@link openStore}. */
  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
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
      if (this.db.inTransaction) return this.db.transaction(fn)();
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw mapSqliteError(error, this.path);
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
    this.db.pragma('synchronous = FULL');
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw mapSqliteError(error, this.path);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  /** True until {@link close} is called. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Checkpoints the WAL and closes the file. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process may hold the WAL; closing still releases our handle.
    }
    this.db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('ERR_STORE_CLOSED', `database \`${this.path}\` is closed`);
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
    throw new StoreError('ERR_STORE_OPEN_FAILED', `cannot open database \`${full}\``, { cause: error, details: { path: full } });
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
