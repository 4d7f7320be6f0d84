/**
 * @steward/profile — the person's own data: encrypted at rest by data class, disclosed field by
 * field only as the policy allows, paid for with scoped single-use tokens, every disclosure on the
 * record, and outbound messages screened for values that should not leave.
 */
export { PROFILE_ERROR_STATUS, ProfileError } from './errors.ts';
export type { ProfileErrorCode } from './errors.ts';
export { MIGRATIONS } from './migrations.ts';
export type { VendorRef, ShareDataRequest, DecidePort, AuditSink, SignerPort } from './ports.ts';
export { Profile, openProfile } from './profile.ts';
export type { ProfileOptions, ProfileValue, ProfileValueRef } from './profile.ts';
export { approvalSubjectHash } from './disclosure/disclose.ts';
export type {
  FieldRequest,
  DisclosureRequest,
  DisclosureResult,
  DisclosedField,
  AskField,
  RefusedField,
  RefusalCode,
  DataShareApprovalRequest,
} from './disclosure/disclose.ts';
export { DISCLOSURE_MINIMUM, minimumRefusal } from './disclosure/minimum.ts';
export { DEFAULT_RELAY_DOMAIN } from './disclosure/relay.ts';
export type { DisclosureRecord, VendorKnowledge, KnownField, ErasureRequest } from './disclosure/ledger.ts';
export { MAX_PAYMENT_TOKEN_TTL_SECONDS } from './payment/issue.ts';
export type { PaymentTokenRequest, IssuedPaymentToken } from './payment/issue.ts';
export { verifyPaymentToken } from './payment/verify.ts';
export type { SeenTokens, PaymentTokenExpectation, VerifyPaymentTokenOptions } from './payment/verify.ts';
export { findLeaks, DLP_DEFAULT_CLASSES, DLP_LIMITS } from './dlp/scan.ts';
export type { SecretValue, LeakFinding, LeakMethod } from './dlp/scan.ts';
export type { OutboundContext, ScanResult } from './dlp/check.ts';
export { loadProfileKeyFile, PROFILE_KEY_FILE } from './key-file.ts';
