import { randomBytes } from 'node:crypto';
import { parseStrict, systemClock, type Clock } from '@steward/protocol';
import { IdentityError } from '../errors.ts';
import { signCompact } from '../jws/jws.ts';
import type { SigningKey } from '../keys/key-pair.ts';
import { MESSAGE_SCHEMAS, typOf, type MessagePayload, type SignedMessageType } from './schemas.ts';

/** Default lifetime of a signed message: five minutes. */
export const DEFAULT_MESSAGE_LIFETIME_SECONDS = 300;

/** How to sign a message. */
export interface SignMessageOptions {
  key: SigningKey;
  /** Who signs: the broker's or vendor's origin. */
  iss: string;
  /** Who it is for. */
  aud: string;
  clock?: Clock;
  /** Seconds until `exp`. Default {@link DEFAULT_MESSAGE_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
  /** A fixed `jti`; default 24 random bytes. */
  jti?: string;
}

/** The claims Steward sets itself. */
type ClaimNames = 'iss' | 'aud' | 'iat' | 'exp' | 'jti';

/** A body of purpose `T` without the standard claims. */
export type MessageBody<T extends SignedMessageType> = Omit<MessagePayload<T>, ClaimNames>;

/** A signed message: the compact JWS and the payload exactly as signed. */
export interface SignedMessage<T extends SignedMessageType> {
  token: string;
  payload: MessagePayload<T>;
}

/** A fresh `jti`: 24 random bytes, base64url. */
export function newJti(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Signs `body` as a compact JWS with `typ` for its purpose and `iss`, `aud`, `iat`, `exp`, `jti`.
 * The full payload is checked against the strict schema first: Steward never signs what it
 * would refuse to verify.
 * @see https://www.rfc-editor.org/rfc/rfc7519
 */
export function signMessage<T extends SignedMessageType>(type: T, body: MessageBody<T>, options: SignMessageOptions): SignedMessage<T> {
  const iat = Math.floor((options.clock ?? systemClock).now() / 1000);
  const lifetime = options.lifetimeSeconds ?? DEFAULT_MESSAGE_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new IdentityError('ERR_MESSAGE_LIFETIME_EXCEEDED', `message lifetime ${lifetime} must be a positive whole number of seconds`);
  }
  const candidate = { ...body, iss: options.iss, aud: options.aud, iat, exp: iat + lifetime, jti: options.jti ?? newJti() };
  const payload = parseStrict(MESSAGE_SCHEMAS[type], candidate, type) as MessagePayload<T>;
  return { token: signCompact(JSON.stringify(payload), options.key, { typ: typOf(type) }), payload };
}
