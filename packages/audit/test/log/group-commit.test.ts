import { describe, expect, it } from 'vitest';
import { verifyLog } from '../../src/index.ts';
import { ev, openLog } from './helpers.ts';

/** Replaces the store's WAL sync with one the test releases by hand. */
function holdSyncs(store: ReturnType<typeof openLog>['store']) {
  const held: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const real = store.whenSynced.bind(store);
  store.whenSynced = () => new Promise<void>((resolve, reject) => held.push({ resolve, reject }));
  return { held, restore: () => (store.whenSynced = real) };
}

describe('group-committed appends', () => {
  it('are acknowledged only after the WAL sync returns, not when the transaction commits', async () => {
    const { store, log } = openLog(undefined, { groupCommit: { maxBatch: 1000, maxDelayMs: 1 } });
    const { held } = holdSyncs(store);
    let acked = 0;
    const receipts = [log.append(ev(1)), log.append(ev(2))].map((p) => p.then((r) => (acked++, r)));
    await new Promise((r) => setTimeout(r, 20));
    // Committed (the tree and a reader see them) but not yet confirmed on disk: not acknowledged.
    expect(log.size).toBe(2);
    expect(held).toHaveLength(1);
    expect(acked).toBe(0);
    held[0]!.resolve();
    expect((await Promise.all(receipts)).map((r) => r.index)).toEqual([0, 1]);
    expect(acked).toBe(2);
    log.close();
    store.close();
  });

  it('rejects with ERR_AUDIT_APPEND_FAILED when the disk does not confirm, and the log stays verifiable', async () => {
    const { store, log } = openLog(undefined, { groupCommit: { maxBatch: 1000, maxDelayMs: 1 } });
    const { held, restore } = holdSyncs(store);
    const pending = log.append(ev(1));
    await new Promise((r) => setTimeout(r, 20));
    held[0]!.reject(new Error('EIO'));
    await expect(pending).rejects.toMatchObject({ code: 'ERR_AUDIT_APPEND_FAILED', details: { unconfirmed: 1 } });
    restore();
    await log.append(ev(2));
    expect(log.size).toBe(2);
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });

  it('writes a commitment event with synchronous=FULL and acknowledges it without waiting for a WAL sync', async () => {
    const { store, log } = openLog(undefined, { groupCommit: { maxBatch: 1000, maxDelayMs: 1 } });
    const { held } = holdSyncs(store);
    const receipt = await log.append(ev(1, { type: 'order.signed' }));
    expect(receipt.index).toBe(0);
    expect(held).toHaveLength(0);
    log.close();
    store.close();
  });

  it('acknowledges a real group commit (fdatasync of the WAL) and the log verifies', async () => {
    const { store, log } = openLog(undefined, { groupCommit: { maxBatch: 1000, maxDelayMs: 1 } });
    const receipts = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(ev(i))));
    expect(receipts.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(verifyLog(store).ok).toBe(true);
    log.close();
    store.close();
  });
});
