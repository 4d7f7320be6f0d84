import type { Store } from '@steward/store';
import { IdentityError } from '../errors.ts';
import { replayKey } from '../migrations.ts';

/** The part of a better-sqlite3 statement used here. */
interface Statement {
  run(...params: unknown[]): { changes: number };
}

/** Options of a {@link ReplayStore}. */
export interface ReplayStoreOptions {
  /** Prune expired entries at most this often, in seconds of the clock passed in. Default 60. */
  pruneIntervalSeconds?: number;
}

/**
 * A durable seen-identifier store (JWS `jti`, RFC 9421 `nonce`) in SQLite. Check-and-record is
 * one `INSERT … ON CONFLICT DO NOTHING` on a hash of scope and id, so it is atomic across
 * processes; an entry lives until its message can no longer verify, then it is pruned (a table
 * scan at most once a minute). Any database error refuses (fail closed).
 */
export class ReplayStore {
  readonly #store: Store;
  readonly #insert: Statement;
  readonly #prune: Statement;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #pruneInterval: number;
  #lastPrune = 0;

  constructor(store: Store, options: ReplayStoreOptions = {}) {
    this.#store = store;
    this.#pruneInterval = options.pruneIntervalSeconds ?? 60;
    try {
      this.#insert = store.db.prepare<unknown[]>('INSERT INTO identity_replay_v2 (k, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
      this.#prune = store.db.prepare<unknown[]>('DELETE FROM identity_replay_v2 WHERE expires_at < ?');
      this.#begin = store.db.prepare<unknown[]>('BEGIN IMMEDIATE');
      this.#commit = store.db.prepare<unknown[]>('COMMIT');
      this.#rollback = store.db.prepare<unknown[]>('ROLLBACK');
    } catch (cause) {
      throw new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable', { cause });
    }
  }

  /**
   * Records `id` in `scope` until `expiresAt` (epoch seconds). Throws `ERR_MESSAGE_REPLAYED`
   * (or `replayCode`) when it was seen before, `ERR_REPLAY_STORE_UNAVAILABLE` when the store
   * cannot answer.
   */
  checkAndRecord(scope: string, id: string, expiresAt: number, nowSeconds: number, replayCode: 'ERR_MESSAGE_REPLAYED' | 'ERR_HTTPSIG_REPLAYED' = 'ERR_MESSAGE_REPLAYED'): void {
    let changes: number;
    try {
      if (!this.#store.open) throw new Error('store is closed');
      changes = this.#insert.run(replayKey(scope, id), Math.trunc(expiresAt)).changes;
      if (nowSeconds - this.#lastPrune >= this.#pruneInterval) {
        this.#lastPrune = nowSeconds;
        this.#prune.run(Math.trunc(nowSeconds));
      }
    } catch (cause) {
      throw new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable; refusing rather than risking a replay', { cause });
    }
    if (changes === 0) {
      throw new IdentityError(replayCode, `\`${id}\` was already used`, { details: { scope, id } });
    }
  }

  /**
   * Runs `fn` (a verification that ends in {@link checkAndRecord}) in one immediate transaction on
   * this store's database: the deny-list reads and the recorded id see one state, and the
   * verification takes the database lock once instead of once per read and write. Inside a
   * transaction the caller already holds, `fn` simply runs in it. Errors of `fn` pass through
   * unchanged (and roll back); a transaction that cannot begin or commit refuses with
   * `ERR_REPLAY_STORE_UNAVAILABLE` (fail closed).
   */
  atomically<T>(fn: () => T): T {
    const unavailable = (cause: unknown) =>
      new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable; refusing rather than risking a replay', { cause });
    if (!this.#store.open) throw unavailable(new Error('store is closed'));
    const db = this.#store.db;
    // Inside the caller's transaction, that one gives the atomicity (and the durability).
    if (db.inTransaction) return fn();
    // Prepared BEGIN/COMMIT rather than a transaction function per call: building one costs
    // about as much as the rest of the bookkeeping of a verification.
    try {
      this.#begin.run();
    } catch (cause) {
      throw unavailable(cause);
    }
    let out: T;
    try {
      out = fn();
    } catch (error) {
      this.#rollbackQuietly();
      throw error;
    }
    try {
      this.#commit.run();
    } catch (cause) {
      this.#rollbackQuietly();
      throw unavailable(cause);
    }
    return out;
  }

  #rollbackQuietly(): void {
    try {
      if (this.#store.db.inTransaction) this.#rollback.run();
    } catch {
      // A failed rollback leaves SQLite to roll back on its own; the caller is already refused.
    }
  }

  /** Deletes entries that expired before `nowSeconds`; returns how many. */
  prune(nowSeconds: number): number {
    try {
      return this.#prune.run(Math.trunc(nowSeconds)).changes;
    } catch (cause) {
      throw new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable', { cause });
    }
  }
}
