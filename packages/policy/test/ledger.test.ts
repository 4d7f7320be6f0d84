import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixedClock } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicy, MIGRATIONS, PolicyError, reservesMoney, SpendLedger, type PolicyRequest } from '../src/index.ts';

const CAP_POLICY = `version: 1
name: cap
timezone: Europe/Berlin
budgets:
  - id: month-cap
    limit: 100.00 USD
    per: month
rules:
  - id: allow-orders
    effect: allow
    when: { action: order }
`;

const order = (amount: number, time = '2026-03-10T12:00:00Z'): PolicyRequest => ({
  action: 'order',
  category: 'groceries',
  vendor: { origin: 'https://shop.example', verified: true, signedCard: true, enrolled: true, new: false },
  amount: { amountMinor: amount, currency: 'USD' },
  flags: [],
  time,
  counters: {},
});

let dir: string;
let store: Store;
const clock = new FixedClock(Date.parse('2026-03-10T12:00:00Z'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-ledger-'));
  store = openStore(join(dir, 'steward.db'), { migrations: { policy: MIGRATIONS } });
  clock.set(Date.parse('2026-03-10T12:00:00Z'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SpendLedger', () => {
  const policy = loadPolicy(CAP_POLICY);

  it('writes a decision with synchronous=FULL only when it can reserve money', () => {
    const ledger = new SpendLedger(store, { clock });
    const durably = vi.spyOn(store, 'durably');
    const plain = vi.spyOn(store, 'transaction');
    const contact: PolicyRequest = { ...order(100), action: 'contact_vendor', amount: undefined };
    expect(reservesMoney(order(100))).toBe(true);
    expect(reservesMoney(contact)).toBe(false);
    ledger.decideAndReserve(policy, contact);
    expect(durably).not.toHaveBeenCalled();
    expect(plain).toHaveBeenCalledTimes(1);
    ledger.decideAndReserve(policy, order(100));
    expect(durably).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
  });

  it('reserves what it allows and refuses what would go over the cap', () => {
    const ledger = new SpendLedger(store, { clock });
    const first = ledger.decideAndReserve(policy, order(9000));
    expect(first.decision.effect).toBe('allow');
    expect(first.reservation?.state).toBe('reserved');
    const second = ledger.decideAndReserve(policy, order(2000));
    expect(second.decision.effect).toBe('deny');
    expect(second.decision.determiningRules).toEqual(['month-cap']);
    expect(second.reservation).toBeUndefined();
    expect(second.decision.reasons[0]?.message).toContain('$110.00');
  });

  it('stops counting a released reservation at once', () => {
    const ledger = new SpendLedger(store, { clock });
    const first = ledger.decideAndReserve(policy, order(9000));
    ledger.release(first.reservation!.reservationId, 'vendor failed');
    expect(ledger.decideAndReserve(policy, order(9000)).decision.effect).toBe('allow');
  });

  it('stops counting an expired reservation but keeps counting a committed one', () => {
    const ledger = new SpendLedger(store, { clock, reservationTtlSeconds: 60 });
    const a = ledger.decideAndReserve(policy, order(6000));
    clock.advance(61_000);
    expect(ledger.decideAndReserve(policy, order(6000)).decision.effect).toBe('allow');
    expect(ledger.releaseExpired().map((r) => r.reservationId)).toEqual([a.reservation!.reservationId]);
    const b = ledger.decideAndReserve(policy, order(3000, '2026-03-10T12:05:00Z'));
    expect(b.decision.effect).toBe('allow');
    ledger.commit(b.reservation!.reservationId);
    clock.advance(3_600_000);
    // The second 60.00 reservation has expired by now too: only committed money still counts.
    expect(ledger.spent({ budgetId: 'month-cap', currency: 'USD', sinceMs: 0, nowMs: clock.now() })).toBe(
      3000,
    );
  });

  it('starts a fresh calendar month in the policy time zone', () => {
    const ledger = new SpendLedger(store, { clock });
    const r = ledger.decideAndReserve(policy, order(9000, '2026-03-31T21:30:00Z'));
    ledger.commit(r.reservation!.reservationId);
    // 22:30 UTC on 31 March is already 1 April 00:30 in Berlin (CEST, UTC+2).
    expect(ledger.decideAndReserve(policy, order(9000, '2026-03-31T22:30:00Z')).decision.effect).toBe(
      'allow',
    );
    expect(ledger.decideAndReserve(policy, order(9000, '2026-03-31T21:45:00Z')).decision.effect).toBe('deny');
  });

  it('refuses to commit a released reservation and to settle an unknown one', () => {
    const ledger = new SpendLedger(store, { clock });
    const r = ledger.decideAndReserve(policy, order(1000)).reservation!;
    ledger.release(r.reservationId);
    expect(() => ledger.commit(r.reservationId)).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_RESERVATION_STATE' }),
    );
    expect(() => ledger.release('nope')).toThrow(PolicyError);
    expect(() => ledger.release('nope')).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_RESERVATION_NOT_FOUND' }),
    );
    expect(ledger.release(r.reservationId).state).toBe('released');
  });

  it('reserves an approved ask but never a deny', () => {
    const askPolicy = loadPolicy(CAP_POLICY.replace('per: month', 'per: month\n    over: ask'));
    const ledger = new SpendLedger(store, { clock });
    ledger.decideAndReserve(askPolicy, order(9000));
    const over = ledger.decideAndReserve(askPolicy, order(2000));
    expect(over.decision.effect).toBe('ask');
    expect(over.reservation).toBeUndefined();
    expect(ledger.decideAndReserve(askPolicy, order(2000), { approved: true }).reservation?.state).toBe(
      'reserved',
    );
    const denied = ledger.decideAndReserve(policy, order(2000), { approved: true });
    expect(denied.decision.effect).toBe('deny');
    expect(denied.reservation).toBeUndefined();
  });

  it('counts spending only in the categories and with the vendors a budget names', () => {
    const scoped = loadPolicy(
      CAP_POLICY.replace(
        'per: month',
        'per: month\n    category: groceries\n    vendor: https://shop.example',
      ),
    );
    const ledger = new SpendLedger(store, { clock });
    const placed = [order(9000)];
    placed.push({ ...order(9000), category: 'travel' });
    placed.push({ ...order(9000), vendor: { ...order(0).vendor, origin: 'https://other.example' } });
    for (const r of placed) {
      const { decision, reservation } = ledger.decideAndReserve(scoped, r);
      expect(decision.effect).toBe('allow');
      ledger.commit(reservation!.reservationId);
    }
    expect(ledger.decideAndReserve(scoped, order(2000)).decision.effect).toBe('deny');
    expect(ledger.ordersToday(scoped)).toBe(3);
    clock.set(Date.parse('2026-03-10T22:59:00Z')); // 23:59 in Berlin: still the same day
    expect(ledger.ordersToday(scoped)).toBe(3);
    clock.set(Date.parse('2026-03-10T23:01:00Z')); // 00:01 the next day in Berlin
    expect(ledger.ordersToday(scoped)).toBe(0);
  });

  it('counts only the order vendor\'s own spending under an eachVendor budget (THREATS #18)', () => {
    const each = loadPolicy(CAP_POLICY.replace('per: month', 'per: month\n    eachVendor: true'));
    const ledger = new SpendLedger(store, { clock });
    const at = (origin: string, amount: number): PolicyRequest => ({ ...order(amount), vendor: { ...order(0).vendor, origin } });
    // $90 at A, then $90 at B: each vendor alone is under the $100 cap.
    for (const r of [at('https://a.example', 9000), at('https://b.example', 9000)]) {
      const { decision, reservation } = ledger.decideAndReserve(each, r);
      expect(decision.effect).toBe('allow');
      ledger.commit(reservation!.reservationId);
    }
    // A second order at A would take A to $110; at a new vendor C, $20 is fine.
    const again = ledger.decideAndReserve(each, at('https://a.example', 2000)).decision;
    expect(again.effect).toBe('deny');
    expect(again.reasons.map((r) => r.message).join(' ')).toMatch(/with each vendor/);
    expect(ledger.decideAndReserve(each, at('https://c.example', 2000)).decision.effect).toBe('allow');
    // Refused on a per-transaction budget: one order is already one vendor.
    expect(() => loadPolicy(CAP_POLICY.replace('per: month', 'per: transaction\n    eachVendor: true'))).toThrow(expect.objectContaining({ code: 'ERR_POLICY_INVALID' }));
  });

  it('lets exactly one of two concurrent $90 orders under a $100 cap through, from two processes', async () => {
    const dbPath = join(dir, 'steward.db');
    const worker = fileURLToPath(new URL('./fixtures/ledger-worker.ts', import.meta.url));
    const children: ChildProcess[] = [0, 1].map(() =>
      fork(worker, [dbPath, CAP_POLICY, JSON.stringify(order(9000))], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))),
    );
    const results = children.map(
      (c) =>
        new Promise<{ effect: string; reserved: boolean }>((resolve) =>
          c.once('message', (m) => resolve(m as { effect: string; reserved: boolean })),
        ),
    );
    for (const c of children) c.send('go');
    const answers = await Promise.all(results);
    expect(answers.map((a) => a.effect).sort()).toEqual(['allow', 'deny']);
    expect(answers.filter((a) => a.reserved)).toHaveLength(1);
    const total = store.db
      .prepare('SELECT COUNT(*) AS n, SUM(amount_minor) AS s FROM policy_ledger')
      .get() as { n: number; s: number };
    expect(total).toEqual({ n: 1, s: 9000 });
  });
});

describe('SpendLedger.voidCommitted (an order the person confirms the vendor never took)', () => {
  const policy = loadPolicy(CAP_POLICY);

  it('stops counting a committed entry at once, so an order under the cap passes again', () => {
    const ledger = new SpendLedger(store, { clock });
    const first = ledger.decideAndReserve(policy, order(9000)).reservation!;
    ledger.commit(first.reservationId, 'outcome unknown');
    expect(ledger.decideAndReserve(policy, order(2000)).decision.effect).toBe('deny');
    const voided = ledger.voidCommitted(first.reservationId, 'not taken, confirmed by the person');
    expect(voided.state).toBe('voided');
    expect(voided.settledAt).toBe('2026-03-10T12:00:00.000Z');
    expect(ledger.spent({ budgetId: 'month-cap', currency: 'USD', sinceMs: 0, nowMs: clock.now() })).toBe(0);
    expect(ledger.ordersToday(policy)).toBe(0);
    expect(ledger.decideAndReserve(policy, order(2000)).decision.effect).toBe('allow');
    expect(ledger.get(first.reservationId)?.state).toBe('voided');
  });

  it('answers a voided entry as it is, and refuses to void anything not committed', () => {
    const ledger = new SpendLedger(store, { clock });
    const committed = ledger.decideAndReserve(policy, order(100)).reservation!;
    ledger.commit(committed.reservationId);
    ledger.voidCommitted(committed.reservationId);
    expect(ledger.voidCommitted(committed.reservationId).state).toBe('voided');
    // A receipt for a voided entry never counts it again.
    expect(() => ledger.commit(committed.reservationId)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_RESERVATION_STATE' }));
    expect(ledger.get(committed.reservationId)?.state).toBe('voided');

    const reserved = ledger.decideAndReserve(policy, order(100)).reservation!;
    const released = ledger.decideAndReserve(policy, order(100)).reservation!;
    ledger.release(released.reservationId);
    for (const [id, state] of [[reserved.reservationId, 'reserved'], [released.reservationId, 'released']] as const) {
      let caught: unknown;
      try {
        ledger.voidCommitted(id);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PolicyError);
      expect((caught as PolicyError).code).toBe('ERR_POLICY_RESERVATION_STATE');
      expect((caught as PolicyError).status).toBe(409);
      expect((caught as PolicyError).details).toMatchObject({ reservationId: id, state, wanted: 'voided' });
      expect(ledger.get(id)?.state).toBe(state);
    }
    expect(() => ledger.voidCommitted('nope')).toThrow(expect.objectContaining({ code: 'ERR_POLICY_RESERVATION_NOT_FOUND' }));
  });

  it('migration 3 keeps every existing entry and lets the database hold `voided`', () => {
    store.close();
    const path = join(dir, 'old.db');
    const old = openStore(path, { migrations: { policy: MIGRATIONS.slice(0, 2) } });
    const before = new SpendLedger(old, { clock });
    const kept = before.decideAndReserve(policy, order(4200)).reservation!;
    before.commit(kept.reservationId, 'receipt');
    expect(() =>
      old.db.prepare("UPDATE policy_ledger SET state = 'voided' WHERE reservation_id = ?").run(kept.reservationId),
    ).toThrow(/CHECK constraint/);
    old.close();
    store = openStore(path, { migrations: { policy: MIGRATIONS } });
    const after = new SpendLedger(store, { clock });
    expect(after.get(kept.reservationId)).toEqual({ ...kept, state: 'committed', settledAt: '2026-03-10T12:00:00.000Z' });
    expect(after.voidCommitted(kept.reservationId).state).toBe('voided');
    expect(() =>
      store.db.prepare("UPDATE policy_ledger SET state = 'lost' WHERE reservation_id = ?").run(kept.reservationId),
    ).toThrow(/CHECK constraint/);
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'policy_ledger' AND sql IS NOT NULL").all()).toEqual([{ name: 'policy_ledger_window' }]);
  });
});
