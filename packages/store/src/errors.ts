import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the store, with the HTTP status each maps to. */
export const STORE_ERROR_STATUS = {
  ERR_STORE_OPEN_FAILED: 500,
  ERR_STORE_LOCKED: 503,
  ERR_STORE_CORRUPT: 500,
  ERR_STORE_NEWER_SCHEMA: 500,
  ERR_STORE_MIGRATION_FAILED: 500,
  ERR_STORE_MIGRATION_CHANGED: 500,
  ERR_STORE_CLOSED: 503,
  ERR_STORE_SYNC_FAILED: 500,
} as const satisfies Record<string, number>;

/** A code raised by the store. */
export type StoreErrorCode = keyof typeof STORE_ERROR_STATUS;

/** Something went wrong opening, migrating or using the database. */
export class StoreError extends StewardError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, STORE_ERROR_STATUS[code], options);
  }
}

/**
 * Maps a better-sqlite3 error to a coded {@link StoreError} when it is one the person can act on
 * (locked, corrupt); anything else is returned unchanged.
 */
export function mapSqliteError(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT') {
    return new StoreError('ERR_STORE_LOCKED', `database \`${path}\` is locked by another process`, {
      cause: error,
      details: { path },
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code === 'SQLITE_CORRUPT_VTAB') {
    return new StoreError('ERR_STORE_CORRUPT', `database \`${path}\` is corrupt or not a Steward database`, {
      cause: error,
      details: { path },
    });
  }
  return error;
}
