import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { IdentityError } from '../../src/errors.ts';
import { signBytes, verifyBytes } from '../../src/jws/jws.ts';
import {
  exportPrivateJwk,
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  jwkThumbprint,
  jwkThumbprintUri,
  parsePublicJwk,
} from '../../src/keys/key-pair.ts';
import rfc7638 from '../vectors/rfc7638-jwk-thumbprint.json' with { type: 'json' };
import rfc8037 from '../vectors/rfc8037-ed25519-jws.json' with { type: 'json' };
import webBotAuth from '../vectors/web-bot-auth-ed25519.json' with { type: 'json' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as IdentityError).code;
  }
  return undefined;
}

describe('jwk thumbprints', () => {
  it('computes the RFC 7638 §3.1 example', () => {
    expect(jwkThumbprint(rfc7638.jwk)).toBe(rfc7638.thumbprint_b64url);
    expect(jwkThumbprintUri(rfc7638.jwk)).toBe(rfc7638.thumbprint_uri_rfc9278);
  });

  it('computes the RFC 8037 §A.3 thumbprint', () => {
    expect(jwkThumbprint(rfc8037.public_jwk)).toBe(rfc8037.thumbprint_sha256_b64url);
    expect(Buffer.from(jwkThumbprint(rfc8037.public_jwk), 'base64url').toString('hex')).toBe(rfc8037.thumbprint_sha256_hex);
  });

  it('gives the Web Bot Auth keyid for the RFC 9421 test key', () => {
    expect(jwkThumbprint(webBotAuth.public_jwk)).toBe(webBotAuth.keyid_thumbprint);
  });

  it('agrees with jose for generated keys of both types', async () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const key = generateSigningKey(alg);
      expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    }
  });

  it('refuses a JWK without its required members', () => {
    expect(codeOf(() => jwkThumbprint({ kty: 'OKP', crv: 'Ed25519' }))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => jwkThumbprint({ kty: 'weird' }))).toBe('ERR_KEY_INVALID');
  });
});

describe('RFC 8037 Appendix A', () => {
  it('imports the private key and derives the public key (A.1, A.2)', () => {
    const key = importSigningKey(rfc8037.private_jwk);
    expect(key.publicJwk).toEqual(rfc8037.public_jwk);
    expect(key.kid).toBe(rfc8037.thumbprint_sha256_b64url);
  });

  it('signs the example byte for byte (A.4) and verifies it (A.5)', () => {
    const key = importSigningKey(rfc8037.private_jwk);
    const sig = signBytes(key, Buffer.from(rfc8037.signing_input, 'ascii'));
    expect(sig.toString('base64url')).toBe(rfc8037.signature_b64url);
    const pub = importVerificationKey(rfc8037.public_jwk, 'test');
    expect(verifyBytes(pub, Buffer.from(rfc8037.signing_input, 'ascii'), sig)).toBe(true);
    const tampered = rfc8037.signing_input.replace(/.$/, 'h');
    expect(verifyBytes(pub, Buffer.from(tampered, 'ascii'), sig)).toBe(false);
  });

  it('refuses a private JWK whose x does not match d', () => {
    const other = generateSigningKey();
    expect(codeOf(() => importSigningKey({ ...rfc8037.private_jwk, x: other.publicJwk.x }))).toBe('ERR_KEY_INVALID');
  });
});

describe('public JWKs from outside', () => {
  it('refuses private parts, other key types and wrong lengths', () => {
    expect(codeOf(() => parsePublicJwk(rfc8037.private_jwk))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => parsePublicJwk(rfc7638.jwk))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => parsePublicJwk({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => parsePublicJwk({ kty: 'OKP', crv: 'X25519', x: rfc8037.public_jwk.x }))).toBe('ERR_KEY_INVALID');
    expect(codeOf(() => parsePublicJwk('nope'))).toBe('ERR_KEY_INVALID');
  });

  it('refuses a kid that is not the thumbprint', () => {
    expect(codeOf(() => importVerificationKey({ ...rfc8037.public_jwk, kid: 'chosen-by-signer' }, 'x'))).toBe('ERR_KEY_INVALID');
    expect(importVerificationKey({ ...rfc8037.public_jwk, kid: rfc8037.thumbprint_sha256_b64url }, 'x').kid).toBe(rfc8037.thumbprint_sha256_b64url);
  });

  it('round-trips generated keys through private JWK export (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('EdDSA' as const, 'ES256' as const), fc.uint8Array({ minLength: 0, maxLength: 256 }), (alg, data) => {
        const key = generateSigningKey(alg);
        const again = importSigningKey(exportPrivateJwk(key));
        expect(again.kid).toBe(key.kid);
        const pub = importVerificationKey(key.publicKey.export({ format: 'jwk' }), 'x');
        expect(verifyBytes(pub, data, signBytes(again, data))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});
