import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@steward/store';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/migrations.ts';
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

describe('replay store', () => {
  it('records once per scope, prunes expired entries, and keeps entries across the v3 migration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-replay-'));
    const path = join(dir, 'steward.db');
    try {
      // A database at schema 2 with an entry in the old table.
      const old = openStore(path, { migrations: { identity: MIGRATIONS.slice(0, 2) } });
      old.db.prepare('INSERT INTO identity_replay (scope, id, expires_at) VALUES (?, ?, ?)').run('jws:https://shop.example', 'old-jti-0123456789', T0 + 600);
      old.close();
      const store = openStore(path, { migrations: { identity: MIGRATIONS } });
      const replay = new ReplayStore(store);
      expect(codeOf(() => replay.checkAndRecord('jws:https://shop.example', 'old-jti-0123456789', T0 + 600, T0))).toBe('ERR_MESSAGE_REPLAYED');
      replay.checkAndRecord('jws:https://other.example', 'old-jti-0123456789', T0 + 600, T0);
      replay.checkAndRecord('httpsig:x', 'n1', T0 + 10, T0);
      expect(codeOf(() => replay.checkAndRecord('httpsig:x', 'n1', T0 + 10, T0, 'ERR_HTTPSIG_REPLAYED'))).toBe('ERR_HTTPSIG_REPLAYED');
      expect(replay.prune(T0 + 11)).toBe(1);
      expect(replay.prune(T0 + 601)).toBe(2);
      store.close();
      expect(codeOf(() => replay.checkAndRecord('s', 'fresh', T0 + 10, T0))).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
