import { AgentCard, COMMERCE_EXTENSION_URI, CommerceExtension, isStewardError, parseStrict, type AgentCardSignature } from '@steward/protocol';
import { IdentityError, type IdentityErrorCode } from '../errors.ts';
import { b64uDecode, b64uEncode } from '../internal/b64.ts';
import { checkHeader, decodeProtectedHeader, resolveTrustedKey, verifyBytes } from '../jws/jws.ts';
import type { KeyResolver, VerificationKey } from '../keys/key-pair.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import { canonicalCardSdk, canonicalCardSpec, cardHash, sdkUncoveredFields, type CardForm } from './canonical.ts';

/**
 * Card fields an SDK-form signature may leave uncovered: `url` is bound to the serving origin by
 * its own check; the others are informational. Anything else uncovered refuses the card.
 */
export const SDK_UNCOVERED_ALLOWED: ReadonlySet<string> = new Set([
  'url',
  'protocolVersion',
  'preferredTransport',
  'supportsAuthenticatedExtendedCard',
  'capabilities.stateTransitionHistory',
]);

/** How to verify a card. */
export interface VerifyCardOptions {
  /** The origin the card was fetched from (scheme://host[:port]). */
  servedFrom: string;
  /** Keys the person trusts for this origin: pinned keys, or the keys shown during an explicit `add`. */
  resolveKey: KeyResolver;
  revocation: RevocationCheck;
  /** Require the Steward commerce extension (vendors). Default true. */
  requireCommerce?: boolean;
}

/** A verified card. */
export interface VerifiedCard {
  card: AgentCard;
  commerce: CommerceExtension | undefined;
  key: VerificationKey;
  /** Which canonical form the signature matched. */
  form: CardForm;
  /** SHA-256 of the spec-form canonical card (base64url). */
  hash: string;
  /** Fields the signature does not cover (only ever from {@link SDK_UNCOVERED_ALLOWED}, and only for the SDK form). */
  uncovered: string[];
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** The commerce extension's params, parsed strictly, or undefined when the card has none. */
export function commerceExtensionOf(card: AgentCard): CommerceExtension | undefined {
  const ext = card.capabilities.extensions?.filter((e) => e.uri === COMMERCE_EXTENSION_URI) ?? [];
  if (ext.length > 1) throw new IdentityError('ERR_CARD_INVALID', 'card declares the commerce extension more than once');
  const first = ext[0];
  if (!first) return undefined;
  try {
    return parseStrict(CommerceExtension, first.params, 'commerce extension');
  } catch (cause) {
    throw new IdentityError('ERR_CARD_INVALID', 'card commerce extension is invalid', { cause });
  }
}

function checkOriginBinding(card: AgentCard, commerce: CommerceExtension | undefined, servedFrom: string): void {
  const mismatch = (what: string, origin: string): IdentityError =>
    new IdentityError('ERR_CARD_ORIGIN_MISMATCH', `card ${what} \`${origin}\` is not the origin that served it (\`${servedFrom}\`)`, {
      details: { what, origin, servedFrom },
    });
  if (originOf(card.url) !== servedFrom) throw mismatch('url', originOf(card.url));
  for (const i of card.additionalInterfaces ?? []) if (originOf(i.url) !== servedFrom) throw mismatch('interface url', originOf(i.url));
  if (commerce && commerce.origin !== servedFrom) throw mismatch('commerce origin', commerce.origin);
}

const PRIORITY: IdentityErrorCode[] = ['ERR_KEY_REVOKED', 'ERR_CARD_ORIGIN_MISMATCH', 'ERR_JWS_SIGNATURE_INVALID', 'ERR_CARD_SIGNATURE_UNCOVERED', 'ERR_JWS_ALG_KEY_MISMATCH', 'ERR_JWS_TYP_MISMATCH', 'ERR_JWS_KID_MISSING', 'ERR_JWS_KID_UNKNOWN'];

function verifyOne(sig: AgentCardSignature, card: AgentCard, options: VerifyCardOptions, texts: { spec: string; sdk: () => string }): { key: VerificationKey; form: CardForm; uncovered: string[] } {
  if (sig.header) checkHeader(sig.header, true);
  const header = decodeProtectedHeader(sig.protected);
  if (header.typ !== undefined && header.typ !== 'JOSE') {
    throw new IdentityError('ERR_JWS_TYP_MISMATCH', `card signature \`typ\` is \`${header.typ}\`, expected \`JOSE\``, { details: { typ: header.typ } });
  }
  const key = resolveTrustedKey(header, { resolveKey: options.resolveKey, isKeyRevoked: (kid) => options.revocation.isKeyRevoked(kid) });
  if (key.owner !== options.servedFrom) {
    throw new IdentityError('ERR_CARD_ORIGIN_MISMATCH', `card key \`${key.kid}\` belongs to \`${key.owner}\`, not \`${options.servedFrom}\``, {
      details: { kid: key.kid, owner: key.owner, servedFrom: options.servedFrom },
    });
  }
  const signature = b64uDecode(sig.signature, 'card signature');
  const input = (payload: string) => Buffer.from(`${sig.protected}.${b64uEncode(payload)}`, 'ascii');
  if (verifyBytes(key, input(texts.spec), signature)) return { key, form: 'spec', uncovered: [] };
  const sdk = texts.sdk();
  if (sdk !== texts.spec && verifyBytes(key, input(sdk), signature)) {
    const uncovered = sdkUncoveredFields(card);
    const refused = uncovered.filter((p) => !SDK_UNCOVERED_ALLOWED.has(p));
    if (refused.length > 0) {
      throw new IdentityError('ERR_CARD_SIGNATURE_UNCOVERED', `card signature (sdk form) does not cover \`${refused.join('`, `')}\``, {
        details: { fields: refused },
      });
    }
    return { key, form: 'sdk', uncovered };
  }
  throw new IdentityError('ERR_JWS_SIGNATURE_INVALID', `card signature does not verify with key \`${key.kid}\``, { details: { kid: key.kid } });
}

/**
 * Verifies a vendor's Agent Card: revocation of the origin, strict schema, card ↔ origin binding
 * (`url`, interfaces and the commerce extension's `origin` must be the serving origin), then a
 * detached JWS by a trusted key of that origin over the spec canonical form, or the
 * @a2a-js/sdk form when it covers every security-relevant field.
 * @see https://a2a-protocol.org/latest/specification/#84-agent-card-signing
 */
export function verifyCard(value: unknown, options: VerifyCardOptions): VerifiedCard {
  if (options.revocation.isOriginRevoked(options.servedFrom)) {
    throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${options.servedFrom}\` is revoked`, { details: { origin: options.servedFrom } });
  }
  let card: AgentCard;
  try {
    card = parseStrict(AgentCard, value, 'agent card');
  } catch (cause) {
    throw new IdentityError('ERR_CARD_INVALID', 'agent card does not match the schema', { cause });
  }
  const commerce = commerceExtensionOf(card);
  if (!commerce && options.requireCommerce !== false) {
    throw new IdentityError('ERR_CARD_EXTENSION_MISSING', 'agent card has no Steward commerce extension', { details: { uri: COMMERCE_EXTENSION_URI } });
  }
  checkOriginBinding(card, commerce, options.servedFrom);
  const signatures = card.signatures ?? [];
  if (signatures.length === 0) throw new IdentityError('ERR_CARD_UNSIGNED', 'agent card carries no signature');
  // Every header is checked before any signature is tried: a card that names its own key, an
  // algorithm off the list or an unknown `crit` in any signature is refused whole.
  for (const sig of signatures) {
    if (sig.header) checkHeader(sig.header, true);
    decodeProtectedHeader(sig.protected);
  }
  // Checked on the parsed object: parsing removed nothing (strict schema), so it is what was served.
  const spec = canonicalCardSpec(card);
  let sdkText: string | undefined;
  const texts = { spec, sdk: () => (sdkText ??= canonicalCardSdk(card)) };
  const failures: IdentityError[] = [];
  for (const sig of signatures) {
    try {
      const ok = verifyOne(sig, card, options, texts);
      return { card, commerce, key: ok.key, form: ok.form, hash: cardHash(card), uncovered: ok.uncovered };
    } catch (error) {
      if (!(error instanceof IdentityError)) throw isStewardError(error) ? error : new IdentityError('ERR_CARD_INVALID', 'card signature check failed', { cause: error });
      if (!PRIORITY.includes(error.code)) throw error;
      failures.push(error);
    }
  }
  failures.sort((a, b) => PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code));
  throw failures[0] ?? new IdentityError('ERR_CARD_UNSIGNED', 'agent card carries no valid signature');
}
