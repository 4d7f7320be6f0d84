import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { StoreError } from './errors.ts';

/** One numbered schema change owned by a package. Applied once, in order, inside a transaction. */
export interface Migration {
  /** 1, 2, 3… per owner, no gaps. */
  version: number;
  /** A short name, e.g. `create-audit-leaves`. */
  name: string;
  /** SQL to run, or a function for changes SQL alone cannot express. */
  up: string | ((db: Database.Database) => void);
}

/** Migrations by owning package, e.g. `{ audit: [...], policy: [...] }`. */
export type MigrationSet = Readonly<Record<string, readonly Migration[]>>;

/** What `migrate` did for one owner. */
export interface MigrationResult {
  owner: string;
  applied: number[];
  current: number;
}

const OWNER = /^[a-z][a-z0-9-]{0,31}$/;

/** The table the runner keeps; created on first migration. */
export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS steward_migrations (
  owner TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (owner, version)
) STRICT`;

function checksumOf(m: Migration): string {
  const body = typeof m.up === 'string' ? m.up : m.up.toString();
  return createHash('sha256').update(`${m.version}\n${m.name}\n${body}`).digest('hex').slice(0, 16);
}

function validateSet(owner: string, migrations: readonly Migration[]): void {
  if (!OWNER.test(owner)) throw new TypeError(`migration owner \`${owner}\` must be lowercase kebab-case`);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new TypeError(`migrations of \`${owner}\` must be numbered 1, 2, 3… without gaps (found ${m.version} at ${i})`);
    }
  });
}

interface AppliedRow {
  version: number;
  checksum: string;
  name: string;
}

function appliedRows(db: Database.Database, owner: string): AppliedRow[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'steward_migrations'").get();
  if (!exists) return [];
  return db
    .prepare('SELECT version, checksum, name FROM steward_migrations WHERE owner = ? ORDER BY version')
    .all(owner) as AppliedRow[];
}

/**
 * Checks, without writing anything, that the database holds no migration newer than the code
 * knows and that applied migrations are unchanged. Throws `ERR_STORE_NEWER_SCHEMA` or
 * `ERR_STORE_MIGRATION_CHANGED`.
 */
export function checkMigrations(db: Database.Database, path: string, set: MigrationSet): void {
  for (const [owner, migrations] of Object.entries(set)) {
    validateSet(owner, migrations);
    const known = migrations.length;
    for (const row of appliedRows(db, owner)) {
      if (row.version > known) {
        throw new StoreError(
          'ERR_STORE_NEWER_SCHEMA',
          `database \`${path}\` was written by a newer Steward (${owner} schema ${row.version}, this version knows ${known}); upgrade Steward or use another database file`,
          { details: { path, owner, found: row.version, known } },
        );
      }
      const m = migrations[row.version - 1];
      if (m && checksumOf(m) !== row.checksum) {
        throw new StoreError(
          'ERR_STORE_MIGRATION_CHANGED',
          `migration ${owner}/${row.version} \`${row.name}\` differs from the one applied to \`${path}\`; a released migration must never change`,
          { details: { path, owner, version: row.version } },
        );
      }
    }
  }
}

/**
 * Applies the pending migrations of each owner, each in its own immediate transaction, and
 * records them. Idempotent: running it again applies nothing.
 */
export function applyMigrations(db: Database.Database, path: string, set: MigrationSet): MigrationResult[] {
  checkMigrations(db, path, set);
  db.exec(MIGRATIONS_TABLE_SQL);
  const record = db.prepare(
    'INSERT INTO steward_migrations (owner, version, name, checksum, applied_at) VALUES (?, ?, ?, ?, ?)',
  );
  const results: MigrationResult[] = [];
  for (const [owner, migrations] of Object.entries(set)) {
    const done = new Set(appliedRows(db, owner).map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const run = db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(owner, m.version, m.name, checksumOf(m), new Date().toISOString());
      });
      try {
        run.immediate();
      } catch (cause) {
        throw new StoreError(
          'ERR_STORE_MIGRATION_FAILED',
          `migration ${owner}/${m.version} \`${m.name}\` failed; nothing of it was applied`,
          { cause, details: { path, owner, version: m.version } },
        );
      }
      applied.push(m.version);
    }
    results.push({ owner, applied, current: migrations.length });
  }
  return results;
}
