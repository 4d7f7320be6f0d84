import { describe, expect, it } from 'vitest';
import { FixedClock } from '@steward/protocol';
import { verifyLog } from '../../src/index.ts';
import { ev, openLog } from './helpers.ts';

describe('gaps and timed checkpoints', () => {
  it('a failed write rejects its appends and leaves a signed gap record, never a silent hole', async () => {
    const { log, store } = openLog();
    await log.append(ev(0));
    // Simulate a storage failure for one kind of event.
    store.db.exec(`CREATE TRIGGER fail_sent BEFORE INSERT ON audit_leaves WHEN NEW.type = 'message.sent'
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const lost = log.append(ev(1, { type: 'message.sent', summary: 'rfq sent' }));
    const alsoLost = log.append(ev(2));
    await expect(lost).rejects.toMatchObject({ code: 'ERR_AUDIT_APPEND_FAILED', details: { lost: 2 } });
    await expect(alsoLost).rejects.toMatchObject({ code: 'ERR_AUDIT_APPEND_FAILED' });
    expect(log.size).toBe(2);
    const gap = log.get(1).event;
    expect(gap).toMatchObject({ type: 'gap', data: { lost: 2, firstType: 'message.sent' } });
    expect(log.latestCheckpoint()?.size).toBe(2);
    expect(verifyLog(store).ok).toBe(true);
  });

  it('signs a checkpoint once the configured time has passed', () => {
    const clock = new FixedClock(Date.UTC(2026, 10, 25, 10));
    const { log } = openLog(undefined, { clock, checkpointEvery: { seconds: 60 } });
    log.appendDurably(ev(0));
    expect(log.checkpoints().map((c) => c.size)).toEqual([1]);
    log.appendDurably(ev(1));
    expect(log.checkpoints().map((c) => c.size)).toEqual([1]);
    clock.advance(61_000);
    log.appendDurably(ev(2));
    expect(log.checkpoints().map((c) => c.size)).toEqual([1, 3]);
    log.close();
  });
});
