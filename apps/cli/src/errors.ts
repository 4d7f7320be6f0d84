import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the `steward` command line itself, with the HTTP status each maps to. */
export const CLI_ERROR_STATUS = {
  ERR_CLI_BROKER_UNREACHABLE: 503,
  ERR_CLI_BROKER_URL_UNSAFE: 400,
  ERR_CLI_TOKEN_MISSING: 401,
  ERR_CLI_TOKEN_REFUSED: 401,
  ERR_CLI_BROKER_FAILED: 502,
} as const satisfies Record<string, number>;

/** A code raised by the command line. */
export type CliErrorCode = keyof typeof CLI_ERROR_STATUS;

/** The command line could not reach or talk to the running broker. */
export class CliError extends StewardError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, CLI_ERROR_STATUS[code], options);
  }
}
