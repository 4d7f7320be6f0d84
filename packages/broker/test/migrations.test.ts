import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS as POLICY_MIGRATIONS } from '@steward/policy';
import { openStore } from '@steward/store';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/index.ts';

describe('broker tables', () => {
  it('answers the per-quote order questions from indexes, not by scanning every order', () => {
    const store = openStore(join(mkdtempSync(join(tmpdir(), 'steward-broker-mig-')), 'b.db'), { migrations: { policy: POLICY_MIGRATIONS, broker: MIGRATIONS } });
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x')) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join('; ');
    expect(plan("SELECT 1 FROM broker_orders WHERE vendor = ? AND status = 'accepted' LIMIT 1")).toMatch(/USING COVERING INDEX broker_orders_vendor_status/);
    expect(plan("SELECT COUNT(*) AS n FROM broker_orders WHERE created_at >= ? AND status IN ('signed','accepted')")).toMatch(/USING COVERING INDEX broker_orders_created/);
    store.close();
  });
});
