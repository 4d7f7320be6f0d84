import type { SpendLedger } from '@steward/policy';
import { systemClock, type AuditEvent, type Clock, type Money } from '@steward/protocol';
import type { Store } from '@steward/store';
import { BrokerError } from '../errors.ts';
import { formatMoney, withScreenedName } from '../negotiation/engine.ts';
import type { AuditPort, VendorDirectory } from '../negotiation/ports.ts';

/** What the person answers about an order whose outcome was unknown. */
export type SettleOutcome = 'taken' | 'not_taken';

/**
 * An order whose outcome is unknown: signed and sent, no receipt, its money committed against the
 * person's budgets (by the unknown-outcome path or restart reconciliation) until they settle it.
 */
export interface UnsettledOrder {
  orderId: string;
  taskId: string;
  /** The person's own words for the task. */
  taskSummary: string;
  /** The vendor by origin, with a display name safe to show (screened, else the host). */
  vendor: { origin: string; displayName: string };
  /** What counts against the budgets until the person settles it. */
  total: Money;
  reservationId: string;
  /** Why the outcome is unknown, in the broker's words. */
  reason: string;
  /** When the order was signed, ISO. */
  signedAt: string;
}

/** An order the person has settled. */
export interface SettledOrder {
  orderId: string;
  taskId: string;
  vendor: { origin: string; displayName: string };
  total: Money;
  reservationId: string;
  outcome: SettleOutcome;
  /** The order's state now: `accepted` (taken) or `failed` (not taken). */
  status: 'accepted' | 'failed';
  /** The ledger entry's state now: still `committed` (taken) or `voided` (not taken). */
  reservationState: 'committed' | 'voided';
  settledBy: 'person';
  /** ISO. */
  settledAt: string;
}

/** What {@link OrderSettlements} works with; the same ports the engine has. */
export interface OrderSettlementsOptions {
  store: Store;
  ledger: SpendLedger;
  audit: AuditPort;
  vendors: Pick<VendorDirectory, 'get'>;
  clock?: Clock;
}

interface OrderRow {
  order_id: string;
  task_id: string;
  vendor: string;
  reservation_id: string | null;
  status: string;
  status_reason: string | null;
  receipt_jws: string | null;
  created_at: string;
  settlement: SettleOutcome | null;
  settled_at: string | null;
}

const COLUMNS = 'order_id, task_id, vendor, reservation_id, status, status_reason, receipt_jws, created_at, settlement, settled_at';

/**
 * Orders whose outcome is unknown, and the person's way to settle them: `taken` keeps the money
 * committed and marks the order accepted; `not_taken` voids the ledger entry, so it stops counting
 * against every budget at once. The money, the order and the `order.settled` audit event are one
 * durable commit. Only the person may call it (the agent has no tool for it).
 * @see docs/policies.md
 */
export class OrderSettlements {
  readonly #o: OrderSettlementsOptions;
  readonly #clock: Clock;

  constructor(options: OrderSettlementsOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Every order whose outcome is unknown and whose money still counts, oldest first. */
  unsettled(): UnsettledOrder[] {
    const rows = this.#o.store
      .statement(
        // From the partial index broker_orders_unsettled: only signed, unsettled orders, never the whole table.
        `SELECT ${COLUMNS} FROM broker_orders WHERE status = 'signed' AND settlement IS NULL AND status_reason IS NOT NULL ORDER BY created_at, order_id`,
      )
      .all() as OrderRow[];
    const out: UnsettledOrder[] = [];
    for (const row of rows) {
      const checked = this.#check(row);
      if (checked) out.push(checked);
    }
    return out;
  }

  /**
   * Settles an unknown-outcome order as the person says. Throws `ERR_ORDER_NOT_FOUND`,
   * `ERR_ORDER_ALREADY_SETTLED` (with what it was settled as) or `ERR_ORDER_NOT_UNSETTLED` (any
   * other order: in flight, accepted with a receipt, failed, released).
   */
  settle(orderId: string, outcome: SettleOutcome, options: { note?: string } = {}): SettledOrder {
    const order = this.#unsettled(orderId);
    const settledAt = new Date(this.#clock.now()).toISOString();
    const money = formatMoney(order.total);
    const name = order.vendor.displayName;
    const taken = outcome === 'taken';
    const reason = taken
      ? `${name} took the order (confirmed by you); ${money} counts against your budgets`
      : `${name} did not take the order (confirmed by you); ${money} no longer counts against your budgets`;
    const event: AuditEvent = {
      type: 'order.settled',
      at: settledAt,
      actor: 'person',
      taskId: order.taskId,
      vendor: order.vendor.origin,
      summary: `order ${orderId}: ${reason}`,
      data: {
        orderId,
        reservationId: order.reservationId,
        outcome,
        by: 'person',
        amountMinor: order.total.amountMinor,
        currency: order.total.currency,
      },
    };
    const write = (): void => {
      if (!taken) this.#o.ledger.voidCommitted(order.reservationId, 'not taken by the vendor, confirmed by the person');
      else if (this.#o.ledger.get(order.reservationId)?.state !== 'committed') {
        // INVARIANT: `taken` settles only money that still counts.
        throw this.#notUnsettled(orderId, { reservationState: this.#o.ledger.get(order.reservationId)?.state ?? 'missing' });
      }
      const changed = this.#o.store
        .statement(
          `UPDATE broker_orders SET status = ?, status_reason = ?, settlement = ?, settled_by = 'person', settled_at = ?, updated_at = ?
           WHERE order_id = ? AND status = 'signed' AND status_reason = ? AND receipt_jws IS NULL AND settlement IS NULL`,
        )
        .run(taken ? 'accepted' : 'failed', reason, outcome, settledAt, settledAt, orderId, order.reason) as { changes: number };
      // INVARIANT: the order is settled exactly once; anything that changed it since it was read refuses.
      if (changed.changes !== 1) throw this.#notUnsettled(orderId, {});
      // The task said the outcome was unknown; it now says what the person confirmed.
      this.#o.store
        .statement(
          "UPDATE broker_tasks SET status = ?, status_reason = ?, updated_at = ? WHERE task_id = ? AND status = 'failed' AND status_reason = ?",
        )
        .run(taken ? 'ordered' : 'failed', reason, settledAt, order.taskId, order.reason);
    };
    const payload = options.note === undefined || options.note === '' ? undefined : { note: options.note };
    this.#commit(event, write, payload);
    return {
      orderId,
      taskId: order.taskId,
      vendor: order.vendor,
      total: order.total,
      reservationId: order.reservationId,
      outcome,
      status: taken ? 'accepted' : 'failed',
      reservationState: taken ? 'committed' : 'voided',
      settledBy: 'person',
      settledAt,
    };
  }

  /** The event and the write in one durable commit: the port's own when it has one. */
  #commit(event: AuditEvent, write: () => void, payload: unknown): void {
    const audit = this.#o.audit;
    const options = payload === undefined ? {} : { payload };
    if (audit.appendWith) {
      audit.appendWith(event, write, options);
      return;
    }
    this.#o.store.durably(() => {
      write();
      audit.append(event, { durable: true, ...options });
    });
  }

  #unsettled(orderId: string): UnsettledOrder {
    const row = this.#o.store.statement(`SELECT ${COLUMNS} FROM broker_orders WHERE order_id = ?`).get(orderId) as
      | OrderRow
      | undefined;
    if (!row) throw new BrokerError('ERR_ORDER_NOT_FOUND', `no order \`${orderId}\``, { details: { orderId } });
    if (row.settlement !== null) {
      throw new BrokerError(
        'ERR_ORDER_ALREADY_SETTLED',
        `order \`${orderId}\` was already settled as ${row.settlement === 'taken' ? 'taken' : 'not taken'} at ${row.settled_at ?? 'an unknown time'}`,
        { details: { orderId, settlement: row.settlement, status: row.status, settledAt: row.settled_at } },
      );
    }
    const checked = this.#check(row);
    if (!checked) {
      const reservationState = row.reservation_id === null ? 'missing' : (this.#o.ledger.get(row.reservation_id)?.state ?? 'missing');
      throw this.#notUnsettled(orderId, { status: row.status, reservationState, ...(row.receipt_jws === null ? {} : { receipt: true }) });
    }
    return checked;
  }

  /** The order as unsettled, when it is: signed, no receipt, a reason given, its money committed. */
  #check(row: OrderRow): UnsettledOrder | undefined {
    if (row.status !== 'signed' || row.status_reason === null || row.receipt_jws !== null || row.settlement !== null) return undefined;
    if (row.reservation_id === null) return undefined;
    const reservation = this.#o.ledger.get(row.reservation_id);
    if (reservation?.state !== 'committed') return undefined;
    const known = this.#o.vendors.get(row.vendor);
    const task = this.#o.store.statement('SELECT spec_json FROM broker_tasks WHERE task_id = ?').get(row.task_id) as
      | { spec_json: string }
      | undefined;
    const summary = task ? (JSON.parse(task.spec_json) as { summary?: unknown }).summary : undefined;
    return {
      orderId: row.order_id,
      taskId: row.task_id,
      taskSummary: typeof summary === 'string' ? summary : '',
      vendor: { origin: row.vendor, displayName: known ? withScreenedName(known).displayName : hostOf(row.vendor) },
      total: reservation.amount,
      reservationId: row.reservation_id,
      reason: row.status_reason,
      signedAt: row.created_at,
    };
  }

  #notUnsettled(orderId: string, details: Record<string, string | boolean>): BrokerError {
    return new BrokerError(
      'ERR_ORDER_NOT_UNSETTLED',
      `order \`${orderId}\` is not waiting to be settled: only an order whose outcome is unknown and whose money is committed can be`,
      { details: { orderId, ...details } },
    );
  }
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin.slice(0, 100);
  }
}
