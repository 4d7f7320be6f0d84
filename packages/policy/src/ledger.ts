import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type Decision, type Money } from '@steward/protocol';
import type { Store } from '@steward/store';
import type { CompiledPolicy, SpendLookup, SpendQuery } from './compile.ts';
import { decide } from './decide.ts';
import { windowStart } from './internal/time.ts';
import { PolicyError } from './errors.ts';
import type { PolicyRequest } from './request.ts';

/**
 * The life of a reservation: reserved → committed (receipt) or released (failure, expiry); a committed
 * entry whose order the person confirms the vendor never took → voided. Only `committed` and unexpired
 * `reserved` entries count against budgets.
 */
export type ReservationState = 'reserved' | 'committed' | 'released' | 'voided';

/** Money held against the person's budgets for one order. */
export interface Reservation {
  reservationId: string;
  state: ReservationState;
  amount: Money;
  category?: string;
  vendor: string;
  action: string;
  /** When the request was made (counts toward windows), ISO. */
  at: string;
  /** After this a `reserved` entry stops counting, ISO. */
  expiresAt: string;
  policyVersion: string;
  /** The budgets that applied when it was reserved. */
  budgets: string[];
  settledAt?: string;
}

/** Options of {@link SpendLedger.decideAndReserve}. */
export interface ReserveOptions {
  /** The person approved this exact request: an `ask` may reserve; a `deny` still never does. */
  approved?: boolean;
  /** How long the reservation holds before it stops counting. Default: the ledger's TTL. */
  ttlSeconds?: number;
  /** Shadow policies reported alongside. */
  shadow?: readonly CompiledPolicy[];
}

/** What {@link SpendLedger.decideAndReserve} returns: the decision, and the reservation if one was made. */
export interface ReserveResult {
  decision: Decision;
  reservation?: Reservation;
}

interface Row {
  reservation_id: string;
  state: ReservationState;
  amount_minor: number;
  currency: string;
  category: string | null;
  vendor: string;
  action: string;
  at: number;
  expires_at: number;
  policy_version: string;
  budgets: string;
  settled_at: string | null;
}

const iso = (s: number): string => new Date(s * 1000).toISOString();

function toReservation(r: Row): Reservation {
  return {
    reservationId: r.reservation_id,
    state: r.state,
    amount: { amountMinor: r.amount_minor, currency: r.currency },
    ...(r.category === null ? {} : { category: r.category }),
    vendor: r.vendor,
    action: r.action,
    at: iso(r.at),
    expiresAt: iso(r.expires_at),
    policyVersion: r.policy_version,
    budgets: JSON.parse(r.budgets) as string[],
    ...(r.settled_at === null ? {} : { settledAt: r.settled_at }),
  };
}

/** True when deciding `request` may reserve money: an order or recurring charge with an amount. */
export function reservesMoney(request: PolicyRequest): boolean {
  return request.amount !== undefined && (request.action === 'order' || request.action === 'recurring');
}

/**
 * The spend ledger: decides and reserves in one `BEGIN IMMEDIATE` transaction, so two concurrent
 * orders can never both fit under one cap; commits on receipt, releases on failure or expiry.
 * @see docs/policies.md
 */
export class SpendLedger {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ttl: number;
  readonly #statements = new Map<string, { get(...args: unknown[]): unknown }>();

  constructor(store: Store, options: { clock?: Clock; reservationTtlSeconds?: number } = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#ttl = options.reservationTtlSeconds ?? 900;
  }

  #nowS(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  /**
   * The vendor with the most money committed or reserved (unexpired) in a window, for budgets that
   * apply to each vendor on its own (`eachVendor`); undefined when nothing counts.
   */
  topVendor(query: SpendQuery): { vendor: string; amountMinor: number } | undefined {
    const cats = query.categories ?? [];
    const vendors = query.vendors ?? [];
    const row = this.#store
      .statement(
        `SELECT vendor, SUM(amount_minor) AS total FROM policy_ledger
         WHERE currency = ? AND at >= ? AND (state = 'committed' OR (state = 'reserved' AND expires_at > ?))` +
          (cats.length ? ` AND category IN (${cats.map(() => '?').join(',')})` : '') +
          (vendors.length ? ` AND vendor IN (${vendors.map(() => '?').join(',')})` : '') +
          ' AND vendor IS NOT NULL GROUP BY vendor ORDER BY total DESC, vendor LIMIT 1',
      )
      .get(query.currency, Math.floor(query.sinceMs / 1000), this.#nowS(), ...cats, ...vendors) as { vendor: string; total: number } | undefined;
    return row && row.total > 0 ? { vendor: row.vendor, amountMinor: row.total } : undefined;
  }

  /** Money committed, or reserved and unexpired, matching a budget's filters since its window start. */
  spent(query: SpendQuery): number {
    const cats = query.categories ?? [];
    const vendors = query.vendors ?? [];
    const key = `${cats.length}:${vendors.length}`;
    let stmt = this.#statements.get(key);
    if (!stmt) {
      stmt = this.#store.statement(
        `SELECT COALESCE(SUM(amount_minor), 0) AS total FROM policy_ledger
         WHERE currency = ? AND at >= ? AND (state = 'committed' OR (state = 'reserved' AND expires_at > ?))` +
          (cats.length ? ` AND category IN (${cats.map(() => '?').join(',')})` : '') +
          (vendors.length ? ` AND vendor IN (${vendors.map(() => '?').join(',')})` : ''),
      );
      this.#statements.set(key, stmt);
    }
    const row = stmt.get(
      query.currency,
      Math.floor(query.sinceMs / 1000),
      this.#nowS(),
      ...cats,
      ...vendors,
    ) as { total: number };
    return row.total;
  }

  /**
   * Orders (and recurring charges) placed since local midnight in the policy's time zone that
   * still count: committed, or reserved and unexpired. The broker passes it as `ordersToday`.
   */
  ordersToday(policy: CompiledPolicy, nowMs = this.#clock.now()): number {
    const since = Math.floor(windowStart('day', false, nowMs, policy.timezone) / 1000);
    const row = this.#store
      .statement(
        `SELECT COUNT(*) AS n FROM policy_ledger WHERE at >= ? AND action IN ('order', 'recurring')
         AND (state = 'committed' OR (state = 'reserved' AND expires_at > ?))`,
      )
      .get(since, this.#nowS()) as { n: number };
    return row.n;
  }

  /** A {@link SpendLookup} backed by this ledger, for {@link decide}. */
  get lookup(): SpendLookup {
    return (q) => this.spent(q);
  }

  /**
   * Decides `request` and, when it is allowed (or asked and `approved`) and carries an amount,
   * reserves that amount, all in one immediate transaction (written durably when it can reserve money).
   */
  decideAndReserve(
    policy: CompiledPolicy,
    request: PolicyRequest,
    options: ReserveOptions = {},
  ): ReserveResult {
    // Only a decision that can hold money is a commitment written with synchronous=FULL; the rest
    // (contacting vendors, counter-offers, sharing data) need no fsync of their own.
    const write = reservesMoney(request) ? this.#store.durably.bind(this.#store) : this.#store.transaction.bind(this.#store);
    return write(() => {
      const decision = decide(policy, request, {
        spend: this.lookup,
        clock: this.#clock,
        shadow: options.shadow,
      });
      const passes = decision.effect === 'allow' || (options.approved === true && decision.effect === 'ask');
      if (
        !passes ||
        request.amount === undefined ||
        (request.action !== 'order' && request.action !== 'recurring')
      )
        return { decision };
      const now = this.#nowS();
      const atMs = Date.parse(request.time);
      const at = Number.isNaN(atMs) ? now : Math.floor(atMs / 1000);
      const budgets = policy.budgets
        .filter(
          (b) =>
            (!b.categories || (request.category !== undefined && b.categories.includes(request.category))) &&
            (!b.vendors || b.vendors.includes(request.vendor.origin)),
        )
        .map((b) => b.spec.id);
      const row: Row = {
        reservation_id: randomUUID(),
        state: 'reserved',
        amount_minor: request.amount.amountMinor,
        currency: request.amount.currency,
        category: request.category ?? null,
        vendor: request.vendor.origin,
        action: request.action,
        at,
        expires_at: now + (options.ttlSeconds ?? this.#ttl),
        policy_version: policy.version,
        budgets: JSON.stringify(budgets),
        settled_at: null,
      };
      this.#store
        .statement(
          `INSERT INTO policy_ledger (reservation_id, state, amount_minor, currency, category, vendor, action, at, expires_at, policy_version, budgets, created_at)
           VALUES (@reservation_id, @state, @amount_minor, @currency, @category, @vendor, @action, @at, @expires_at, @policy_version, @budgets, @created_at)`,
        )
        .run({ ...row, created_at: iso(now) });
      return { decision, reservation: toReservation(row) };
    });
  }

  /** One reservation, or undefined. */
  get(reservationId: string): Reservation | undefined {
    const row = this.#store
      .statement('SELECT * FROM policy_ledger WHERE reservation_id = ?')
      .get(reservationId) as Row | undefined;
    return row ? toReservation(row) : undefined;
  }

  /**
   * Moves one entry `from` → `to` durably; an entry already in `to` is answered as it is, any other
   * state is refused with `ERR_POLICY_RESERVATION_STATE`.
   */
  #transition(reservationId: string, from: 'reserved' | 'committed', to: 'committed' | 'released' | 'voided', note: string | undefined): Reservation {
    return this.#store.durably(() => {
      const row = this.#store
        .statement('SELECT * FROM policy_ledger WHERE reservation_id = ?')
        .get(reservationId) as Row | undefined;
      if (!row) {
        throw new PolicyError('ERR_POLICY_RESERVATION_NOT_FOUND', `no reservation \`${reservationId}\``, {
          details: { reservationId },
        });
      }
      if (row.state === to) return toReservation(row);
      if (row.state !== from) {
        throw new PolicyError(
          'ERR_POLICY_RESERVATION_STATE',
          from === 'reserved'
            ? `reservation \`${reservationId}\` is already ${row.state}, it cannot be ${to}`
            : `reservation \`${reservationId}\` is ${row.state}, only a ${from} one can be ${to}`,
          { details: { reservationId, state: row.state, wanted: to } },
        );
      }
      const settledAt = new Date(this.#clock.now()).toISOString();
      this.#store
        .statement('UPDATE policy_ledger SET state = ?, settled_at = ?, note = ? WHERE reservation_id = ? AND state = ?')
        .run(to, settledAt, note ?? null, reservationId, from);
      return toReservation({ ...row, state: to, settled_at: settledAt });
    });
  }

  /**
   * Commits a reservation when the vendor's receipt arrives. A receipt after expiry still commits:
   * the money was spent, and the ledger must count it.
   */
  commit(reservationId: string, note?: string): Reservation {
    return this.#transition(reservationId, 'reserved', 'committed', note);
  }

  /** Releases a reservation after a failed or abandoned order; it stops counting at once. */
  release(reservationId: string, note?: string): Reservation {
    return this.#transition(reservationId, 'reserved', 'released', note);
  }

  /**
   * Voids a committed entry: the person confirmed the vendor never took the order, so its money stops
   * counting against every budget at once. Only `committed` → `voided`; voiding a voided entry answers
   * it as it is. Written durably (nested in a caller's transaction, it is part of that one).
   */
  voidCommitted(reservationId: string, note?: string): Reservation {
    return this.#transition(reservationId, 'committed', 'voided', note);
  }

  /** Marks expired reservations released (they already stopped counting); returns them. */
  releaseExpired(): Reservation[] {
    return this.#store.durably(() => {
      const rows = this.#store
        .statement("SELECT * FROM policy_ledger WHERE state = 'reserved' AND expires_at <= ?")
        .all(this.#nowS()) as Row[];
      const settledAt = new Date(this.#clock.now()).toISOString();
      const update = this.#store.statement(
        "UPDATE policy_ledger SET state = 'released', settled_at = ?, note = 'expired' WHERE reservation_id = ?",
      );
      for (const r of rows) update.run(settledAt, r.reservation_id);
      return rows.map((r) => toReservation({ ...r, state: 'released', settled_at: settledAt }));
    });
  }
}
