import { describe, expect, it, vi } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS } from '../../src/index.ts';
import { ev, openLog, tempDb } from './helpers.ts';

const matches = (db: ReturnType<typeof openStore>['db'], word: string) =>
  (db.prepare('SELECT rowid FROM audit_search WHERE audit_search MATCH ? ORDER BY rowid').pluck().all(`"${word}"`) as number[]);

describe('search index behind the appends', () => {
  it('a text query right after an append finds it: the index is caught up first', async () => {
    const { log, store } = openLog();
    await log.append(ev(0, { summary: 'zebra crossing fee' }));
    log.appendDurably(ev(1, { summary: 'quokka delivery' }));
    expect(log.searchBacklog).toBe(2);
    expect(matches(store.db, 'quokka')).toEqual([]);
    expect(log.query({ text: 'quokka' }).entries.map((e) => e.index)).toEqual([1]);
    expect(log.searchBacklog).toBe(0);
    expect(log.query({ text: 'zebra' }).entries.map((e) => e.index)).toEqual([0]);
    log.close();
    store.close();
  });

  it('indexes every event exactly once across chunks, restarts and repeated calls', () => {
    const path = tempDb();
    let { log, store } = openLog(path);
    for (let i = 0; i < 5000; i++) log.append(ev(i, { summary: `common word${i}` })).catch(() => undefined);
    log.flush();
    expect(log.indexSearch(4100)).toBe(4100);
    log.close();
    store.close();
    ({ log, store } = openLog(path));
    expect(log.searchBacklog).toBe(900);
    log.appendDurably(ev(5000, { summary: 'common last' }));
    expect(log.indexSearch()).toBe(901);
    expect(log.indexSearch()).toBe(0);
    expect(matches(store.db, 'common')).toEqual(Array.from({ length: 5001 }, (_, i) => i));
    expect(log.query({ text: 'word4099' }).entries.map((e) => e.index)).toEqual([4099]);
    expect(log.query({ text: 'word4100' }).entries.map((e) => e.index)).toEqual([4100]);
    log.close();
    store.close();
  });

  it('the idle timer indexes without a query', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { log, store } = openLog();
      const appended = log.append(ev(0, { summary: 'idle indexing works' }));
      vi.advanceTimersByTime(2);
      await appended;
      expect(log.searchBacklog).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(log.searchBacklog).toBe(0);
      expect(matches(store.db, 'idle')).toEqual([0]);
      log.close();
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a log from before the watermark counts its already indexed events as indexed', () => {
    const path = tempDb();
    const v1 = openStore(path, { migrations: { audit: MIGRATIONS.slice(0, 1) } });
    const insert = v1.db.prepare("INSERT INTO audit_leaves (idx, event, type, at_ms) VALUES (?, x'7b7d', 'decision', 0)");
    for (let i = 0; i < 3; i++) insert.run(i);
    v1.close();
    const store = openStore(path, { migrations: { audit: MIGRATIONS } });
    expect(store.db.prepare('SELECT indexed FROM audit_search_state').pluck().get()).toBe(3);
    store.close();
  });
});
