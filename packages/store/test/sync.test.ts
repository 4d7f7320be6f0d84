import type * as NodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore, type Migration, type Store } from '../src/index.ts';

// The WAL syncs are held by the test and released one by one, so their order is observable.
const ctl = vi.hoisted(() => ({
  hold: false,
  held: [] as Array<(error?: Error) => void>,
  syncSync: 0,
  failSyncSync: false,
}));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const fdatasync = (fd: number, cb: (error: NodeJS.ErrnoException | null) => void) => {
    if (!ctl.hold) return fs.fdatasync(fd, cb);
    ctl.held.push((error) => (error ? cb(error) : fs.fdatasync(fd, cb)));
  };
  const fdatasyncSync = (fd: number) => {
    ctl.syncSync++;
    if (ctl.failSyncSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    fs.fdatasyncSync(fd);
  };
  return { ...fs, default: { ...fs, fdatasync, fdatasyncSync }, fdatasync, fdatasyncSync };
});

const notes: Migration[] = [{ version: 1, name: 'create-notes', up: 'CREATE TABLE notes_items (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT' }];
let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-sync-'));
  store = openStore(join(dir, 's.db'), { migrations: { notes } });
  Object.assign(ctl, { hold: true, held: [], syncSync: 0, failSyncSync: false });
});
afterEach(() => {
  ctl.hold = false;
  for (const release of ctl.held.splice(0)) release();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const commit = (body: string) => store.transaction(() => store.statement('INSERT INTO notes_items (body) VALUES (?)').run(body));
const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
};
const release = async (error?: Error) => {
  ctl.held.shift()!(error);
  await new Promise((r) => setTimeout(r, 20)); // the real fdatasync behind it returns
};

describe('whenSynced (group commit of the WAL)', () => {
  it('settles a caller only with a sync issued after its call (regression: a stale shared wait acknowledged a later commit)', async () => {
    commit('a');
    const a = store.whenSynced(); // sync 1 issued
    commit('b');
    const b = store.whenSynced(); // waits for sync 2
    expect(ctl.held).toHaveLength(1);
    let c: Promise<void> | undefined;
    void a.then(() => {
      // Resumed by sync 1, while sync 2 is already issued: C's commit is after sync 2 started.
      commit('c');
      c = store.whenSynced();
    });
    await release(); // sync 1 returns: A acknowledged, sync 2 issued for B
    expect(await settled(a)).toBe(true);
    expect(await settled(b)).toBe(false);
    expect(c).toBeDefined();
    expect(ctl.held).toHaveLength(1);
    await release(); // sync 2 returns: B acknowledged, C must wait for sync 3
    expect(await settled(b)).toBe(true);
    expect(await settled(c!)).toBe(false);
    expect(ctl.held).toHaveLength(1);
    await release(); // sync 3
    expect(await settled(c!)).toBe(true);
    expect(ctl.held).toHaveLength(0);
  });

  it('shares one sync between every caller that asks while one runs', async () => {
    commit('a');
    const first = store.whenSynced();
    const later = Array.from({ length: 5 }, (_, i) => (commit(`b${i}`), store.whenSynced()));
    await release();
    await first;
    expect(ctl.held).toHaveLength(1); // one sync for all five
    await release();
    await Promise.all(later);
    expect(ctl.held).toHaveLength(0);
  });

  it('close() syncs what waiters still wait for, even when its checkpoint cannot run', async () => {
    commit('a');
    const a = store.whenSynced();
    commit('b');
    const b = store.whenSynced();
    store.close();
    expect(ctl.syncSync).toBe(1);
    await release(); // the sync that was running returns too
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('close() while a sync runs settles the waiters only when it returns, and rejects them if either sync failed', async () => {
    commit('a');
    const a = store.whenSynced(); // held in the thread pool
    commit('b');
    const b = store.whenSynced();
    store.close(); // its own sync succeeds
    expect(ctl.syncSync).toBe(1);
    expect(await settled(a)).toBe(false);
    expect(await settled(b)).toBe(false);
    const outcomes = Promise.allSettled([a, b]);
    await release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    for (const r of await outcomes) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_SYNC_FAILED' } });
  });

  it('latches on a COMMIT whose fsync failed inside SQLite', () => {
    expect(() =>
      store.durably(() => {
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_FSYNC' });
      }),
    ).toThrow('disk I/O error');
    expect(() => commit('after')).toThrow(expect.objectContaining({ code: 'ERR_STORE_SYNC_FAILED' }));
  });

  it('close() rejects the waiters when its own sync fails', async () => {
    commit('a');
    const a = store.whenSynced();
    ctl.failSyncSync = true;
    store.close();
    const outcome = Promise.allSettled([a]);
    await release(); // the running one succeeds, close()'s own failed: not durable
    expect((await outcome)[0]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_SYNC_FAILED' } });
  });

  it('after a failed sync, rejects its waiters and refuses every later use with ERR_STORE_SYNC_FAILED', async () => {
    commit('a');
    const a = store.whenSynced();
    commit('b');
    const b = store.whenSynced();
    const outcomes = Promise.allSettled([a, b]);
    await release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const [ra, rb] = await outcomes;
    // B asked during the failed sync: a failed store acknowledges nothing more.
    for (const r of [ra, rb]) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_SYNC_FAILED' } });
    expect(ctl.held).toHaveLength(0);
    expect(() => commit('c')).toThrow(expect.objectContaining({ code: 'ERR_STORE_SYNC_FAILED' }));
    expect(() => store.statement('SELECT 1')).toThrow(expect.objectContaining({ code: 'ERR_STORE_SYNC_FAILED' }));
    expect(() => store.whenSynced()).toThrow(expect.objectContaining({ code: 'ERR_STORE_SYNC_FAILED' }));
  });
});
