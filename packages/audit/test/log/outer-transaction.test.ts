import { describe, expect, it } from 'vitest';
import { verifyLog } from '../../src/index.ts';
import { ev, openLog } from './helpers.ts';

describe('appends made while a caller holds a transaction', () => {
  it('refuses a durable append inside an open transaction and keeps the log whole', () => {
    const { store, log } = openLog();
    expect(() => store.transaction(() => log.appendDurably(ev(1, { type: 'order.signed' })))).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_APPEND_FAILED' }),
    );
    expect(log.size).toBe(0);
    log.appendDurably(ev(2, { type: 'order.signed' }));
    expect(log.size).toBe(1);
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });

  it('writes a commitment appended inside a transaction that rolls back only after it, and the log stays consistent (regression: the tree kept rolled-back leaves)', async () => {
    const { store, log } = openLog();
    let acknowledged: Promise<unknown> | undefined;
    expect(() =>
      store.transaction(() => {
        acknowledged = log.append(ev(1, { type: 'approval.granted' }));
        throw new Error('the caller rolls back');
      }),
    ).toThrow('the caller rolls back');
    // The event was not lost with the caller's rollback: it is written right after.
    await acknowledged;
    expect(log.size).toBe(1);
    log.appendDurably(ev(2, { type: 'order.signed' }));
    expect(log.size).toBe(2);
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });
});
