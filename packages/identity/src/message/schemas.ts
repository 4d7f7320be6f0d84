import {
  MessageType,
  SignedCounterOffer,
  SignedOffer,
  SignedOrder,
  SignedPaymentToken,
  SignedReceipt,
  SignedRfq,
  VendorCredential,
} from '@steward/protocol';
import type { z } from 'zod';

/** The strict payload schema for each signed message purpose (the JWS `typ` picks the schema). */
export const MESSAGE_SCHEMAS = {
  rfq: SignedRfq,
  offer: SignedOffer,
  counterOffer: SignedCounterOffer,
  order: SignedOrder,
  receipt: SignedReceipt,
  paymentToken: SignedPaymentToken,
  credential: VendorCredential,
} as const;

/** A message purpose Steward signs as a JWT with standard claims. */
export type SignedMessageType = keyof typeof MESSAGE_SCHEMAS;

/** The verified payload of a message of purpose `T`. */
export type MessagePayload<T extends SignedMessageType> = z.output<(typeof MESSAGE_SCHEMAS)[T]>;

/** The `typ` header of a message purpose. */
export function typOf(type: SignedMessageType): string {
  return MessageType[type];
}
