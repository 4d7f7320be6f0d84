export { Store, openStore, STORE_FORMAT_VERSION } from './store.ts';
export type { OpenStoreOptions } from './store.ts';
export { applyMigrations, checkMigrations, MIGRATIONS_TABLE_SQL } from './migrations.ts';
export type { Migration, MigrationSet, MigrationResult } from './migrations.ts';
export { StoreError, STORE_ERROR_STATUS, mapSqliteError } from './errors.ts';
export type { StoreErrorCode } from './errors.ts';
export type { Database } from 'better-sqlite3';
