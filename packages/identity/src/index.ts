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
export type { AuditSink, AuditActor } from './internal/audit.ts';
export { RevocationList } from './revocation/revocation-list.ts';
export type { Revocation, RevocationListOptions } from './revocation/revocation-list.ts';
export { KeyStore } from './keys/key-store.ts';
export type { KeyPurpose, KeyStoreSecret, KeyRecord, KeyStoreOptions, RotateOptions } from './keys/key-store.ts';
export { ensureKeyFile, readKeyFile, keyStoreSecretFor, KEY_FILE_NAME } from './keys/key-file.ts';
export { buildJwks, buildHttpSigDirectory, buildBrokerCard, HTTP_SIG_DIRECTORY_PATH, HTTP_SIG_DIRECTORY_MEDIA_TYPE } from './keys/publish.ts';
export type { Jwks, BrokerCardInput } from './keys/publish.ts';
export { issueCredential, verifyCredential, CREDENTIAL_AUDIENCE, DEFAULT_CREDENTIAL_LIFETIME_SECONDS } from './credential/credential.ts';
export type { IssueCredentialOptions, VerifyCredentialOptions } from './credential/credential.ts';
export { resolverOf, firstOf } from './trust/resolver.ts';
export { RegistryStore } from './trust/registry-store.ts';
export type { RegistryRecord } from './trust/registry-store.ts';
export { VendorStore } from './trust/vendor-store.ts';
export type {
  VendorStatus,
  VendorVerificationLevel,
  DriftKind,
  VendorRecord,
  VendorObservation,
  VendorChange,
  ObserveResult,
  VendorStoreOptions,
} from './trust/vendor-store.ts';
export { discoverVendor, refreshVendor, parseOrigin, parseVendorJwks, AGENT_CARD_PATH, JWKS_PATH, MAX_VENDOR_KEYS } from './trust/discover.ts';
export type { DiscoverOptions } from './trust/discover.ts';
export {
  signRequest,
  verifyRequest,
  signDirectoryResponse,
  contentDigest,
  HTTPSIG_TAG,
  DEFAULT_COVERED_COMPONENTS,
  REQUIRED_SIGNATURE_PARAMETERS,
} from './httpsig/http-signature.ts';
export type { HttpRequestParts, SignRequestOptions, SignatureHeaders, VerifyRequestOptions, VerifiedRequest, DirectorySignatureHeaders } from './httpsig/http-signature.ts';
export { fetchGuarded, fetchJsonGuarded, isPrivateAddress } from './fetch/safe-fetch.ts';
export type { SafeFetchOptions } from './fetch/safe-fetch.ts';
