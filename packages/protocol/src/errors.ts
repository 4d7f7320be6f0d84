/**
 * The error convention every Steward package follows: one base class, a closed set of codes per
 * package, and a typed code → HTTP status map, so a new code does not compile until it is mapped.
 */

/** Structured facts about an error, so that callers never parse messages. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

/** Options shared by every Steward error. */
export interface StewardErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
}

/**
 * Base class of every error Steward raises on purpose. `code` is stable and documented in
 * `docs/errors.md`; `status` is the HTTP status the person-facing API answers with.
 */
export class StewardError<C extends string = string> extends Error {
  readonly code: C;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: C, message: string, status: number, options: StewardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options.details ?? {};
  }
}

/** True for any error raised through the Steward convention (works across package copies). */
export function isStewardError(value: unknown): value is StewardError {
  return (
    value instanceof StewardError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { status?: unknown }).status === 'number' &&
      typeof (value as { details?: unknown }).details === 'object')
  );
}

/** Codes raised by the protocol package. */
export const PROTOCOL_ERROR_STATUS = {
  ERR_SCHEMA_INVALID: 400,
  ERR_JSON_MALFORMED: 400,
  ERR_JSON_TOO_DEEP: 400,
  ERR_JSON_TOO_LARGE: 413,
} as const satisfies Record<string, number>;

/** A code raised by the protocol package. */
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_STATUS;

/** One problem found by a schema, with the path into the object. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** An object from outside did not match its schema, or was not safe JSON. */
export class ProtocolError extends StewardError<ProtocolErrorCode> {
  readonly issues: readonly SchemaIssue[];

  constructor(
    code: ProtocolErrorCode,
    message: string,
    options: StewardErrorOptions & { issues?: readonly SchemaIssue[] } = {},
  ) {
    super(code, message, PROTOCOL_ERROR_STATUS[code], options);
    this.issues = options.issues ?? [];
  }
}
