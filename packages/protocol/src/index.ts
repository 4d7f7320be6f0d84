export { StewardError, ProtocolError, isStewardError, PROTOCOL_ERROR_STATUS } from './errors.ts';
export type { ErrorDetails, StewardErrorOptions, ProtocolErrorCode, SchemaIssue } from './errors.ts';
export {
  CurrencyCode,
  Money,
  Id,
  Sku,
  EpochSeconds,
  IsoDateTime,
  IsoDate,
  Sha256B64u,
  Thumbprint,
  Origin,
  HttpUrl,
  vendorText,
  Category,
  DataClass,
  Purpose,
} from './primitives.ts';
export { EntityRef, Relation } from './entity.ts';
export {
  COMMERCE_EXTENSION_URI,
  AgentCard,
  AgentCardSignature,
  CommerceExtension,
  DeclaredAffiliation,
} from './card.ts';
export {
  MessageType,
  MessageClaims,
  BillingPeriod,
  RequestedItem,
  RfqConstraints,
  Rfq,
  OfferItem,
  Fee,
  Window,
  Offer,
  CounterOffer,
  PaymentToken,
  Order,
  Receipt,
  signedPayload,
  SignedOffer,
  SignedRfq,
  SignedCounterOffer,
  SignedOrder,
  SignedReceipt,
  SignedPaymentToken,
} from './messages.ts';
export type { MessageTypeName, MessageTypValue } from './messages.ts';
export { VendorCredential, VerificationLevel } from './credential.ts';
export { TaskSpec } from './task.ts';
export { AgentManifest, FactOrigin, EvidenceEdge, FlagKind, Flag } from './provenance.ts';
export { Effect, Reason, Decision, ApprovalKind, ApprovalStatus, Approval } from './decision.ts';
export { AuditEventType, Actor, AuditEvent } from './audit.ts';
export { parseJson, parseStrict, checkJsonDepth, toSchemaIssues } from './parse.ts';
export type { JsonLimits } from './parse.ts';
export { BOUNDARY_SCHEMAS } from './registry.ts';
export { renderJsonSchemas } from './json-schema.ts';
export { systemClock, FixedClock } from './clock.ts';
export type { Clock } from './clock.ts';
