export { BrokerError, BROKER_ERROR_STATUS } from './errors.ts';
export type { BrokerErrorCode } from './errors.ts';
export { screenVendorText } from './screen/screen.ts';
export type { ScreenedText } from './screen/screen.ts';
export { normaliseVendorText, findForbiddenChars } from './screen/unicode.ts';
