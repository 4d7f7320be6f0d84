import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS } from '../../src/migrations.ts';
import { IdentityError } from '../../src/errors.ts';
import { ReplayStore } from '../../src/replay/replay-store.ts';
import { T0 } from '../fixtures.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

describe('ReplayStore.atomically', () => {
  it('commits what the verification recorded, and rolls it back when the verification fails after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-identity-'));
    try {
      const store = openStore(join(dir, 's.db'), { migrations: { identity: MIGRATIONS } });
      const replay = new ReplayStore(store);
      expect(replay.atomically(() => (replay.checkAndRecord('s', 'kept', T0 + 60, T0), 7))).toBe(7);
      expect(codeOf(() => replay.checkAndRecord('s', 'kept', T0 + 60, T0))).toBe('ERR_MESSAGE_REPLAYED');
      const failure = new IdentityError('ERR_JWS_SIGNATURE_INVALID', 'bad');
      expect(() =>
        replay.atomically(() => {
          replay.checkAndRecord('s', 'dropped', T0 + 60, T0);
          throw failure;
        }),
      ).toThrow(failure);
      replay.checkAndRecord('s', 'dropped', T0 + 60, T0);
      // Inside the caller's transaction it runs in that one, whose rollback undoes it too.
      expect(() =>
        store.transaction(() => {
          replay.atomically(() => replay.checkAndRecord('s', 'nested', T0 + 60, T0));
          throw new Error('caller gives up');
        }),
      ).toThrow('caller gives up');
      replay.checkAndRecord('s', 'nested', T0 + 60, T0);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses with ERR_REPLAY_STORE_UNAVAILABLE when the database is locked by another writer or closed (fail closed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-identity-'));
    try {
      const path = join(dir, 's.db');
      const store = openStore(path, { migrations: { identity: MIGRATIONS }, busyTimeoutMs: 10 });
      const replay = new ReplayStore(store);
      const other = openStore(path, { migrations: { identity: MIGRATIONS } });
      other.db.exec('BEGIN IMMEDIATE');
      let ran = false;
      expect(codeOf(() => replay.atomically(() => (ran = true)))).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
      expect(ran).toBe(false);
      other.db.exec('ROLLBACK');
      other.close();
      expect(replay.atomically(() => 'ok')).toBe('ok');
      store.close();
      expect(codeOf(() => replay.atomically(() => 'ok'))).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
