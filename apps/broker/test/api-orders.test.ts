/**
 * The person settles orders whose outcome is unknown over the real API (HTTP on 127.0.0.1): here
 * orders left signed by a crash, which the restart reconciliation counted against the budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { verifyLog } from '@steward/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../src/index.ts';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
let dir: string;
let broker: RunningBroker;
/** Two orders left signed by a crash, and one the vendor accepted with a receipt. */
const crashed: Array<{ orderId: string; amountMinor: number; reservationId: string }> = [];
let acceptedOrderId: string;

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${broker.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: (text ? JSON.parse(text) : undefined) as T };
}

const groceriesSpent = async (): Promise<number> => {
  const res = await call<{ budgets: Array<{ id: string; spent: { amountMinor: number } }> }>('GET', '/api/spending');
  return res.json.budgets.find((b) => b.id === 'groceries-month')!.spent.amountMinor;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-api-orders-'));
  const first = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_VENDOR_REFRESH_SECONDS: '0' }, quiet, {
    demo: true,
    demoBasePort: 0,
    collectionWindowMs: 800,
    web: false,
  });
  try {
    const engine = first.steward.engine;
    for (const description of ['milk', 'eggs']) {
      const { taskId } = engine.createTask({ category: 'groceries', summary: `some ${description}`, items: [{ description, quantity: 1 }], constraints: {} });
      const [offer] = await engine.requestQuotes(taskId);
      // What a crash between signing and the receipt leaves behind: a signed order with money held.
      const { reservation } = first.steward.ledger.decideAndReserve(first.steward.policies.active().policy, {
        action: 'order',
        category: 'groceries',
        amount: offer!.total,
        flags: [],
        time: new Date().toISOString(),
        vendor: { origin: offer!.vendor.origin, verified: true, signedCard: true, enrolled: true, new: false },
        counters: { ordersToday: 0, roundsSoFar: 0, vendorsContacted: 1, toolCalls: 1 },
      });
      const orderId = `order_crash_${description}`;
      const now = new Date().toISOString();
      first.steward.store.db
        .prepare("INSERT INTO broker_orders (order_id, task_id, offer_hash, vendor, jws, order_hash, reservation_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'x.y.z', 'h', ?, 'signed', ?, ?)")
        .run(orderId, taskId, offer!.offerHash, offer!.vendor.origin, reservation!.reservationId, now, now);
      first.steward.store.db.prepare("UPDATE broker_tasks SET status = 'ordering' WHERE task_id = ?").run(taskId);
      crashed.push({ orderId, amountMinor: offer!.total.amountMinor, reservationId: reservation!.reservationId });
    }
    const { taskId } = engine.createTask({ category: 'groceries', summary: 'bread', items: [{ description: 'bread', quantity: 1 }], constraints: {} });
    // The demo world has vendors the default policy refuses (THREATS demos); the first the policy lets
    // through, with the person's approval where it asks, is accepted with a receipt.
    const outcomes: string[] = [];
    for (const offer of await engine.requestQuotes(taskId)) {
      let placed = await engine.placeOrder(taskId, offer.offerId);
      if (placed.status === 'needs_approval') placed = await engine.answerApproval(placed.approval!.approvalId, 'approve');
      outcomes.push(`${offer.vendor.origin}: ${placed.status} ${placed.reasons.join('; ')}`);
      if (placed.status === 'ordered') {
        acceptedOrderId = placed.orderId!;
        break;
      }
    }
    expect(acceptedOrderId, outcomes.join('\n')).toMatch(/^order_/);
  } finally {
    await first.close();
  }
  // The restart counts the crashed orders against the budget until the person settles them.
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_VENDOR_REFRESH_SECONDS: '0' }, quiet, { demo: false, web: false });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('orders API', () => {
  it('refuses without the token, and a foreign origin (CSRF) before anything changes', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/orders?status=unsettled', undefined],
      ['POST', `/api/orders/${crashed[0]!.orderId}/settle`, { outcome: 'not_taken' }],
    ] as const) {
      const res = await call(method, path, body, { authorization: '' });
      expect(res.status, path).toBe(401);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect((res.json as { code: string }).code).toBe('ERR_AUTH_MISSING');
    }
    const foreign = await call('POST', `/api/orders/${crashed[0]!.orderId}/settle`, { outcome: 'not_taken' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((foreign.json as { code: string }).code).toBe('ERR_CSRF_REJECTED');
    expect(broker.steward.ledger.get(crashed[0]!.reservationId)?.state).toBe('committed');
  });

  it('lists the orders whose outcome is unknown, from structured fields', async () => {
    const res = await call<{ orders: Array<Record<string, unknown>> }>('GET', '/api/orders?status=unsettled');
    expect(res.status).toBe(200);
    expect(res.json.orders.map((o) => o.orderId)).toEqual(crashed.map((c) => c.orderId));
    expect(res.json.orders[0]).toMatchObject({
      taskSummary: 'some milk',
      total: { amountMinor: crashed[0]!.amountMinor, currency: 'USD' },
      reservationId: crashed[0]!.reservationId,
      vendor: { displayName: expect.any(String) },
    });
    expect(String(res.json.orders[0]!.reason)).toMatch(/outcome unknown after a restart/);
    expect((await call('GET', '/api/orders')).json).toEqual(res.json);
    expect((await call<{ unsettledOrders: number }>('GET', '/api/status')).json.unsettledOrders).toBe(2);
    const bad = await call('GET', '/api/orders?status=settled');
    expect(bad.status).toBe(400);
    expect((bad.json as { code: string }).code).toBe('ERR_REQUEST_INVALID');
  });

  it('refuses a bad body or id with problem+json, an unknown order with 404, an accepted one with 409', async () => {
    const path = `/api/orders/${crashed[0]!.orderId}/settle`;
    for (const body of [{ outcome: 'not_taken', extra: 1 }, { outcome: 'refunded' }, {}, { outcome: 'taken', note: 'x'.repeat(501) }, '{"outcome":"taken","__proto__":{"x":1}}']) {
      const res = await call('POST', path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect((res.json as { code: string }).code).toBe('ERR_REQUEST_INVALID');
    }
    const badId = await call('POST', '/api/orders/not-an-order/settle', { outcome: 'taken' });
    expect(badId.status).toBe(400);
    const missing = await call('POST', '/api/orders/order_nope/settle', { outcome: 'taken' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'ERR_ORDER_NOT_FOUND', details: { orderId: 'order_nope' } });
    const accepted = await call('POST', `/api/orders/${acceptedOrderId}/settle`, { outcome: 'not_taken' });
    expect(accepted.status).toBe(409);
    expect(accepted.type).toMatch(/^application\/problem\+json/);
    expect(accepted.json).toMatchObject({ code: 'ERR_ORDER_NOT_UNSETTLED', details: { orderId: acceptedOrderId, status: 'accepted', reservationState: 'committed' } });
    expect(broker.steward.ledger.get(crashed[0]!.reservationId)?.state).toBe('committed');
  });

  it('settles one as not taken (its money stops counting at once) and one as taken; twice is a 409 saying how', async () => {
    const before = await groceriesSpent();
    const size = broker.steward.audit.size;
    const [milk, eggs] = crashed;
    const notTaken = await call('POST', `/api/orders/${milk!.orderId}/settle`, { outcome: 'not_taken', note: 'my card was never charged' });
    expect(notTaken.status).toBe(200);
    expect(notTaken.json).toMatchObject({ orderId: milk!.orderId, outcome: 'not_taken', status: 'failed', reservationState: 'voided', settledBy: 'person' });
    expect(await groceriesSpent()).toBe(before - milk!.amountMinor);

    const taken = await call('POST', `/api/orders/${eggs!.orderId}/settle`, { outcome: 'taken' });
    expect(taken.status).toBe(200);
    expect(taken.json).toMatchObject({ outcome: 'taken', status: 'accepted', reservationState: 'committed' });
    expect(await groceriesSpent()).toBe(before - milk!.amountMinor);

    const twice = await call('POST', `/api/orders/${milk!.orderId}/settle`, { outcome: 'taken' });
    expect(twice.status).toBe(409);
    expect(twice.json).toMatchObject({ code: 'ERR_ORDER_ALREADY_SETTLED', details: { settlement: 'not_taken', status: 'failed' } });
    expect((await call<{ orders: unknown[] }>('GET', '/api/orders?status=unsettled')).json.orders).toEqual([]);
    expect((await call<{ unsettledOrders: number }>('GET', '/api/status')).json.unsettledOrders).toBe(0);

    // One order.settled event each, by the person; the note only as an erasable payload.
    expect(broker.steward.audit.size).toBe(size + 2);
    const logged = await call<{ entries: Array<{ index: number; event: { type: string; actor: string; data: Record<string, unknown> } }> }>('GET', '/api/audit?type=order.settled');
    expect(logged.status).toBe(200);
    expect(logged.json.entries.map((e) => e.event.data).reverse()).toEqual([
      { orderId: milk!.orderId, reservationId: milk!.reservationId, outcome: 'not_taken', by: 'person', amountMinor: milk!.amountMinor, currency: 'USD' },
      { orderId: eggs!.orderId, reservationId: eggs!.reservationId, outcome: 'taken', by: 'person', amountMinor: eggs!.amountMinor, currency: 'USD' },
    ]);
    expect(logged.json.entries.every((e) => e.event.actor === 'person')).toBe(true);
    expect(JSON.stringify(logged.json)).not.toContain('never charged');
    expect(verifyLog(broker.steward.store).ok).toBe(true);
  });
});
