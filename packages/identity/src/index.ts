export { IdentityError, IDENTITY_ERROR_STATUS } from './errors.ts';
export type { IdentityErrorCode } from './errors.ts';
export { MIGRATIONS } from './migrations.ts';
export {
  ALLOWED_JWS_ALGS,
  jwkThumbprint,
  jwkThumbprintUri,
  parsePublicJwk,
  importVerificationKey,
  generateSigningKey,
  importSigningKey,
  exportPrivateJwk,
  publishedJwk,
  verificationKeyOf,
} from './keys/key-pair.ts';
export type { SigningAlg, PublicJwk, SigningKey, VerificationKey, KeyResolver } from './keys/key-pair.ts';
export {
  EMBEDDED_KEY_HEADERS,
  decodeProtectedHeader,
  signCompact,
  signDetached,
  verifyCompact,
} from './jws/jws.ts';
export type { JwsHeader, SignHeaderOptions, DetachedJws, VerifiedJws, VerifyCompactOptions } from './jws/jws.ts';
export { ReplayStore } from './replay/replay-store.ts';
export type { ReplayStoreOptions } from './replay/replay-store.ts';
export type { RevocationCheck } from './revocation/revocation-check.ts';
export { MESSAGE_SCHEMAS, typOf } from './message/schemas.ts';
export type { SignedMessageType, MessagePayload } from './message/schemas.ts';
export { signMessage, newJti, DEFAULT_MESSAGE_LIFETIME_SECONDS } from './message/sign.ts';
export type { SignMessageOptions, MessageBody, SignedMessage } from './message/sign.ts';
export { verifyMessage, tokenHash, MAX_CLOCK_SKEW_SECONDS, DEFAULT_MAX_LIFETIME_SECONDS } from './message/verify.ts';
export type { VerifyMessageOptions, VerifiedMessage } from './message/verify.ts';
export { canonicalJson, canonicalCardSpec, canonicalCardSdk, specCardObject, cardHash, sdkUncoveredFields } from './card/canonical.ts';
export type { CardForm } from './card/canonical.ts';
export { signCard } from './card/sign.ts';
export type { SignCardOptions } from './card/sign.ts';
export { verifyCard, commerceExtensionOf, SDK_UNCOVERED_ALLOWED } from './card/verify.ts';
export type { VerifyCardOptions, VerifiedCard } from './card/verify.ts';
