import { MIGRATIONS as AUDIT_MIGRATIONS, openAuditLog, verifyLog, type AuditLog } from '@steward/audit';
import { loadPolicy } from '@steward/policy';
import type { AuditEvent } from '@steward/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError, OrderSettlements, type AuditPort, type SettleOutcome } from '../../src/index.ts';
import { defaultPolicy, groceryTask, makeVendor, makeWorld, spentUsd, type FakeVendor, type World } from '../support/world.ts';

interface Setup {
  world: World;
  log: AuditLog;
  events: AuditEvent[];
  settlements: OrderSettlements;
  coop: FakeVendor;
}

let setup: Setup | undefined;
afterEach(() => {
  setup?.log.close();
  setup?.world.store.close();
  setup = undefined;
});

const osError = (code: string) => Object.assign(new Error(`read ${code}`), { code });

/**
 * A world whose engine logs to a real audit log on the same SQLite file, under the default policy
 * with a $3.00 monthly grocery budget by default: one $1.89 order fits, two do not.
 */
function start(monthlyGroceries = '3.00'): Setup {
  const coop = makeVendor('https://coop.test', 'Green Valley Co-op', { lines: [['MILK-1L', 'Milk', 1, 189]], deliveryFee: 0 });
  const events: AuditEvent[] = [];
  // The log opens on the world's store, after the engine that logs to it is built.
  const opened: { log?: AuditLog } = {};
  const audit: Required<AuditPort> = {
    append: (event, options) => {
      events.push(event);
      const payload = options?.payload === undefined ? {} : { payload: options.payload };
      if (options?.durable) opened.log!.appendDurably(event, payload);
      else void opened.log!.append(event, payload);
    },
    appendWith: (event, write, options) => {
      const { result } = opened.log!.appendWith(event, write, options?.payload === undefined ? {} : { payload: options.payload });
      events.push(event);
      return result;
    },
  };
  const world = makeWorld([coop], { audit });
  world.store.migrate({ audit: AUDIT_MIGRATIONS });
  const log = (opened.log = openAuditLog(world.store, { clock: world.clock }));
  world.policy.current = loadPolicy(defaultPolicy().replace('limit: 600.00 USD', `limit: ${monthlyGroceries} USD`), 'default.yaml');
  const settlements = new OrderSettlements({ store: world.store, ledger: world.ledger, audit, vendors: { get: (o) => world.vendors.get(o)?.record }, clock: world.clock });
  setup = { world, log, events, settlements, coop };
  return setup;
}

/** Places one $1.89 milk order; `fails` decides what the vendor's side does with it. */
async function order(s: Setup, fails?: () => never) {
  if (fails) s.coop.onOrder = fails;
  else delete s.coop.onOrder;
  const { taskId } = s.world.engine.createTask({ ...groceryTask, items: [{ description: 'milk', quantity: 1 }] });
  const [offer] = await s.world.engine.requestQuotes(taskId);
  const outcome = await s.world.engine.placeOrder(taskId, offer!.offerId);
  return { outcome, taskId, offerId: offer!.offerId };
}

/** An order sent and never answered: the vendor may have taken it (a reset after sending). */
const unknownOrder = (s: Setup) =>
  order(s, () => {
    throw osError('ECONNRESET');
  });

const orderRow = (s: Setup, orderId: string) =>
  s.world.store.db.prepare('SELECT status, status_reason, settlement, settled_by, settled_at, receipt_jws FROM broker_orders WHERE order_id = ?').get(orderId) as {
    status: string;
    status_reason: string | null;
    settlement: string | null;
    settled_by: string | null;
    settled_at: string | null;
    receipt_jws: string | null;
  };

function refusal(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const verified = (s: Setup) => {
  s.log.flush();
  return verifyLog(s.world.store).ok;
};

describe('settling an order whose outcome is unknown (money safety)', () => {
  it('not taken: voids the committed money at once, so a second order under the cap passes; one logged event', async () => {
    const s = start();
    const first = await unknownOrder(s);
    expect(first.outcome.status).toBe('failed');
    expect(spentUsd(s.world)).toBe(189);
    // While it counts, a second $1.89 order would take the $3.00 budget over.
    const blocked = await order(s);
    expect(blocked.outcome.status).toBe('denied');
    expect(blocked.outcome.decision?.determiningRules).toContain('groceries-month');

    const [listed, ...others] = s.settlements.unsettled();
    expect(others).toEqual([]);
    expect(listed).toMatchObject({
      orderId: first.outcome.orderId,
      taskId: first.taskId,
      taskSummary: groceryTask.summary,
      vendor: { origin: 'https://coop.test', displayName: 'Green Valley Co-op' },
      total: { amountMinor: 189, currency: 'USD' },
      signedAt: '2026-11-25T15:00:00.000Z',
    });
    expect(listed!.reason).toMatch(/may have been accepted/);

    const settled = s.settlements.settle(first.outcome.orderId!, 'not_taken', { note: 'no charge on my card' });
    expect(settled).toMatchObject({ outcome: 'not_taken', status: 'failed', reservationState: 'voided', settledBy: 'person', total: { amountMinor: 189, currency: 'USD' } });
    expect(spentUsd(s.world)).toBe(0);
    expect(s.world.ledger.get(listed!.reservationId)?.state).toBe('voided');
    expect(orderRow(s, first.outcome.orderId!)).toMatchObject({ status: 'failed', settlement: 'not_taken', settled_by: 'person', settled_at: '2026-11-25T15:00:00.000Z', receipt_jws: null });
    expect(s.world.engine.task(first.taskId)).toMatchObject({ status: 'failed' });
    expect(s.settlements.unsettled()).toEqual([]);

    const logged = s.log.query({ types: ['order.settled'] }).entries;
    expect(logged).toHaveLength(1);
    expect(logged[0]!.event).toMatchObject({
      actor: 'person',
      taskId: first.taskId,
      vendor: 'https://coop.test',
      data: { orderId: first.outcome.orderId, reservationId: listed!.reservationId, outcome: 'not_taken', by: 'person', amountMinor: 189, currency: 'USD' },
    });
    // The person's note is personal: kept apart as an erasable payload, never in the event itself.
    expect(logged[0]!.payload).toBe('present');
    expect(JSON.stringify(logged[0]!.event)).not.toContain('no charge');
    expect(verified(s)).toBe(true);

    const second = await order(s);
    expect(second.outcome.status).toBe('ordered');
    expect(spentUsd(s.world)).toBe(189);
    expect(verified(s)).toBe(true);
  });

  it('taken: keeps the money counted, marks the order accepted by the person; settling twice is a 409 that says how', async () => {
    const s = start();
    const first = await unknownOrder(s);
    const orderId = first.outcome.orderId!;
    const settled = s.settlements.settle(orderId, 'taken');
    expect(settled).toMatchObject({ outcome: 'taken', status: 'accepted', reservationState: 'committed' });
    expect(spentUsd(s.world)).toBe(189);
    expect(orderRow(s, orderId)).toMatchObject({ status: 'accepted', settlement: 'taken', settled_by: 'person', receipt_jws: null });
    expect(s.world.engine.task(first.taskId).status).toBe('ordered');
    expect((await order(s)).outcome.status).toBe('denied');
    expect(verified(s)).toBe(true);

    for (const again of ['taken', 'not_taken'] as SettleOutcome[]) {
      const error = refusal(() => s.settlements.settle(orderId, again));
      expect(error.code).toBe('ERR_ORDER_ALREADY_SETTLED');
      expect(error.status).toBe(409);
      expect(error.details).toMatchObject({ orderId, settlement: 'taken', status: 'accepted', settledAt: '2026-11-25T15:00:00.000Z' });
    }
    expect(spentUsd(s.world)).toBe(189);
    expect(s.log.query({ types: ['order.settled'] }).entries).toHaveLength(1);
    // Asking to order the same offer again answers with this order, never a second one.
    const again = await s.world.engine.placeOrder(first.taskId, first.offerId);
    expect(again).toMatchObject({ status: 'ordered', orderId });
    expect(verified(s)).toBe(true);
  });

  it('refuses an order that was accepted with a receipt, one released because it never left, and an unknown id', async () => {
    const s = start('600.00');
    const accepted = await order(s);
    expect(accepted.outcome.status).toBe('ordered');
    const released = await order(s, () => {
      throw osError('ECONNREFUSED');
    });
    expect(released.outcome.status).toBe('failed');
    const before = spentUsd(s.world);
    for (const [orderId, status, reservationState] of [
      [accepted.outcome.orderId!, 'accepted', 'committed'],
      [released.outcome.orderId!, 'failed', 'released'],
    ] as const) {
      for (const outcome of ['taken', 'not_taken'] as const) {
        const error = refusal(() => s.settlements.settle(orderId, outcome));
        expect(error.code).toBe('ERR_ORDER_NOT_UNSETTLED');
        expect(error.status).toBe(409);
        expect(error.details).toMatchObject({ orderId, status, reservationState });
      }
    }
    expect(spentUsd(s.world)).toBe(before);
    expect(s.world.ledger.get(s.world.store.db.prepare('SELECT reservation_id FROM broker_orders WHERE order_id = ?').pluck().get(accepted.outcome.orderId) as string)?.state).toBe('committed');
    const missing = refusal(() => s.settlements.settle('order_nope', 'not_taken'));
    expect(missing.code).toBe('ERR_ORDER_NOT_FOUND');
    expect(missing.status).toBe(404);
    expect(s.settlements.unsettled()).toEqual([]);
    expect(s.log.query({ types: ['order.settled'] }).entries).toHaveLength(0);
    expect(verified(s)).toBe(true);
  });

  it('refuses an order still in flight (signed, no reason yet): its outcome is not known to be unknown', async () => {
    const s = start();
    let inFlight: string | undefined;
    let error: BrokerError | undefined;
    s.coop.onOrder = (payload) => {
      inFlight = payload.orderId as string;
      error = refusal(() => s.settlements.settle(inFlight!, 'not_taken'));
      return undefined;
    };
    const { taskId } = s.world.engine.createTask({ ...groceryTask, items: [{ description: 'milk', quantity: 1 }] });
    const [offer] = await s.world.engine.requestQuotes(taskId);
    expect((await s.world.engine.placeOrder(taskId, offer!.offerId)).status).toBe('ordered');
    expect(error?.code).toBe('ERR_ORDER_NOT_UNSETTLED');
    expect(error?.details).toMatchObject({ orderId: inFlight, status: 'signed', reservationState: 'reserved' });
    expect(spentUsd(s.world)).toBe(189);
  });

  it('is one commit: a failure inside leaves the money, the order, the task and the log as they were', async () => {
    const s = start();
    const first = await unknownOrder(s);
    const orderId = first.outcome.orderId!;
    s.log.flush();
    const size = s.log.size;
    const row = orderRow(s, orderId);
    const task = s.world.engine.task(first.taskId);
    // A write that fails after the ledger entry was voided and the order updated, inside the commit.
    s.world.store.db.exec("CREATE TEMP TRIGGER settle_fails BEFORE UPDATE ON broker_tasks BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    expect(() => s.settlements.settle(orderId, 'not_taken')).toThrow(/disk trouble/);
    expect(spentUsd(s.world)).toBe(189);
    expect(s.world.ledger.get(s.settlements.unsettled()[0]!.reservationId)?.state).toBe('committed');
    expect(orderRow(s, orderId)).toEqual(row);
    expect(s.world.engine.task(first.taskId)).toEqual(task);
    expect(s.log.size).toBe(size);
    expect(s.log.query({ types: ['order.settled', 'gap'] }).entries).toHaveLength(0);
    expect(s.events.map((e) => e.type)).not.toContain('order.settled');
    expect(verified(s)).toBe(true);

    // And when the audit write itself fails, the money and the order stay as they were too.
    s.world.store.db.exec('DROP TRIGGER settle_fails');
    s.world.store.db.exec("CREATE TEMP TRIGGER log_fails BEFORE INSERT ON audit_leaves BEGIN SELECT RAISE(ABORT, 'log disk trouble'); END");
    expect(() => s.settlements.settle(orderId, 'not_taken')).toThrow();
    expect(spentUsd(s.world)).toBe(189);
    expect(orderRow(s, orderId)).toEqual(row);
    s.world.store.db.exec('DROP TRIGGER log_fails');

    expect(s.settlements.settle(orderId, 'not_taken').reservationState).toBe('voided');
    expect(spentUsd(s.world)).toBe(0);
    expect(s.log.query({ types: ['order.settled'] }).entries).toHaveLength(1);
    expect(verified(s)).toBe(true);
  });

  it('a receipt handled after settling never counts the money twice (the ledger commit is idempotent, and refused once voided)', async () => {
    const s = start('600.00');
    const taken = await unknownOrder(s);
    const notTaken = await unknownOrder(s);
    // Signed at the same (fixed) instant: found by id, not by position.
    const listed = s.settlements.unsettled();
    const a = listed.find((o) => o.orderId === taken.outcome.orderId);
    const b = listed.find((o) => o.orderId === notTaken.outcome.orderId);
    expect(listed).toHaveLength(2);
    s.settlements.settle(a!.orderId, 'taken');
    s.settlements.settle(b!.orderId, 'not_taken');
    expect(spentUsd(s.world)).toBe(189);
    // What a receipt does to the money today: ledger.commit of the order's reservation.
    expect(s.world.ledger.commit(a!.reservationId).state).toBe('committed');
    expect(spentUsd(s.world)).toBe(189);
    expect(() => s.world.ledger.commit(b!.reservationId)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_RESERVATION_STATE' }));
    expect(spentUsd(s.world)).toBe(189);
    // And the offer of an order settled as not taken is never sent a second time.
    await expect(s.world.engine.placeOrder(notTaken.taskId, notTaken.offerId)).rejects.toMatchObject({ code: 'ERR_OFFER_NOT_FOUND' });
    expect(s.world.store.db.prepare('SELECT COUNT(*) FROM broker_orders').pluck().get()).toBe(2);
  });
});
