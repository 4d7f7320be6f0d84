export { PolicyError, POLICY_ERROR_STATUS } from './errors.ts';
export type { PolicyErrorCode, PolicyIssue } from './errors.ts';
export {
  PolicyAction,
  PolicyVendor,
  PolicyCounters,
  CounterName,
  RecurringPeriod,
  PolicyRequest,
} from './request.ts';
export {
  PolicyDocument,
  PolicyRule,
  PolicyBudget,
  DataSharingRule,
  ConflictHandling,
  RuleConditions,
  PolicyTest,
  PolicyTestRequest,
  RuleId,
  MoneyText,
  TimeZone,
  Weekday,
} from './schema.ts';
export { parsePolicy, policyHash, MAX_POLICY_BYTES, MAX_POLICY_ALIASES } from './parse.ts';
export type { ParsedPolicy } from './parse.ts';
export { validatePolicy } from './validate.ts';
export type { ValidatedPolicy } from './validate.ts';
export { compilePolicy, EvaluationError } from './compile.ts';
export type { CompiledPolicy, SpendLookup, SpendQuery, Fired } from './compile.ts';
export { decide, evaluatePolicy, approvalExpiresAt } from './decide.ts';
export type { DecideOptions, Evaluation } from './decide.ts';
export { loadPolicy, parsePolicyRequest } from './load.ts';
export { SpendLedger, reservesMoney } from './ledger.ts';
export type { Reservation, ReservationState, ReserveOptions, ReserveResult } from './ledger.ts';
export { MIGRATIONS } from './migrations.ts';
export { parseMoneyText, formatMoney } from './money.ts';
export { runPolicyTests, testRequest, testSpend, checkIds, TEST_REQUEST_DEFAULTS } from './policy-tests.ts';
export type { PolicyTestResult, PolicyTestReport } from './policy-tests.ts';
export { renderPolicyJsonSchema } from './json-schema.ts';
export { PolicyVersions, diffSources } from './versions.ts';
export type { PolicyVersionEntry, PolicyChange, VersionRef } from './versions.ts';
export { dryRun, recordedSpend, parseRecordedDecisions } from './dry-run.ts';
export type { RecordedDecision, DryRunChange, DryRunReport, ChangeDirection } from './dry-run.ts';
export { lintPolicy } from './lint.ts';
export type { LintFinding, LintCode, LintOptions } from './lint.ts';
