import { z } from 'zod';
import { DeclaredAffiliation } from './card.ts';
import { EntityRef } from './entity.ts';
import { MessageClaims } from './messages.ts';
import { Category, Origin, Thumbprint } from './primitives.ts';

/** How thoroughly a registry checked a vendor. Ordered: basic < verified < audited. */
export const VerificationLevel = z.enum(['basic', 'verified', 'audited']);
export type VerificationLevel = z.infer<typeof VerificationLevel>;

/**
 * A vendor credential: a JWT from a registry the person trusts, binding the vendor's key
 * thumbprint (`cnf.jkt`, RFC 7800 / RFC 9449 style) to a verified legal entity and its owners.
 */
export const VendorCredential = MessageClaims.extend({
  /** The vendor origin the credential is about. */
  sub: Origin,
  cnf: z.strictObject({ jkt: Thumbprint }),
  legalEntity: EntityRef,
  owners: z.array(DeclaredAffiliation).max(50),
  payoutId: z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/),
  categories: z.array(Category).min(1).max(4),
  verificationLevel: VerificationLevel,
}).strict();
export type VendorCredential = z.infer<typeof VendorCredential>;
