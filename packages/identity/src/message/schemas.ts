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
import { compile } from 'zod/v4/core';

/**
 * The strict payload schema for each signed message purpose (the JWS `typ` picks the schema).
 * Each is the protocol schema ahead-of-time compiled by zod (`compile`): a generated parser for
 * the accepting path, falling back to zod's runtime parser (and its issues) whenever the fast path
 * does not accept, so what is accepted and refused is the protocol schema's (a property test checks
 * both agree). Verification is on every vendor message's hot path; this is most of its cost.
 */
export const MESSAGE_SCHEMAS = {
  rfq: compile(SignedRfq),
  offer: compile(SignedOffer),
  counterOffer: compile(SignedCounterOffer),
  order: compile(SignedOrder),
  receipt: compile(SignedReceipt),
  paymentToken: compile(SignedPaymentToken),
  credential: compile(VendorCredential),
} as const;

/** A message purpose Steward signs as a JWT with standard claims. */
export type SignedMessageType = keyof typeof MESSAGE_SCHEMAS;

/** The verified payload of a message of purpose `T`. */
export type MessagePayload<T extends SignedMessageType> = z.output<(typeof MESSAGE_SCHEMAS)[T]>;

/** The `typ` header of a message purpose. */
export function typOf(type: SignedMessageType): string {
  return MessageType[type];
}
