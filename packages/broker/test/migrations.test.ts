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

describe('broker_orders settlement columns', () => {
  it('lists unsettled orders from a partial index, and refuses an unknown settlement value', () => {
    const store = openStore(join(mkdtempSync(join(tmpdir(), 'steward-broker-mig-')), 'b.db'), { migrations: { policy: POLICY_MIGRATIONS, broker: MIGRATIONS } });
    const plan = (store.db.prepare("EXPLAIN QUERY PLAN SELECT order_id FROM broker_orders WHERE status = 'signed' AND settlement IS NULL AND status_reason IS NOT NULL ORDER BY created_at, order_id").all() as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join('; ');
    expect(plan).toMatch(/USING INDEX broker_orders_unsettled/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    store.db.pragma('foreign_keys = OFF');
    expect(() =>
      store.db.prepare("INSERT INTO broker_orders (order_id, task_id, offer_hash, vendor, jws, order_hash, status, created_at, updated_at, settlement) VALUES ('o', 't', 'h', 'v', 'j', 'oh', 'accepted', 'x', 'x', 'maybe')").run(),
    ).toThrow(/CHECK constraint/);
    store.close();
  });
});
