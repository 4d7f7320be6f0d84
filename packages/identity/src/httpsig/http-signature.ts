import { createHash, randomBytes, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { component, createSignatureSync, isSignatureError, verifySignature, type FieldOccurrence, type RequestDescriptor, type SignatureParameters, type Verifier } from 'http-message-sig';
import { parseDictionary } from 'structured-headers';
import { isStewardError, systemClock, type Clock } from '@steward/protocol';
import { IdentityError } from '../errors.ts';
import type { KeyResolver, SigningKey, VerificationKey } from '../keys/key-pair.ts';
import type { ReplayStore } from '../replay/replay-store.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';

/** `tag` values, one per purpose, so a signature made for one use never passes as another. */
export const HTTPSIG_TAG = {
  /** The broker's requests to vendor agents and vendors' requests to the broker. */
  request: 'steward-request',
  /** A signed key directory response. */
  directory: 'http-message-signatures-directory',
  /** The Web Bot Auth profile's own tag. */
  webBotAuth: 'web-bot-auth',
} as const;

/** What every Steward request signature covers. */
export const DEFAULT_COVERED_COMPONENTS: readonly string[] = ['@method', '@authority', '@path', 'content-digest'];
/** Parameters every Steward request signature carries. */
export const REQUIRED_SIGNATURE_PARAMETERS: readonly string[] = ['created', 'expires', 'keyid', 'nonce', 'tag'];

const SKEW_SECONDS = 60;

/** An HTTP request as signing and verification see it. */
export interface HttpRequestParts {
  method: string;
  /** The full target URI as the receiver sees it (scheme, authority, path, query). */
  url: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>> | readonly (readonly [string, string])[];
  body?: Uint8Array | string;
}

function fieldsOf(headers: HttpRequestParts['headers']): FieldOccurrence[] {
  const out: FieldOccurrence[] = [];
  const entries: [string, string | readonly string[] | undefined][] = Array.isArray(headers)
    ? (headers as readonly (readonly [string, string])[]).map(([k, v]) => [k, v])
    : Object.entries(headers as Record<string, string | readonly string[] | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const v of typeof value === 'string' ? [value] : value) out.push({ name: name.toLowerCase(), value: v });
  }
  return out;
}

function headerValue(fields: readonly FieldOccurrence[], name: string): string | undefined {
  const values = fields.filter((f) => f.name === name).map((f) => f.value);
  return values.length === 0 ? undefined : values.join(', ');
}

/**
 * RFC 9530 `Content-Digest` with SHA-256 over the exact body bytes.
 * @see https://www.rfc-editor.org/rfc/rfc9530
 */
export function contentDigest(body: Uint8Array | string = ''): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

function algorithmOf(key: { alg: string }): string {
  return key.alg === 'EdDSA' ? 'ed25519' : 'ecdsa-p256-sha256';
}

function verifierFor(key: VerificationKey): Verifier {
  const algorithm = algorithmOf(key);
  return {
    algorithm,
    verify: (data, signature) =>
      algorithm === 'ed25519'
        ? signature.length === 64 && cryptoVerify(null, data, key.publicKey, signature)
        : signature.length === 64 && cryptoVerify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
  };
}

/** How to sign a request. */
export interface SignRequestOptions {
  /** Purpose tag; default {@link HTTPSIG_TAG.request}. */
  tag?: string;
  clock?: Clock;
  /** Seconds until `expires`. Default 60. */
  lifetimeSeconds?: number;
  /** A fixed nonce; default 32 random bytes, base64. */
  nonce?: string;
  label?: string;
  /** Components to cover; default {@link DEFAULT_COVERED_COMPONENTS}. */
  components?: readonly string[];
}

/** Headers to add to a signed request. */
export type SignatureHeaders = {
  'content-digest': string;
  'signature-input': string;
  signature: string;
};

/**
 * Signs an outbound request (RFC 9421, Web Bot Auth profile): `keyid` = JWK thumbprint,
 * `created`/`expires`, a random `nonce` and a purpose `tag`, covering `@method`, `@authority`,
 * `@path` and `content-digest` (RFC 9530 SHA-256 of the body). Returns the headers to add.
 * @see https://www.rfc-editor.org/rfc/rfc9421#section-3.1
 */
export function signRequest(request: HttpRequestParts, key: SigningKey, options: SignRequestOptions = {}): SignatureHeaders {
  const created = Math.floor((options.clock ?? systemClock).now() / 1000);
  const digest = contentDigest(request.body);
  const fields = fieldsOf(request.headers).filter((f) => f.name !== 'content-digest');
  fields.push({ name: 'content-digest', value: digest });
  const parameters: SignatureParameters = {
    created,
    expires: created + (options.lifetimeSeconds ?? 60),
    keyid: key.kid,
    nonce: options.nonce ?? randomBytes(32).toString('base64'),
    tag: options.tag ?? HTTPSIG_TAG.request,
  };
  const algorithm = algorithmOf(key);
  const out = createSignatureSync(
    { kind: 'request', method: request.method.toUpperCase(), targetUri: request.url, fields },
    {
      label: options.label ?? 'sig1',
      components: options.components ?? DEFAULT_COVERED_COMPONENTS,
      parameters,
      signer: {
        algorithm,
        sign: (data) =>
          algorithm === 'ed25519' ? cryptoSign(null, data, key.privateKey) : cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
      },
    },
  );
  return { 'content-digest': digest, 'signature-input': out.signatureInput, signature: out.signature };
}

/** How to verify an inbound request. */
export interface VerifyRequestOptions {
  /** Trusted keys by `keyid` (thumbprint). */
  resolveKey: KeyResolver;
  revocation: RevocationCheck;
  /** Durable nonce store: a nonce is accepted once. */
  replay: ReplayStore;
  /** The purpose tag the signature must carry. Default {@link HTTPSIG_TAG.request}. */
  tag?: string;
  clock?: Clock;
  /** Longest accepted `expires − created`. Default 300 s. */
  maxLifetimeSeconds?: number;
  /** Components the signature must cover. Default {@link DEFAULT_COVERED_COMPONENTS}. */
  requiredComponents?: readonly string[];
  /** Check `Content-Digest` against the body. Default true. */
  requireContentDigest?: boolean;
  /** Which signature to check when there are several. */
  label?: string;
}

/** A verified request signature. */
export interface VerifiedRequest {
  key: VerificationKey;
  label: string;
  parameters: SignatureParameters;
}

function checkDigest(fields: readonly FieldOccurrence[], body: Uint8Array | string | undefined): void {
  const header = headerValue(fields, 'content-digest');
  if (header === undefined) throw new IdentityError('ERR_HTTPSIG_POLICY', 'request has no `Content-Digest`');
  let dict;
  try {
    dict = parseDictionary(header);
  } catch (cause) {
    throw new IdentityError('ERR_HTTPSIG_MALFORMED', '`Content-Digest` is malformed', { cause });
  }
  const member = dict.get('sha-256');
  if (!member || !(member[0] instanceof ArrayBuffer)) throw new IdentityError('ERR_HTTPSIG_POLICY', '`Content-Digest` has no sha-256 member');
  const expected = createHash('sha256').update(body ?? '').digest();
  if (!expected.equals(Buffer.from(member[0]))) {
    throw new IdentityError('ERR_HTTPSIG_DIGEST_MISMATCH', 'body does not match its `Content-Digest`');
  }
}

function mapLibraryError(error: unknown): IdentityError {
  if (isSignatureError(error)) {
    const cause = error.cause;
    if (error.code === 'ResolverFailed' && isStewardError(cause)) return cause as IdentityError;
    switch (error.code) {
      case 'MissingField':
        return new IdentityError('ERR_HTTPSIG_MISSING', 'request carries no `Signature` and `Signature-Input`', { cause: error });
      case 'VerificationFailed':
        return new IdentityError('ERR_HTTPSIG_INVALID', 'request signature does not verify', { cause: error });
      case 'PolicyViolation':
      case 'AlgorithmMismatch':
        return new IdentityError('ERR_HTTPSIG_POLICY', `request signature breaks the policy: ${error.message.toLowerCase()}`, { cause: error });
      case 'MalformedField':
      case 'LabelRequired':
      case 'LabelMismatch':
      case 'DuplicateLabel':
      case 'InvalidComponent':
      case 'DuplicateComponent':
      case 'UnsupportedFeature':
      case 'ResolverFailed':
        return new IdentityError('ERR_HTTPSIG_MALFORMED', `request signature is malformed: ${error.message.toLowerCase()}`, { cause: error });
    }
  }
  if (error instanceof IdentityError) return error;
  return new IdentityError('ERR_HTTPSIG_MALFORMED', 'request signature cannot be read', { cause: error });
}

/**
 * Verifies an inbound request's RFC 9421 signature with the same policy as outbound ones:
 * `Content-Digest` matches the body, the signature covers the required components, carries
 * `created`/`expires`/`keyid`/`nonce`/`tag` with the expected tag and a bounded window, the key
 * is trusted and not revoked, and the nonce was never seen (durably recorded).
 * @see https://www.rfc-editor.org/rfc/rfc9421#section-3.2
 */
export async function verifyRequest(request: HttpRequestParts, options: VerifyRequestOptions): Promise<VerifiedRequest> {
  const fields = fieldsOf(request.headers);
  if (headerValue(fields, 'signature') === undefined || headerValue(fields, 'signature-input') === undefined) {
    throw new IdentityError('ERR_HTTPSIG_MISSING', 'request carries no `Signature` and `Signature-Input`');
  }
  if (options.requireContentDigest !== false) checkDigest(fields, request.body);
  const now = Math.floor((options.clock ?? systemClock).now() / 1000);
  const tag = options.tag ?? HTTPSIG_TAG.request;
  const maxLifetime = options.maxLifetimeSeconds ?? 300;
  let trusted: VerificationKey | undefined;
  const descriptor: RequestDescriptor = { kind: 'request', method: request.method.toUpperCase(), targetUri: request.url, fields };
  let verified;
  try {
    verified = await verifySignature(descriptor, {
      ...(options.label === undefined ? {} : { label: options.label }),
      policy: {
        algorithms: ['ed25519', 'ecdsa-p256-sha256'],
        requiredComponents: options.requiredComponents ?? DEFAULT_COVERED_COMPONENTS,
        requiredParameters: REQUIRED_SIGNATURE_PARAMETERS,
        // Time is checked below with Steward's own codes; the library's window is opened wide.
        clockSkew: Number.MAX_SAFE_INTEGER,
        now,
      },
      resolveVerifier: (candidate) => {
        const p = candidate.parameters;
        if (p.tag !== tag) throw new IdentityError('ERR_HTTPSIG_POLICY', `signature tag \`${String(p.tag)}\` is not \`${tag}\``, { details: { tag: String(p.tag), expected: tag } });
        const { created, expires, keyid, nonce } = p;
        if (typeof created !== 'number' || typeof expires !== 'number' || typeof keyid !== 'string' || typeof nonce !== 'string') {
          throw new IdentityError('ERR_HTTPSIG_MALFORMED', 'signature parameters have the wrong types');
        }
        if (nonce.length < 16 || nonce.length > 256) throw new IdentityError('ERR_HTTPSIG_POLICY', 'signature nonce must have 16 to 256 characters');
        if (created > now + SKEW_SECONDS) throw new IdentityError('ERR_HTTPSIG_EXPIRED', `signature was created ${created - now}s in the future`, { details: { created } });
        if (expires <= now - SKEW_SECONDS) throw new IdentityError('ERR_HTTPSIG_EXPIRED', `signature expired ${now - expires}s ago`, { details: { expires } });
        if (expires <= created || expires - created > maxLifetime) {
          throw new IdentityError('ERR_HTTPSIG_POLICY', `signature window ${expires - created}s is outside 1..${maxLifetime}s`);
        }
        if (options.revocation.isKeyRevoked(keyid)) throw new IdentityError('ERR_KEY_REVOKED', `key \`${keyid}\` is revoked`, { details: { kid: keyid } });
        const key = options.resolveKey(keyid);
        if (!key) throw new IdentityError('ERR_HTTPSIG_KEYID_UNKNOWN', `keyid \`${keyid}\` is not in the trust store`, { details: { kid: keyid } });
        if (options.revocation.isOriginRevoked(key.owner)) throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${key.owner}\` is revoked`, { details: { origin: key.owner } });
        trusted = key;
        return verifierFor(key);
      },
    });
  } catch (error) {
    throw mapLibraryError(error);
  }
  if (!trusted) throw new IdentityError('ERR_HTTPSIG_INVALID', 'request signature was not checked against a trusted key');
  const p = verified.parameters;
  options.replay.checkAndRecord(`httpsig:${trusted.owner}`, String(p.nonce), Number(p.expires) + SKEW_SECONDS, now, 'ERR_HTTPSIG_REPLAYED');
  return { key: trusted, label: verified.label, parameters: p };
}

/** Headers that sign a key directory response. */
export type DirectorySignatureHeaders = {
  'signature-input': string;
  signature: string;
};

/**
 * Signs the response that serves the broker's key directory, once per key in it, with tag
 * `http-message-signatures-directory` over `"@authority";req`, so a verifier can check that each
 * published key is held by whoever serves the directory (Web Bot Auth directory draft).
 * `requestUrl` is the URL the directory was requested at.
 * @see https://datatracker.ietf.org/doc/draft-meunier-http-message-signatures-directory/
 */
export function signDirectoryResponse(requestUrl: string, keys: readonly SigningKey[], options: { clock?: Clock; lifetimeSeconds?: number } = {}): DirectorySignatureHeaders {
  const created = Math.floor((options.clock ?? systemClock).now() / 1000);
  const inputs: string[] = [];
  const signatures: string[] = [];
  keys.forEach((key, i) => {
    const algorithm = algorithmOf(key);
    const out = createSignatureSync(
      { kind: 'response', status: 200, fields: [], request: { kind: 'request', method: 'GET', targetUri: requestUrl, fields: [] } },
      {
        label: `sig${i + 1}`,
        components: [component('@authority', { req: true })],
        parameters: { created, expires: created + (options.lifetimeSeconds ?? 300), keyid: key.kid, alg: algorithm, tag: HTTPSIG_TAG.directory },
        signer: {
          algorithm,
          sign: (data) =>
            algorithm === 'ed25519' ? cryptoSign(null, data, key.privateKey) : cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
        },
      },
    );
    inputs.push(out.signatureInput);
    signatures.push(out.signature);
  });
  return { 'signature-input': inputs.join(', '), signature: signatures.join(', ') };
}
