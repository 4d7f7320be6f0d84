import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the broker server itself, with their HTTP status. */
export const SERVER_ERROR_STATUS = {
  ERR_AUTH_MISSING: 401,
  ERR_AUTH_INVALID: 401,
  ERR_CSRF_REJECTED: 403,
  ERR_NOT_FOUND: 404,
  ERR_REQUEST_INVALID: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_RATE_LIMITED: 429,
  ERR_VENDOR_PREVIEW_STALE: 409,
  ERR_CONFIG_UNSAFE: 500,
  ERR_CONFIG_INVALID: 500,
  ERR_TOKEN_FILE_UNSAFE: 500,
  ERR_INTERNAL: 500,
} as const satisfies Record<string, number>;

/** A code raised by the broker server. */
export type ServerErrorCode = keyof typeof SERVER_ERROR_STATUS;

/** An error of the broker server: authentication, configuration, malformed requests. */
export class ServerError extends StewardError<ServerErrorCode> {
  constructor(code: ServerErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, SERVER_ERROR_STATUS[code], options);
  }
}
