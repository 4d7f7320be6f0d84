import { z } from 'zod';

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 alphabetic currency code that the runtime knows, e.g. `USD`. */
export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code')
  .refine((c) => ISO_4217.has(c), { message: 'unknown ISO 4217 currency code' });

/**
 * Money as integer minor units plus an ISO 4217 code; never a float.
 * `{ amountMinor: 4999, currency: 'USD' }` is $49.99.
 */
export const Money = z.strictObject({
  amountMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: CurrencyCode,
});
export type Money = z.infer<typeof Money>;

/** An opaque identifier chosen by a party: letters, digits and `._:-`, at most 128 characters. */
export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be an identifier of letters, digits and ._:-');

/** A stock-keeping unit: a short code, never free text. */
export const Sku = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a SKU of letters, digits and ._-');

/** Epoch seconds. */
export const EpochSeconds = z.number().int().min(0).max(253402300799);

/** An ISO 8601 timestamp with a time zone, e.g. `2026-11-25T10:00:00Z`. */
export const IsoDateTime = z.iso.datetime({ offset: true });

/** An ISO 8601 calendar date, e.g. `2026-11-28`. */
export const IsoDate = z.iso.date();

/** A SHA-256 digest, base64url without padding (43 characters). */
export const Sha256B64u = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest');

/** A JWK SHA-256 thumbprint (RFC 7638), base64url (43 characters). */
export const Thumbprint = Sha256B64u;

/** A web origin: scheme, host and optional port, no path (e.g. `https://shop.example`). */
export const Origin = z
  .string()
  .max(256)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
      } catch {
        return false;
      }
    },
    { message: 'must be a web origin such as `https://shop.example` (no path, no trailing slash)' },
  );

/** An absolute http(s) URL of bounded length. */
export const HttpUrl = z
  .string()
  .max(2048)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'https:' || u.protocol === 'http:';
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http(s) URL' },
  );

/**
 * Free text written by a vendor, capped in length. Screening (NFKC, invisible characters,
 * instruction-like text) happens in the broker; the cap here is the first, structural line.
 */
export const vendorText = (max: number) => z.string().max(max);

/** The categories of things a person delegates. */
export const Category = z.enum(['groceries', 'restaurant', 'travel', 'general']);
export type Category = z.infer<typeof Category>;

/** Classes of personal data, shared by the profile, the policies and disclosures. */
export const DataClass = z.enum([
  'name',
  'email',
  'phone',
  'address',
  'payment',
  'birth_date',
  'health',
  'location',
  'identity_document',
  'preferences',
]);
export type DataClass = z.infer<typeof DataClass>;

/** Why personal data would leave: the purpose a disclosure serves. */
export const Purpose = z.enum(['quote', 'order', 'delivery', 'booking', 'account', 'support', 'marketing', 'discount']);
export type Purpose = z.infer<typeof Purpose>;
