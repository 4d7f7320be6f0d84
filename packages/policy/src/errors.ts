import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the policy package, with the HTTP status each maps to. */
export const POLICY_ERROR_STATUS = {
  ERR_POLICY_TOO_LARGE: 413,
  ERR_POLICY_YAML_SYNTAX: 400,
  ERR_POLICY_YAML_ALIASES: 400,
  ERR_POLICY_INVALID: 400,
  ERR_POLICY_REQUEST_INVALID: 400,
  ERR_POLICY_NOT_ALLOWED: 403,
  ERR_POLICY_NO_ACTIVE: 404,
  ERR_POLICY_VERSION_NOT_FOUND: 404,
  ERR_POLICY_RESERVATION_NOT_FOUND: 404,
  ERR_POLICY_RESERVATION_STATE: 409,
  ERR_POLICY_TESTS_FAILED: 422,
  ERR_POLICY_TESTS_UNCOVERED: 422,
  ERR_POLICY_FILE_UNREADABLE: 400,
} as const satisfies Record<string, number>;

/** A code raised by the policy package. */
export type PolicyErrorCode = keyof typeof POLICY_ERROR_STATUS;

/** One problem in a policy file, located in its source so an editor can point at it. */
export interface PolicyIssue {
  /** The file name given to the loader (or `<policy>`). */
  file: string;
  /** 1-based line and column of the offending node; 0 when the problem has no place. */
  line: number;
  col: number;
  /** Dotted path into the document, e.g. `rules.2.when.amount`. */
  path: string;
  message: string;
  /** What to write instead, when there is something to suggest. */
  hint?: string;
}

/** Parsing, validating or applying a policy failed, or the ledger refused an operation. */
export class PolicyError extends StewardError<PolicyErrorCode> {
  /** Located problems, for `ERR_POLICY_INVALID`, `ERR_POLICY_YAML_SYNTAX` and friends. */
  readonly issues: readonly PolicyIssue[];

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: StewardErrorOptions & { issues?: readonly PolicyIssue[] } = {},
  ) {
    super(code, message, POLICY_ERROR_STATUS[code], options);
    this.issues = options.issues ?? [];
  }
}
