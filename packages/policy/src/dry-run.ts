import { z } from 'zod';
import { Decision, FixedClock, type Effect } from '@steward/protocol';
import type { CompiledPolicy, SpendLookup } from './compile.ts';
import { decide } from './decide.ts';
import { PolicyError } from './errors.ts';
import { PolicyRequest } from './request.ts';

/** A decision input as recorded (e.g. from the audit log), with the decision made then. */
export interface RecordedDecision {
  request: PolicyRequest;
  decision: Decision;
  /** Money already spent in each budget's window then, by budget id, in minor units (0 when absent). */
  spent?: Readonly<Record<string, number>>;
}

/** How a decision changed under the candidate policy. */
export type ChangeDirection = 'looser' | 'stricter' | 'different-rules';

/** One recorded decision that the candidate would decide differently. */
export interface DryRunChange {
  index: number;
  request: PolicyRequest;
  before: Decision;
  after: Decision;
  direction: ChangeDirection;
  /** Why, in words: the candidate's reasons for its determining rules. */
  why: string[];
}

/** What a dry run found. */
export interface DryRunReport {
  candidateVersion: string;
  total: number;
  unchanged: number;
  changed: DryRunChange[];
}

const RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };

/** A spend lookup answering from a recorded input's `spent` map (0 for budgets not listed). */
export function recordedSpend(record: Pick<RecordedDecision, 'spent'>): SpendLookup {
  return (q) => record.spent?.[q.budgetId] ?? 0;
}

/**
 * Evaluates a candidate policy against recorded decision inputs and lists the decisions that
 * would change (effect or determining rules), with the candidate's reasons.
 * @see docs/policies.md
 */
export function dryRun(candidate: CompiledPolicy, records: readonly RecordedDecision[]): DryRunReport {
  const changed: DryRunChange[] = [];
  records.forEach((record, index) => {
    const clock = new FixedClock(Date.parse(record.decision.decidedAt));
    const after = decide(candidate, record.request, { spend: recordedSpend(record), clock });
    const before = record.decision;
    const sameRules = after.determiningRules.join('\n') === [...before.determiningRules].sort().join('\n');
    if (after.effect === before.effect && sameRules) return;
    const direction: ChangeDirection =
      RANK[after.effect] < RANK[before.effect]
        ? 'looser'
        : RANK[after.effect] > RANK[before.effect]
          ? 'stricter'
          : 'different-rules';
    const why = after.reasons
      .filter((r) => !r.shadow && after.determiningRules.includes(r.ruleId))
      .map((r) => r.message);
    changed.push({ index, request: record.request, before, after, direction, why });
  });
  return {
    candidateVersion: candidate.version,
    total: records.length,
    unchanged: records.length - changed.length,
    changed,
  };
}

const RecordedDecisionList = z
  .array(
    z.strictObject({
      request: PolicyRequest,
      decision: Decision,
      spent: z.record(z.string().max(64), z.number().int().min(0)).optional(),
    }),
  )
  .max(100_000);

/** Checks recorded decision inputs (e.g. exported from the audit log); throws `ERR_POLICY_REQUEST_INVALID`. */
export function parseRecordedDecisions(value: unknown): RecordedDecision[] {
  const parsed = RecordedDecisionList.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first?.path.map(String).join('.') ?? '';
    throw new PolicyError(
      'ERR_POLICY_REQUEST_INVALID',
      `recorded inputs must be a list of { request, decision, spent? }: ${path ? `${path}: ` : ''}${first?.message ?? 'invalid'}`,
      {
        details: { path },
      },
    );
  }
  return parsed.data;
}
