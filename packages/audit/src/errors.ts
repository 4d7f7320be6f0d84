import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the audit log, with the HTTP status each maps to. */
export const AUDIT_ERROR_STATUS = {
  ERR_AUDIT_PROOF_INVALID: 422,
  ERR_AUDIT_INDEX_OUT_OF_RANGE: 404,
  ERR_AUDIT_CHECKPOINT_INVALID: 422,
  ERR_AUDIT_CHECKPOINT_INCONSISTENT: 500,
  ERR_AUDIT_NO_CHECKPOINT: 409,
  ERR_AUDIT_NOTE_MALFORMED: 400,
  ERR_AUDIT_SIGNATURE_INVALID: 422,
  ERR_AUDIT_KEY_INVALID: 400,
  ERR_AUDIT_PAYLOAD_CONFLICT: 400,
  ERR_AUDIT_PAYLOAD_NOT_FOUND: 404,
  ERR_AUDIT_CURSOR_INVALID: 400,
  ERR_AUDIT_QUERY_INVALID: 400,
  ERR_AUDIT_STATE_CORRUPT: 500,
  ERR_AUDIT_VERIFY_FAILED: 500,
  ERR_AUDIT_HISTORY_REWRITTEN: 409,
  ERR_AUDIT_WITNESS_STATE_INVALID: 500,
  ERR_AUDIT_EXPORT_INVALID: 422,
  ERR_AUDIT_CLOSED: 503,
  ERR_AUDIT_APPEND_FAILED: 500,
} as const satisfies Record<string, number>;

/** A code raised by the audit log. */
export type AuditErrorCode = keyof typeof AUDIT_ERROR_STATUS;

/** Something about the audit log, a proof, a checkpoint or an export is wrong. */
export class AuditError extends StewardError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, AUDIT_ERROR_STATUS[code], options);
  }
}
