import { afterEach, describe, expect, it } from 'vitest';
import { groceryTask, makeVendor, makeWorld, spentUsd, type World } from '../support/world.ts';

let world: World | undefined;
afterEach(() => {
  world?.store.close();
  world = undefined;
});

/** A small order under the default policy's approval limit, so it is signed and sent at once. */
async function orderThat(fails: () => never) {
  const coop = makeVendor('https://coop.test', 'Green Valley Co-op', { lines: [['MILK-1L', 'Milk', 1, 189]], deliveryFee: 0 });
  coop.onOrder = fails;
  world = makeWorld([coop]);
  const { taskId } = world.engine.createTask({ ...groceryTask, items: [{ description: 'milk', quantity: 1 }] });
  const [offer] = await world.engine.requestQuotes(taskId);
  const outcome = await world.engine.placeOrder(taskId, offer!.offerId);
  const order = world.store.db.prepare('SELECT status, status_reason FROM broker_orders').get() as { status: string; status_reason: string | null };
  return { outcome, order, total: offer!.total.amountMinor, taskId, offerId: offer!.offerId };
}

const osError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('an order the vendor may or may not have received (money safety)', () => {
  it.each([
    ['a timeout', Object.assign(new Error('`https://coop.test` did not answer within 10000 ms'), { code: 'ERR_REQUEST_INVALID' })],
    ['a reset after sending', osError('ECONNRESET')],
    ['an answer cut short', new TypeError('terminated')],
  ])('after %s, keeps the order signed and its money counted against the budget', async (_name, error) => {
    const { outcome, order, total, taskId, offerId } = await orderThat(() => {
      throw error;
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.reasons.join(' ')).toMatch(/may have been accepted/);
    expect(order.status).toBe('signed');
    expect(order.status_reason).toMatch(/may have been accepted/);
    expect(spentUsd(world!)).toBe(total);
    const failed = world!.audit.find((e) => e.type === 'order.failed');
    expect(failed?.data).toMatchObject({ outcome: 'unknown' });
    expect(world!.audit.map((e) => e.type)).toContain('ledger.committed');
    expect(world!.audit.map((e) => e.type)).not.toContain('ledger.released');
    expect(world!.engine.task(taskId).status).toBe('failed');
    // Asking again never sends a second order, and never reports this one as placed (review finding).
    const again = await world!.engine.placeOrder(taskId, offerId);
    expect(again).toMatchObject({ status: 'failed', orderId: outcome.orderId });
    expect(again.reasons.join(' ')).toMatch(/may have been accepted/);
    expect(world!.store.db.prepare('SELECT COUNT(*) AS n FROM broker_orders').get()).toEqual({ n: 1 });
  });

  it.each([
    ['the connection was refused', osError('ECONNREFUSED')],
    ['the name did not resolve', osError('ENOTFOUND')],
    ['the transport refused before sending', Object.assign(new Error('`vendor` resolves to a private address'), { code: 'ERR_REQUEST_INVALID', details: { sent: false } })],
  ])('when %s, fails the order and releases the reservation: nothing reached the vendor', async (_name, error) => {
    const { outcome, order } = await orderThat(() => {
      throw error;
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.reasons.join(' ')).toMatch(/could not be reached/);
    expect(order.status).toBe('failed');
    expect(spentUsd(world!)).toBe(0);
    expect(world!.audit.map((e) => e.type)).toContain('ledger.released');
  });
});
