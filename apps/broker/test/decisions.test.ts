import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dryRun, loadPolicy, MIGRATIONS as POLICY_MIGRATIONS, parsePolicyRequest, TEST_REQUEST_DEFAULTS } from '@steward/policy';
import { FixedClock } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECORDED_DECISIONS, recordedDecisions, RecordingLedger, SERVER_MIGRATIONS } from '../src/decisions.ts';

const policy = loadPolicy(readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8'));
const NOW = Date.parse('2026-11-20T15:00:00Z');
let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-decisions-'));
  store = openStore(join(dir, 'db.sqlite'), { migrations: { policy: POLICY_MIGRATIONS, server: SERVER_MIGRATIONS } });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const order = (amountMinor: number) =>
  parsePolicyRequest({ ...TEST_REQUEST_DEFAULTS, action: 'order', category: 'groceries', amount: { amountMinor, currency: 'USD' }, time: new Date(NOW).toISOString() });

describe('RecordingLedger', () => {
  it('records each decision with its request and the spend each budget saw, and a dry run replays them', () => {
    const ledger = new RecordingLedger(store, { clock: new FixedClock(NOW) });
    const first = ledger.decideAndReserve(policy, order(4000));
    expect(first.decision.effect).toBe('allow');
    expect(first.reservation).toBeDefined();
    ledger.decideAndReserve(policy, order(3000));

    const recorded = recordedDecisions(store);
    expect(recorded).toHaveLength(2);
    expect(recorded[0]!.request.amount).toEqual({ amountMinor: 4000, currency: 'USD' });
    expect(recorded[0]!.spent).toEqual({ 'groceries-month': 0, 'per-vendor-day': 0, 'spending-month': 0 });
    // The second decision saw the first reservation in both monthly windows and in the vendor's day.
    expect(recorded[1]!.spent).toEqual({ 'groceries-month': 4000, 'per-vendor-day': 4000, 'spending-month': 4000 });
    expect(recorded[1]!.decision.effect).toBe('allow');
    expect(recorded[1]!.decision.policyVersion).toBe(policy.version);

    // Replaying with the same policy changes nothing; a lower grocery budget refuses the second order.
    expect(dryRun(policy, recorded).changed).toEqual([]);
    const tight = loadPolicy(policy.source.replace('limit: 600.00 USD', 'limit: 60.00 USD'));
    const report = dryRun(tight, recorded);
    expect(report.changed.map((c) => [c.index, c.before.effect, c.after.effect])).toEqual([[1, 'allow', 'deny']]);
  });

  it('records nothing when the decision fails, and keeps at most the newest decisions', () => {
    const ledger = new RecordingLedger(store, { clock: new FixedClock(NOW) });
    expect(() => ledger.decideAndReserve(policy, { ...order(100), action: 'nonsense' } as never)).toThrow();
    expect(recordedDecisions(store)).toHaveLength(0);
    // Fill past the cap cheaply, then let the ledger trim on its 100th insert.
    const insert = store.db.prepare("INSERT INTO server_decisions (decided_at, request_json, decision_json, spent_json) VALUES ('x', '{}', '{}', '{}')");
    store.transaction(() => {
      for (let i = 0; i < MAX_RECORDED_DECISIONS + 50; i++) insert.run();
    });
    for (let i = 0; i < 100; i++) ledger.decideAndReserve(policy, { ...order(100), action: 'contact_vendor' } as never);
    const count = (store.db.prepare('SELECT COUNT(*) AS n FROM server_decisions').get() as { n: number }).n;
    expect(count).toBeLessThanOrEqual(MAX_RECORDED_DECISIONS + 1);
    // The newest rows are the real ones and they parse.
    expect(recordedDecisions(store, 100)).toHaveLength(100);
  });
});
