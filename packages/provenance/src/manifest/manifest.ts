import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { CompactSign, flattenedVerify, importJWK, type JWK } from 'jose';
import { AgentManifest, MessageType, parseJson, parseStrict } from '@steward/protocol';
import { ProvenanceError } from '../errors.ts';

/** What checking a manifest's signature found (`unchecked`: signed, but no maker key is trusted). */
export type ManifestSignatureStatus = 'verified' | 'unsigned' | 'unchecked' | 'invalid';

/**
 * Parses an agent provenance manifest with the strict protocol schema
 * (`ERR_PROVENANCE_MANIFEST_INVALID` naming the first problem).
 */
export function parseManifest(value: unknown): AgentManifest {
  try {
    return parseStrict(AgentManifest, value, 'agent manifest');
  } catch (cause) {
    throw new ProvenanceError('ERR_PROVENANCE_MANIFEST_INVALID', (cause as Error).message, { cause });
  }
}

/** Loads a manifest from a JSON file (size, depth and prototype-key limits applied). */
export function loadManifest(path: string): AgentManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ProvenanceError('ERR_PROVENANCE_MANIFEST_INVALID', `cannot read agent manifest \`${path}\``, {
      cause,
      details: { path },
    });
  }
  try {
    return parseManifest(parseJson(text, { maxBytes: 64 * 1024 }));
  } catch (cause) {
    if (cause instanceof ProvenanceError) throw cause;
    throw new ProvenanceError(
      'ERR_PROVENANCE_MANIFEST_INVALID',
      `agent manifest \`${path}\` is not valid json: ${(cause as Error).message}`,
      { cause, details: { path } },
    );
  }
}

/** The bytes a manifest signature covers: RFC 8785 canonical JSON of the manifest without `signature`. */
export function manifestSigningInput(manifest: AgentManifest): Uint8Array {
  const { signature: _signature, ...rest } = manifest;
  const text = canonicalize(rest);
  if (text === undefined)
    throw new ProvenanceError('ERR_PROVENANCE_MANIFEST_INVALID', 'agent manifest cannot be canonicalised');
  return new TextEncoder().encode(text);
}

/**
 * Signs a manifest as its maker: a compact JWS with detached payload (RFC 7515 Appendix F,
 * `header..signature`), `alg` EdDSA, `typ` `steward-agent-manifest+jwt`, over the RFC 8785
 * canonical manifest without `signature`. Returns the manifest with `signature` set.
 * @see https://www.rfc-editor.org/rfc/rfc7515#appendix-F
 */
export async function signManifest(
  manifest: AgentManifest,
  privateJwk: JWK,
  kid?: string,
): Promise<AgentManifest> {
  const key = await importJWK(privateJwk, 'EdDSA');
  const jws = await new CompactSign(manifestSigningInput(manifest))
    .setProtectedHeader({ alg: 'EdDSA', typ: MessageType.manifest, ...(kid === undefined ? {} : { kid }) })
    .sign(key);
  const [header, , signature] = jws.split('.');
  return { ...manifest, signature: `${header}..${signature}` };
}

/**
 * Verifies a maker's signature over a manifest with a public Ed25519 JWK that the person chose
 * (never a key named inside the manifest). Throws `ERR_PROVENANCE_MANIFEST_UNSIGNED` when there
 * is no signature and `ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID` when it does not verify, has a
 * payload attached, another `typ`, or an algorithm other than EdDSA/Ed25519.
 */
export async function verifyManifest(manifest: AgentManifest, publicJwk: JWK): Promise<{ kid?: string }> {
  if (manifest.signature === undefined) {
    throw new ProvenanceError(
      'ERR_PROVENANCE_MANIFEST_UNSIGNED',
      `agent manifest of \`${manifest.agent.name}\` is not signed by its maker`,
    );
  }
  const bad = (why: string, cause?: unknown): ProvenanceError =>
    new ProvenanceError(
      'ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID',
      `agent manifest signature is invalid: ${why}`,
      { cause, details: { reason: why } },
    );
  const parts = manifest.signature.split('.');
  if (parts.length !== 3 || parts[1] !== '') throw bad('not a compact JWS with a detached payload');
  if (publicJwk.kty !== 'OKP' || publicJwk.crv !== 'Ed25519' || typeof publicJwk.x !== 'string')
    throw bad('the trusted key is not an Ed25519 public JWK');
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }, 'EdDSA');
  } catch (cause) {
    throw bad('the trusted key cannot be imported', cause);
  }
  try {
    const result = await flattenedVerify(
      {
        protected: parts[0]!,
        payload: Buffer.from(manifestSigningInput(manifest)).toString('base64url'),
        signature: parts[2]!,
      },
      key,
      { algorithms: ['EdDSA', 'Ed25519'] },
    );
    if (result.protectedHeader?.typ !== MessageType.manifest)
      throw bad(`\`typ\` is \`${String(result.protectedHeader?.typ)}\`, not \`${MessageType.manifest}\``);
    const kid = result.protectedHeader.kid;
    return kid === undefined ? {} : { kid };
  } catch (cause) {
    if (cause instanceof ProvenanceError) throw cause;
    throw bad((cause as { code?: string }).code ?? 'signature does not match', cause);
  }
}

/**
 * Checks the signature and says what was found, for showing; never throws for a bad signature.
 * Without a trusted key a signed manifest is `unchecked`, never `verified`.
 */
export async function checkManifestSignature(
  manifest: AgentManifest,
  publicJwk: JWK | undefined,
): Promise<ManifestSignatureStatus> {
  if (manifest.signature === undefined) return 'unsigned';
  if (publicJwk === undefined) return 'unchecked';
  try {
    await verifyManifest(manifest, publicJwk);
    return 'verified';
  } catch {
    return 'invalid';
  }
}
