import { describe, expect, it } from 'vitest';
import { verifyLog } from '../../src/index.ts';
import { ev, openLog } from './helpers.ts';

const rows = (store: ReturnType<typeof openLog>['store']) =>
  store.db.prepare('SELECT v FROM caller_rows ORDER BY v').pluck().all() as number[];

describe('AuditLog.appendWith: an event and the caller\u2019s rows in one durable commit', () => {
  it('writes both, durably, and returns the write\u2019s result with the receipt', () => {
    const { store, log } = openLog();
    store.db.exec('CREATE TABLE caller_rows (v INTEGER NOT NULL) STRICT');
    void log.append(ev(0));
    const { receipt, result } = log.appendWith(ev(1, { type: 'order.failed' }), () => {
      store.db.prepare('INSERT INTO caller_rows (v) VALUES (1)').run();
      return 'done';
    });
    expect(result).toBe('done');
    // The event queued before was written first, on its own.
    expect(receipt.index).toBe(1);
    expect(log.size).toBe(2);
    expect(rows(store)).toEqual([1]);
    expect(log.get(1).event.type).toBe('order.failed');
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });

  it('writes neither when the caller\u2019s write throws, rethrows its error, records no gap and keeps earlier events', () => {
    const { store, log } = openLog();
    store.db.exec('CREATE TABLE caller_rows (v INTEGER NOT NULL) STRICT');
    void log.append(ev(0));
    const refused = Object.assign(new Error('the order changed meanwhile'), { code: 'ERR_TEST_REFUSED' });
    expect(() =>
      log.appendWith(ev(1, { type: 'order.failed' }), () => {
        store.db.prepare('INSERT INTO caller_rows (v) VALUES (1)').run();
        throw refused;
      }),
    ).toThrow(refused);
    expect(rows(store)).toEqual([]);
    expect(log.size).toBe(1);
    expect(log.get(0).event.summary).toBe('offer 0 received');
    // The tree in memory did not keep the withdrawn leaf: the next append lands at index 1.
    expect(log.appendDurably(ev(2)).index).toBe(1);
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });

  it('refuses inside an open transaction (it could still roll back) and refuses an invalid event before writing', () => {
    const { store, log } = openLog();
    store.db.exec('CREATE TABLE caller_rows (v INTEGER NOT NULL) STRICT');
    const write = () => store.db.prepare('INSERT INTO caller_rows (v) VALUES (1)').run();
    expect(() => store.transaction(() => log.appendWith(ev(1), write))).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_APPEND_FAILED' }));
    expect(() => log.appendWith({ ...ev(1), extra: true } as never, write)).toThrow(expect.objectContaining({ code: 'ERR_SCHEMA_INVALID' }));
    expect(rows(store)).toEqual([]);
    expect(log.size).toBe(0);
    log.close();
    store.close();
  });
});
