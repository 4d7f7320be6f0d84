/**
 * Test support shared by the CLI and browser tests of settling orders: an order left in the state the
 * engine leaves one whose vendor never answered (signed, a reason given, its money committed), written
 * straight into a running broker's store.
 */
import type { RunningBroker } from '@steward/broker-server';

/** An order in the state the engine leaves one whose vendor never answered. */
export function unknownOrder(broker: RunningBroker, vendor: string, description: string, amountMinor: number): { orderId: string; reservationId: string } {
  const steward = broker.steward;
  const { taskId } = steward.engine.createTask({ category: 'groceries', summary: `some ${description}`, items: [{ description, quantity: 1 }], constraints: {} });
  const now = new Date(steward.clock.now()).toISOString();
  const hash = `hash-${description}`.padEnd(43, 'x');
  steward.store.db
    .prepare("INSERT INTO broker_offers (task_id, offer_id, vendor, round, jws, offer_hash, handle, payload_json, screened_json, flags_json, received_at, expires_at, status) VALUES (?, ?, ?, 0, 'x.y.z', ?, ?, '{}', '{}', '[]', ?, 0, 'ordered')")
    .run(taskId, `offer-${description}`, vendor, hash, `of_${description}`, now);
  const { reservation } = steward.ledger.decideAndReserve(steward.policies.active().policy, {
    action: 'order',
    category: 'groceries',
    amount: { amountMinor, currency: 'USD' },
    flags: [],
    time: now,
    vendor: { origin: vendor, verified: true, signedCard: true, enrolled: true, new: false },
    counters: { ordersToday: 0, roundsSoFar: 0, vendorsContacted: 1, toolCalls: 1 },
  });
  const reason = `${vendor} did not answer the order: it may have been accepted`;
  steward.ledger.commit(reservation!.reservationId, reason);
  const orderId = `order_${description}`;
  steward.store.db
    .prepare("INSERT INTO broker_orders (order_id, task_id, offer_hash, vendor, jws, order_hash, reservation_id, status, status_reason, created_at, updated_at) VALUES (?, ?, ?, ?, 'x.y.z', 'h', ?, 'signed', ?, ?, ?)")
    .run(orderId, taskId, hash, vendor, reservation!.reservationId, reason, now, now);
  steward.store.db.prepare("UPDATE broker_tasks SET status = 'failed', status_reason = ? WHERE task_id = ?").run(reason, taskId);
  return { orderId, reservationId: reservation!.reservationId };
}
