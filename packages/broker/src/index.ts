export { BrokerError, BROKER_ERROR_STATUS } from './errors.ts';
export type { BrokerErrorCode } from './errors.ts';
export { screenVendorText } from './screen/screen.ts';
export type { ScreenedText } from './screen/screen.ts';
export { normaliseVendorText, findForbiddenChars } from './screen/unicode.ts';
export { MIGRATIONS } from './migrations.ts';
export { ApprovalBook } from './approvals/book.ts';
export type { ApprovalAnswer } from './approvals/book.ts';
export { subjectHash } from './approvals/subject.ts';
export type { OrderSubject } from './approvals/subject.ts';
export { BrokerEngine, formatMoney } from './negotiation/engine.ts';
export type { BrokerEngineOptions, ProgressEvent, OfferView, OrderOutcome } from './negotiation/engine.ts';
export { shuffled, compareOffers, constraintGaps } from './negotiation/ranking.ts';
export { OrderSettlements } from './orders/settle.ts';
export type { SettleOutcome, SettledOrder, UnsettledOrder, OrderSettlementsOptions } from './orders/settle.ts';
export type {
  EnrolledVendor,
  VendorDirectory,
  OutboundMessage,
  VendorReply,
  VendorTransport,
  ReceivedOffer,
  ProvenancePort,
  DisclosurePlan,
  DisclosurePort,
  PaymentPort,
  AuditPort,
} from './negotiation/ports.ts';
