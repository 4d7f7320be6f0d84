import { systemClock, type Clock, type VendorCredential } from '@steward/protocol';
import { IdentityError } from '../errors.ts';
import type { KeyResolver } from '../keys/key-pair.ts';
import { signMessage, type MessageBody } from '../message/sign.ts';
import { verifyClaims } from '../message/verify.ts';
import type { SigningKey } from '../keys/key-pair.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';

/** Audience of vendor credentials: any Steward broker. */
export const CREDENTIAL_AUDIENCE = 'urn:steward:broker';
/** Default credential lifetime: one year. */
export const DEFAULT_CREDENTIAL_LIFETIME_SECONDS = 365 * 86_400;

/** How a registry issues a credential. */
export interface IssueCredentialOptions {
  /** The registry's signing key. */
  key: SigningKey;
  /** The registry's identifier (its origin), the credential's `iss`. */
  registry: string;
  clock?: Clock;
  lifetimeSeconds?: number;
}

/**
 * Issues a vendor credential (a registry's side): a JWT with `typ` `steward-vendor-credential+jwt`
 * binding the vendor key thumbprint (`cnf.jkt`) to its legal entity and owners.
 * @see https://www.rfc-editor.org/rfc/rfc7800#section-3.1
 */
export function issueCredential(body: MessageBody<'credential'>, options: IssueCredentialOptions): string {
  return signMessage('credential', body, {
    key: options.key,
    iss: options.registry,
    aud: CREDENTIAL_AUDIENCE,
    lifetimeSeconds: options.lifetimeSeconds ?? DEFAULT_CREDENTIAL_LIFETIME_SECONDS,
    ...(options.clock ? { clock: options.clock } : {}),
  }).token;
}

/** How to verify a credential. */
export interface VerifyCredentialOptions {
  /** Keys of registries the person trusts (owner = registry id). */
  registries: KeyResolver;
  revocation: RevocationCheck;
  /** The vendor origin it must be about. */
  subject: string;
  /** Thumbprints of the vendor's keys; `cnf.jkt` must be one of them. */
  vendorKids: readonly string[];
  clock?: Clock;
}

/**
 * Verifies a registry credential: signed by a trusted registry key (never a key named inside
 * the token), `iss` = that registry, for any Steward broker, about `subject`, bound to one of
 * the vendor's keys. Credentials are presented many times, so no `jti` is recorded.
 */
export function verifyCredential(token: unknown, options: VerifyCredentialOptions): VendorCredential {
  const { payload, key } = verifyClaims(token, 'credential', {
    audience: CREDENTIAL_AUDIENCE,
    resolveKey: (kid) => {
      const k = options.registries(kid);
      if (!k) {
        throw new IdentityError('ERR_CREDENTIAL_ISSUER_UNTRUSTED', `credential key \`${kid}\` belongs to no registry the person trusts`, { details: { kid } });
      }
      return k;
    },
    revocation: options.revocation,
    replay: null,
    clock: options.clock ?? systemClock,
    maxLifetimeSeconds: 5 * DEFAULT_CREDENTIAL_LIFETIME_SECONDS,
  });
  if (payload.sub !== options.subject) {
    throw new IdentityError('ERR_CREDENTIAL_SUBJECT_MISMATCH', `credential is about \`${payload.sub}\`, not \`${options.subject}\``, { details: { sub: payload.sub, expected: options.subject } });
  }
  if (!options.vendorKids.includes(payload.cnf.jkt)) {
    throw new IdentityError('ERR_CREDENTIAL_KEY_MISMATCH', `credential binds key \`${payload.cnf.jkt}\`, which the vendor does not use`, { details: { jkt: payload.cnf.jkt, registry: key.owner } });
  }
  return payload;
}
