import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the broker's pipeline and negotiation engine, with their HTTP status. */
export const BROKER_ERROR_STATUS = {
  ERR_VENDOR_TEXT_FORBIDDEN_CHARS: 422,
  ERR_VENDOR_TEXT_FRAMING: 422,
  ERR_VENDOR_RATE_LIMITED: 429,
  ERR_APPROVAL_NOT_FOUND: 404,
  ERR_APPROVAL_NOT_PENDING: 409,
  ERR_APPROVAL_NOT_APPROVED: 409,
  ERR_APPROVAL_MISMATCH: 409,
  ERR_APPROVALS_TOO_MANY: 429,
  ERR_OFFER_INVALID: 422,
  ERR_OFFER_NOT_FOUND: 404,
  ERR_TERMS_MISMATCH: 409,
  ERR_TASK_OVER_BUDGET: 409,
  ERR_TERMS_UNAVAILABLE: 502,
  ERR_TERMS_NOT_FOUND: 404,
  ERR_VENDOR_UNKNOWN: 404,
  ERR_TASK_NOT_FOUND: 404,
  ERR_ORDER_NOT_FOUND: 404,
  ERR_ORDER_NOT_UNSETTLED: 409,
  ERR_ORDER_ALREADY_SETTLED: 409,
} as const satisfies Record<string, number>;

/** A code raised by the broker. */
export type BrokerErrorCode = keyof typeof BROKER_ERROR_STATUS;

/** An error of the broker's pipeline: a refused vendor message, a refused action. */
export class BrokerError extends StewardError<BrokerErrorCode> {
  constructor(code: BrokerErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, BROKER_ERROR_STATUS[code], options);
  }
}
