import { randomBytes } from 'node:crypto';
import { Approval, parseStrict, systemClock, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import { BrokerError } from '../errors.ts';
import { subjectHash, type OrderSubject } from './subject.ts';

interface ApprovalRow {
  approval_id: string;
  subject_hash: string;
  approval_json: string;
  status: Approval['status'];
  expires_at: number;
}

/** What a person's answer to an approval did. */
export type ApprovalAnswer = 'approve' | 'deny';

/**
 * Approvals bound to the hash of the exact thing approved. They expire (timeout = deny), survive
 * restarts (SQLite, written durably) and are consumed once, inside the transaction that signs
 * the order.
 */
export class ApprovalBook {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock = systemClock) {
    this.#store = store;
    this.#clock = clock;
  }

  #now(): number {
    return this.#clock.now();
  }

  /**
   * Opens an approval for `subject`. Its text is rendered by the broker from `summary`, never from
   * vendor wording. The same subject asked again while its approval still waits gets that approval,
   * not a second one (THREATS #34: no pile of identical requests to wear the person down).
   */
  request(input: { taskId?: string; subject: OrderSubject; summary: Approval['summary']; timeoutSeconds: number; maxPendingPerTask?: number }): Approval {
    const now = this.#now();
    const waiting = this.#store.db
      .prepare(
        "SELECT * FROM broker_approvals WHERE subject_hash = ? AND task_id IS ? AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
      )
      .get(subjectHash(input.subject), input.taskId ?? null, Math.floor(now / 1000)) as ApprovalRow | undefined;
    if (waiting) return this.#toApproval(waiting);
    if (input.taskId !== undefined && input.maxPendingPerTask !== undefined) {
      // THREATS #34: a stream of different orders must not turn into a stream of prompts.
      const open = this.#store.db
        .prepare("SELECT COUNT(*) AS n FROM broker_approvals WHERE task_id = ? AND status = 'pending' AND expires_at > ?")
        .get(input.taskId, Math.floor(now / 1000)) as { n: number };
      if (open.n >= input.maxPendingPerTask)
        throw new BrokerError(
          'ERR_APPROVALS_TOO_MANY',
          `${open.n} approval${open.n === 1 ? '' : 's'} already wait for you in this task; answer ${open.n === 1 ? 'it' : 'them'} (or let ${open.n === 1 ? 'it' : 'them'} expire) before another order is asked`,
          { details: { taskId: input.taskId, pending: open.n, limit: input.maxPendingPerTask } },
        );
    }
    const approval = parseStrict(
      Approval,
      {
        approvalId: `ap_${randomBytes(12).toString('base64url')}`,
        kind: input.subject.kind,
        ...(input.taskId ? { taskId: input.taskId } : {}),
        subjectHash: subjectHash(input.subject),
        summary: input.summary,
        policyVersion: input.subject.policyVersion,
        status: 'pending',
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + input.timeoutSeconds * 1000).toISOString(),
      },
      'approval',
    );
    this.#store.durably(() => {
      this.#store.db
        .prepare(
          `INSERT INTO broker_approvals (approval_id, task_id, kind, subject_hash, subject_json, approval_json, status, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          approval.approvalId,
          input.taskId ?? null,
          approval.kind,
          approval.subjectHash,
          JSON.stringify(input.subject),
          JSON.stringify(approval),
          approval.createdAt,
          Math.floor(Date.parse(approval.expiresAt) / 1000),
        );
    });
    return approval;
  }

  /** One approval with its current status (expired ones read as expired). */
  get(approvalId: string): Approval | undefined {
    const row = this.#store.db.prepare('SELECT * FROM broker_approvals WHERE approval_id = ?').get(approvalId) as ApprovalRow | undefined;
    return row ? this.#toApproval(row) : undefined;
  }

  /** The subject an approval was opened for. */
  subjectOf(approvalId: string): OrderSubject | undefined {
    const row = this.#store.db.prepare('SELECT subject_json FROM broker_approvals WHERE approval_id = ?').get(approvalId) as
      | { subject_json: string }
      | undefined;
    return row ? (JSON.parse(row.subject_json) as OrderSubject) : undefined;
  }

  /** The newest approved, unconsumed and unexpired approval of a task for one offer handle. */
  grantedFor(taskId: string, offerHandle: string): string | undefined {
    const rows = this.#store.db
      .prepare("SELECT approval_id, subject_json FROM broker_approvals WHERE task_id = ? AND status = 'approved' ORDER BY created_at DESC")
      .all(taskId) as Array<{ approval_id: string; subject_json: string }>;
    return rows.find((r) => (JSON.parse(r.subject_json) as OrderSubject).offerId === offerHandle)?.approval_id;
  }

  /** Approvals still waiting for the person. */
  pending(): Approval[] {
    const rows = this.#store.db
      .prepare("SELECT * FROM broker_approvals WHERE status = 'pending' AND expires_at > ? ORDER BY created_at")
      .all(Math.floor(this.#now() / 1000)) as ApprovalRow[];
    return rows.map((r) => this.#toApproval(r));
  }

  /** Records the person's answer. Only a pending, unexpired approval can be answered. */
  answer(approvalId: string, answer: ApprovalAnswer): Approval {
    return this.#store.durably(() => {
      const row = this.#store.db.prepare('SELECT * FROM broker_approvals WHERE approval_id = ?').get(approvalId) as ApprovalRow | undefined;
      if (!row) throw new BrokerError('ERR_APPROVAL_NOT_FOUND', `no approval \`${approvalId}\``, { details: { approvalId } });
      const current = this.#toApproval(row);
      if (current.status !== 'pending') {
        throw new BrokerError('ERR_APPROVAL_NOT_PENDING', `approval \`${approvalId}\` is ${current.status}, not pending`, {
          details: { approvalId, status: current.status },
        });
      }
      const decidedAt = new Date(this.#now()).toISOString();
      const status = answer === 'approve' ? 'approved' : 'denied';
      this.#setStatus(row, status, decidedAt);
      return { ...current, status, decidedAt };
    });
  }

  /**
   * Consumes an approved approval for `subject`. Call inside the transaction that signs the order:
   * if that transaction rolls back, the approval is not consumed.
   */
  consume(approvalId: string, subject: OrderSubject): Approval {
    return this.#store.transaction(() => {
      const row = this.#store.db.prepare('SELECT * FROM broker_approvals WHERE approval_id = ?').get(approvalId) as ApprovalRow | undefined;
      if (!row) throw new BrokerError('ERR_APPROVAL_NOT_FOUND', `no approval \`${approvalId}\``, { details: { approvalId } });
      const current = this.#toApproval(row);
      if (current.status !== 'approved') {
        throw new BrokerError('ERR_APPROVAL_NOT_APPROVED', `approval \`${approvalId}\` is ${current.status}; it cannot authorise an order`, {
          details: { approvalId, status: current.status },
        });
      }
      if (subjectHash(subject) !== row.subject_hash) {
        throw new BrokerError('ERR_APPROVAL_MISMATCH', `approval \`${approvalId}\` was given for a different cart, data or policy; ask again`, {
          details: { approvalId },
        });
      }
      this.#setStatus(row, 'consumed', current.decidedAt ?? new Date(this.#now()).toISOString());
      return { ...current, status: 'consumed' };
    });
  }

  /**
   * Closes an approved approval whose subject no longer matches (cart, data or policy changed) as
   * expired, so it can never authorise anything; the person is asked again for what is true now.
   */
  invalidate(approvalId: string): void {
    this.#store.durably(() => {
      const row = this.#store.db.prepare('SELECT * FROM broker_approvals WHERE approval_id = ?').get(approvalId) as ApprovalRow | undefined;
      if (row && (row.status === 'approved' || row.status === 'pending')) this.#setStatus(row, 'expired', null);
    });
  }

  /** Marks every overdue pending approval expired (timeout = deny) and returns them. */
  expireDue(): Approval[] {
    return this.#store.durably(() => {
      const rows = this.#store.db
        .prepare("SELECT * FROM broker_approvals WHERE status = 'pending' AND expires_at <= ?")
        .all(Math.floor(this.#now() / 1000)) as ApprovalRow[];
      return rows.map((row) => {
        this.#setStatus(row, 'expired', null);
        return { ...(JSON.parse(row.approval_json) as Approval), status: 'expired' as const };
      });
    });
  }

  #setStatus(row: ApprovalRow, status: Approval['status'], decidedAt: string | null): void {
    const approval = { ...(JSON.parse(row.approval_json) as Approval), status, ...(decidedAt ? { decidedAt } : {}) };
    this.#store.db
      .prepare('UPDATE broker_approvals SET status = ?, decided_at = COALESCE(?, decided_at), approval_json = ? WHERE approval_id = ?')
      .run(status, decidedAt, JSON.stringify(approval), row.approval_id);
  }

  #toApproval(row: ApprovalRow): Approval {
    const approval = JSON.parse(row.approval_json) as Approval;
    if (row.status === 'pending' && row.expires_at <= Math.floor(this.#now() / 1000)) return { ...approval, status: 'expired' };
    return { ...approval, status: row.status };
  }
}
