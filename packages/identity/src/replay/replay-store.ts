import type { Store } from '@steward/store';
import { IdentityError } from '../errors.ts';

/** The part of a better-sqlite3 statement used here. */
interface Statement {
  run(...params: unknown[]): { changes: number };
}

/** Options of a {@link ReplayStore}. */
export interface ReplayStoreOptions {
  /** Prune expired entries every this many recordings. Default 1000. */
  pruneEvery?: number;
}

/**
 * A durable seen-identifier store (JWS `jti`, RFC 9421 `nonce`) in SQLite. Check-and-record is
 * one `INSERT … ON CONFLICT DO NOTHING`, so it is atomic across processes; an entry lives until
 * its message can no longer verify, then it is pruned. Any database error refuses (fail closed).
 */
export class ReplayStore {
  readonly #store: Store;
  readonly #insert: Statement;
  readonly #prune: Statement;
  readonly #pruneEvery: number;
  #sincePrune = 0;

  constructor(store: Store, options: ReplayStoreOptions = {}) {
    this.#store = store;
    this.#pruneEvery = options.pruneEvery ?? 1000;
    try {
      this.#insert = store.db.prepare<unknown[]>('INSERT INTO identity_replay (scope, id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
      this.#prune = store.db.prepare<unknown[]>('DELETE FROM identity_replay WHERE expires_at < ?');
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
      changes = this.#insert.run(scope, id, Math.trunc(expiresAt)).changes;
      if (++this.#sincePrune >= this.#pruneEvery) {
        this.#sincePrune = 0;
        this.#prune.run(Math.trunc(nowSeconds));
      }
    } catch (cause) {
      throw new IdentityError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store is unavailable; refusing rather than risking a replay', { cause });
    }
    if (changes === 0) {
      throw new IdentityError(replayCode, `\`${id}\` was already used`, { details: { scope, id } });
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
