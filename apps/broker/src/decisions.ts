import { parseRecordedDecisions, reservesMoney, SpendLedger, type CompiledPolicy, type PolicyRequest, type RecordedDecision, type ReserveOptions, type ReserveResult, type SpendQuery } from '@steward/policy';
import type { Clock } from '@steward/protocol';
import type { Migration, Store } from '@steward/store';

/**
 * The broker server's own tables. `server_decisions` keeps the inputs of recent policy decisions
 * (the request, the decision and the spend each budget saw), so a candidate policy can be dry-run
 * against what really happened. Requests name data classes, never personal values.
 */
export const SERVER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-server-decisions',
    up: `
      CREATE TABLE server_decisions (
        seq INTEGER PRIMARY KEY,
        decided_at TEXT NOT NULL,
        request_json TEXT NOT NULL,
        decision_json TEXT NOT NULL,
        spent_json TEXT NOT NULL
      ) STRICT;
    `,
  },
];

/** How many recorded decisions are kept; older ones are dropped. */
export const MAX_RECORDED_DECISIONS = 10_000;

/**
 * The spend ledger, recording every decision it makes (request, decision, spend per budget) in the
 * same durable transaction, for dry runs of candidate policies (docs/api.md, `POST /api/policies/dry-run`).
 */
export class RecordingLedger extends SpendLedger {
  readonly #store: Store;
  #capture: Record<string, number> | undefined;
  #inserts = 0;

  constructor(store: Store, options: { clock?: Clock; reservationTtlSeconds?: number } = {}) {
    super(store, options);
    this.#store = store;
  }

  /** The parent's answer, noted per budget while a decision is being made. */
  override spent(query: SpendQuery): number {
    const value = super.spent(query);
    if (this.#capture) this.#capture[query.budgetId] = value;
    return value;
  }

  /** Decides and reserves as the parent does, and records the inputs in the same transaction. */
  override decideAndReserve(policy: CompiledPolicy, request: PolicyRequest, options: ReserveOptions = {}): ReserveResult {
    const write = reservesMoney(request) ? this.#store.durably.bind(this.#store) : this.#store.transaction.bind(this.#store);
    return write(() => {
      const outer = this.#capture;
      const capture: Record<string, number> = {};
      this.#capture = capture;
      let result: ReserveResult;
      try {
        result = super.decideAndReserve(policy, request, options);
      } finally {
        this.#capture = outer;
      }
      const store = this.#store;
      store.statement('INSERT INTO server_decisions (decided_at, request_json, decision_json, spent_json) VALUES (?, ?, ?, ?)').run(
        result.decision.decidedAt,
        JSON.stringify(request),
        JSON.stringify(result.decision),
        JSON.stringify(capture),
      );
      if (++this.#inserts % 100 === 0) {
        store.statement('DELETE FROM server_decisions WHERE seq <= (SELECT MAX(seq) FROM server_decisions) - ?').run(MAX_RECORDED_DECISIONS);
      }
      return result;
    });
  }
}

/** The most recent recorded decisions, oldest first (at most `limit`). */
export function recordedDecisions(store: Store, limit = MAX_RECORDED_DECISIONS): RecordedDecision[] {
  const rows = store
    .statement('SELECT request_json, decision_json, spent_json FROM server_decisions ORDER BY seq DESC LIMIT ?')
    .all(limit) as Array<{ request_json: string; decision_json: string; spent_json: string }>;
  rows.reverse();
  return parseRecordedDecisions(
    rows.map((r) => ({
      request: JSON.parse(r.request_json) as unknown,
      decision: JSON.parse(r.decision_json) as unknown,
      spent: JSON.parse(r.spent_json) as unknown,
    })),
  );
}
