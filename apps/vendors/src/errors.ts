import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the demo vendor world, with the HTTP status each maps to. */
export const VENDORS_ERROR_STATUS = {
  ERR_WORLD_CONFIG_INVALID: 400,
  ERR_WORLD_KEYFILE_INSECURE: 500,
  ERR_WORLD_KEYFILE_INVALID: 500,
  ERR_WORLD_ATTACK_UNKNOWN: 400,
  ERR_WORLD_LISTEN_FAILED: 500,
  ERR_VENDOR_NOT_READY: 503,
  ERR_VENDOR_MEDIA_TYPE: 415,
  ERR_VENDOR_REQUEST_INVALID: 400,
  ERR_VENDOR_INTERNAL: 500,
  ERR_REGISTRY_VENDOR_UNKNOWN: 404,
} as const satisfies Record<string, number>;

/** A code raised by the demo vendor world. */
export type VendorsErrorCode = keyof typeof VENDORS_ERROR_STATUS;

/** The demo vendor world could not start as configured. */
export class VendorsError extends StewardError<VendorsErrorCode> {
  constructor(code: VendorsErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, VENDORS_ERROR_STATUS[code], options);
  }
}
