import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the web app's server side, with the HTTP status each maps to. */
export const WEB_ERROR_STATUS = {
  ERR_WEB_BUNDLE_FAILED: 500,
} as const satisfies Record<string, number>;

/** A code raised by the web app's server side. */
export type WebErrorCode = keyof typeof WEB_ERROR_STATUS;

/** The web app could not be prepared (its in-memory bundle failed), so the broker does not serve it. */
export class WebError extends StewardError<WebErrorCode> {
  constructor(code: WebErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, WEB_ERROR_STATUS[code], options);
  }
}
