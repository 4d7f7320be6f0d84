import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the profile package, with the HTTP status each maps to. */
export const PROFILE_ERROR_STATUS = {
  ERR_PROFILE_KEY_INVALID: 500,
  ERR_PROFILE_KEY_MISMATCH: 500,
  ERR_PROFILE_KEY_FILE_INSECURE: 500,
  ERR_PROFILE_DECRYPT_FAILED: 500,
  ERR_PROFILE_VALUE_INVALID: 400,
  ERR_PROFILE_VALUE_NOT_FOUND: 404,
  ERR_PROFILE_VALUE_AMBIGUOUS: 409,
  ERR_PROFILE_REQUEST_INVALID: 400,
  ERR_PROFILE_APPROVAL_MISMATCH: 409,
  ERR_PROFILE_APPROVAL_USED: 409,
  ERR_PROFILE_AUDIT_FAILED: 500,
  ERR_PROFILE_DLP_BLOCKED: 403,
  ERR_PROFILE_DLP_UNSCANNABLE: 413,
  ERR_PROFILE_TOKEN_REQUEST_INVALID: 400,
  ERR_PROFILE_SIGNER_FAILED: 500,
  ERR_PROFILE_TOKEN_INVALID: 401,
  ERR_PROFILE_TOKEN_EXPIRED: 401,
  ERR_PROFILE_TOKEN_MISMATCH: 403,
  ERR_PROFILE_TOKEN_REPLAYED: 409,
} as const satisfies Record<string, number>;

/** A code raised by the profile package. */
export type ProfileErrorCode = keyof typeof PROFILE_ERROR_STATUS;

/** Something went wrong holding, disclosing, tokenising or screening the person's data. */
export class ProfileError extends StewardError<ProfileErrorCode> {
  constructor(code: ProfileErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, PROFILE_ERROR_STATUS[code], options);
  }
}
