import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, openStore, type Migration } from '../src/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const notes: Migration[] = [
  {
    version: 1,
    name: 'create-notes',
    up: 'CREATE TABLE notes_items (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT',
  },
  {
    version: 2,
    name: 'add-created-at',
    up: "ALTER TABLE notes_items ADD COLUMN created_at TEXT NOT NULL DEFAULT ''",
  },
];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return error.code;
    throw error;
  }
  return 'none';
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('openStore', () => {
  it('opens a file in WAL mode with foreign keys on', () => {
    const store = openStore(join(dir, 'a.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    store.close();
  });

  it('applies migrations once; applying them twice changes nothing', () => {
    const path = join(dir, 'm.db');
    const first = openStore(path, { migrations: { notes } });
    first.db.prepare("INSERT INTO notes_items (body) VALUES ('kept')").run();
    const again = first.migrate({ notes });
    expect(again).toEqual([{ owner: 'notes', applied: [], current: 2 }]);
    first.close();
    const before = sha(path);
    const second = openStore(path, { migrations: { notes } });
    const rows = second.db.prepare('SELECT version FROM steward_migrations WHERE owner = ?').all('notes');
    expect(rows).toHaveLength(2);
    expect(second.db.prepare('SELECT body FROM notes_items').all()).toEqual([{ body: 'kept' }]);
    second.close();
    expect(sha(path)).toBe(before);
  });

  it('applies only the pending migrations of an owner', () => {
    const path = join(dir, 'p.db');
    openStore(path, { migrations: { notes: notes.slice(0, 1) } }).close();
    const store = openStore(path, { migrations: { notes } });
    expect(store.db.prepare('SELECT created_at FROM notes_items').all()).toEqual([]);
    store.close();
  });

  it('refuses a database written by a newer schema and touches nothing', () => {
    const path = join(dir, 'newer.db');
    const future: Migration[] = [
      ...notes,
      { version: 3, name: 'future', up: 'CREATE TABLE notes_future (x INTEGER) STRICT' },
    ];
    openStore(path, { migrations: { notes: future } }).close();
    const before = sha(path);
    const error = (() => {
      try {
        openStore(path, { migrations: { notes } });
      } catch (e) {
        return e as StoreError;
      }
      throw new Error('expected a StoreError');
    })();
    expect(error.code).toBe('ERR_STORE_NEWER_SCHEMA');
    expect(error.details).toMatchObject({ owner: 'notes', found: 3, known: 2 });
    expect(error.message).toContain('newer Steward');
    expect(sha(path)).toBe(before);
  });

  it('refuses a database with a newer store format and touches nothing', () => {
    const path = join(dir, 'format.db');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const before = sha(path);
    expect(codeOf(() => openStore(path))).toBe('ERR_STORE_NEWER_SCHEMA');
    expect(sha(path)).toBe(before);
  });

  it('refuses a migration whose text changed after it was applied', () => {
    const path = join(dir, 'changed.db');
    openStore(path, { migrations: { notes } }).close();
    const edited = [
      notes[0]!,
      { ...notes[1]!, up: "ALTER TABLE notes_items ADD COLUMN other TEXT NOT NULL DEFAULT ''" },
    ];
    expect(codeOf(() => openStore(path, { migrations: { notes: edited } }))).toBe(
      'ERR_STORE_MIGRATION_CHANGED',
    );
  });

  it('rolls back a failing migration as a whole', () => {
    const path = join(dir, 'fail.db');
    const broken: Migration[] = [
      {
        version: 1,
        name: 'half',
        up: 'CREATE TABLE notes_half (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1)',
      },
    ];
    expect(codeOf(() => openStore(path, { migrations: { notes: broken } }))).toBe(
      'ERR_STORE_MIGRATION_FAILED',
    );
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'notes_half'").get()).toBeUndefined();
    raw.close();
  });

  it('reports a corrupt file with ERR_STORE_CORRUPT and leaves it as it was', () => {
    const path = join(dir, 'corrupt.db');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    const before = sha(path);
    expect(codeOf(() => openStore(path))).toBe('ERR_STORE_CORRUPT');
    expect(sha(path)).toBe(before);
  });

  it('reports a file locked by another process with ERR_STORE_LOCKED', () => {
    const path = join(dir, 'locked.db');
    openStore(path, { migrations: { notes } }).close();
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const store = openStore(path, { busyTimeoutMs: 50 });
      expect(
        codeOf(() =>
          store.transaction(() => store.db.prepare("INSERT INTO notes_items (body) VALUES ('x')").run()),
        ),
      ).toBe('ERR_STORE_LOCKED');
      store.close();
    } catch (error) {
      // Opening itself may already hit the lock, which is the same answer.
      expect((error as StoreError).code).toBe('ERR_STORE_LOCKED');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('refuses use after close with ERR_STORE_CLOSED', () => {
    const store = openStore(join(dir, 'c.db'));
    store.close();
    store.close();
    expect(codeOf(() => store.transaction(() => 1))).toBe('ERR_STORE_CLOSED');
  });

  it('composes nested transactions as savepoints of the outer one', () => {
    const store = openStore(join(dir, 'n.db'), { migrations: { notes } });
    expect(() =>
      store.durably(() => {
        store.transaction(() => store.db.prepare("INSERT INTO notes_items (body) VALUES ('inner')").run());
        store.durably(() =>
          store.db.prepare("INSERT INTO notes_items (body) VALUES ('inner durable')").run(),
        );
        throw new Error('outer fails');
      }),
    ).toThrow('outer fails');
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM notes_items').get()).toEqual({ n: 0 });
    store.durably(() =>
      store.transaction(() => store.db.prepare("INSERT INTO notes_items (body) VALUES ('kept')").run()),
    );
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM notes_items').get()).toEqual({ n: 1 });
    store.close();
  });

  it('commits durable writes with synchronous=FULL and restores NORMAL after', () => {
    const store = openStore(join(dir, 'd.db'), { migrations: { notes } });
    let during = -1;
    store.durably(() => {
      during = store.db.pragma('synchronous', { simple: true }) as number;
      store.db.prepare("INSERT INTO notes_items (body) VALUES ('order')").run();
    });
    expect(during).toBe(2);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    store.close();
  });

  it('rolls back only the failing savepoint and keeps the outer transaction', () => {
    const store = openStore(join(dir, 's.db'), { migrations: { notes } });
    const insert = (body: string) => store.statement('INSERT INTO notes_items (body) VALUES (?)').run(body);
    store.transaction(() => {
      insert('before');
      expect(() =>
        store.transaction(() => {
          insert('inner');
          throw new Error('inner fails');
        }),
      ).toThrow('inner fails');
      insert('after');
    });
    expect(store.db.prepare('SELECT body FROM notes_items ORDER BY id').pluck().all()).toEqual([
      'before',
      'after',
    ]);
    expect(store.db.inTransaction).toBe(false);
    store.close();
  });

  it('refuses a transaction function that returns a promise, and rolls it back', () => {
    const store = openStore(join(dir, 'p.db'), { migrations: { notes } });
    expect(() =>
      store.transaction(() => {
        store.statement("INSERT INTO notes_items (body) VALUES ('async')").run();
        return Promise.resolve(1);
      }),
    ).toThrow('cannot return a promise');
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM notes_items').get()).toEqual({ n: 0 });
    expect(store.db.inTransaction).toBe(false);
    store.close();
  });

  it('prepares a statement once and hands the same one back', () => {
    const store = openStore(join(dir, 'c.db'), { migrations: { notes } });
    const a = store.statement('SELECT COUNT(*) AS n FROM notes_items');
    expect(store.statement('SELECT COUNT(*) AS n FROM notes_items')).toBe(a);
    expect(a.get()).toEqual({ n: 0 });
    expect(() => store.statement('SELECT nope FROM nowhere')).toThrow(/no such table/);
    store.close();
    expect(codeOf(() => store.statement('SELECT 1 AS one'))).toBe('ERR_STORE_CLOSED');
  });

  it('whenSynced resolves after committed writes reach the WAL on disk', async () => {
    const store = openStore(join(dir, 'w.db'), { migrations: { notes } });
    store.transaction(() => store.statement("INSERT INTO notes_items (body) VALUES ('one')").run());
    const first = store.whenSynced();
    store.transaction(() => store.statement("INSERT INTO notes_items (body) VALUES ('two')").run());
    const second = store.whenSynced();
    await Promise.all([first, second]);
    // A second connection sees both commits (they are in the WAL that was synced).
    const other = new Database(join(dir, 'w.db'), { readonly: true });
    expect(other.prepare('SELECT COUNT(*) AS n FROM notes_items').get()).toEqual({ n: 2 });
    other.close();
    const pending = store.whenSynced();
    store.close();
    await expect(pending).resolves.toBeUndefined();
    expect(() => store.whenSynced()).toThrow(StoreError);
  });

  it('whenSynced resolves at once for an in-memory store', async () => {
    const store = openStore(':memory:', { migrations: { notes } });
    await expect(store.whenSynced()).resolves.toBeUndefined();
    store.close();
  });
});
