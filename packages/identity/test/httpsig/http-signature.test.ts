import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { createSignatureSync, verifySignature } from 'http-message-sig';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { contentDigest, signDirectoryResponse, signRequest, verifyRequest, type HttpRequestParts, type VerifyRequestOptions } from '../../src/httpsig/http-signature.ts';
import { generateSigningKey, importSigningKey, importVerificationKey, verificationKeyOf, type SigningKey } from '../../src/keys/key-pair.ts';
import { ReplayStore } from '../../src/replay/replay-store.ts';
import type { RevocationCheck } from '../../src/revocation/revocation-check.ts';
import rfc9421 from '../vectors/rfc9421-ed25519.json' with { type: 'json' };
import wba from '../vectors/web-bot-auth-ed25519.json' with { type: 'json' };
import { BROKER, T0, clockAt, noRevocation, tempStore } from '../fixtures.ts';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

describe('RFC 9421 Appendix B.2.6 (Ed25519)', () => {
  const request = {
    kind: 'request' as const,
    method: rfc9421.test_request.method,
    targetUri: rfc9421.test_request.url,
    fields: rfc9421.test_request.headers.map(([name, value]) => ({ name: name!.toLowerCase(), value: value! })),
  };
  const privateKey = createPrivateKey(rfc9421.key.private_pem);
  const publicKey = createPublicKey(rfc9421.key.public_pem);

  it('rebuilds the signature base and the exact signature', () => {
    const out = createSignatureSync(request, {
      label: rfc9421.label,
      components: rfc9421.covered_components,
      parameters: rfc9421.signature_params,
      signer: { algorithm: 'ed25519', sign: (data) => cryptoSign(null, data, privateKey) },
    });
    expect(out.signatureInput).toBe(rfc9421.signature_input_header);
    expect(out.signature).toBe(rfc9421.signature_header);
    expect(cryptoVerify(null, Buffer.from(rfc9421.signature_base), publicKey, Buffer.from(rfc9421.signature_b64, 'base64'))).toBe(true);
  });

  it('verifies the published signature, and the JWK form is the same key', async () => {
    const key = importSigningKey(rfc9421.key.jwk);
    expect(key.publicKey.export({ format: 'pem', type: 'spki' })).toBe(rfc9421.key.public_pem);
    const verified = await verifySignature(
      { ...request, fields: [...request.fields, { name: 'signature', value: rfc9421.signature_header }, { name: 'signature-input', value: rfc9421.signature_input_header }] },
      {
        policy: { algorithms: ['ed25519'], requiredComponents: ['@method', '@authority'], requiredParameters: ['created', 'keyid'], now: rfc9421.signature_params.created + 7 },
        resolveVerifier: () => ({ algorithm: 'ed25519', verify: (d, s) => cryptoVerify(null, d, publicKey, s) }),
      },
    );
    expect(verified.parameters.keyid).toBe('test-key-ed25519');
  });
});

describe('Web Bot Auth example', () => {
  let env: ReturnType<typeof tempStore>;
  beforeEach(() => (env = tempStore()));
  afterEach(() => env.cleanup());

  it.each(wba.cases)('verifies $label with the thumbprint keyid, tag web-bot-auth and a fresh nonce', async (c) => {
    const vk = importVerificationKey(wba.public_jwk, 'https://signature-agent.test');
    expect(vk.kid).toBe(wba.keyid_thumbprint);
    const headers: [string, string][] = [
      ['signature', c.signature_header],
      ['signature-input', c.signature_input_header],
    ];
    if ('signature_agent_header' in c && c.signature_agent_header) headers.push(['signature-agent', c.signature_agent_header]);
    const options: VerifyRequestOptions = {
      resolveKey: (kid) => (kid === vk.kid ? vk : undefined),
      revocation: noRevocation,
      replay: new ReplayStore(env.store),
      tag: 'web-bot-auth',
      clock: clockAt(1735689600 + 10),
      maxLifetimeSeconds: 4889289600,
      requiredComponents: ['@authority'],
      requireContentDigest: false,
    };
    const v = await verifyRequest({ method: 'GET', url: wba.target_url, headers }, options);
    expect(v.key.kid).toBe(wba.keyid_thumbprint);
    expect(await codeOf(verifyRequest({ method: 'GET', url: wba.target_url, headers }, options))).toBe('ERR_HTTPSIG_REPLAYED');
  });
});

describe('Steward request signatures', () => {
  let env: ReturnType<typeof tempStore>;
  let key: SigningKey;
  let options: (over?: Partial<VerifyRequestOptions>) => VerifyRequestOptions;
  const url = 'https://shop.example/a2a?x=1';
  const body = JSON.stringify({ jsonrpc: '2.0', method: 'message/send', id: 1 });

  beforeEach(() => {
    env = tempStore();
    key = generateSigningKey();
    const vk = verificationKeyOf(key, BROKER);
    options = (over = {}) => ({ resolveKey: (kid) => (kid === vk.kid ? vk : undefined), revocation: noRevocation, replay: new ReplayStore(env.store), clock: clockAt(), ...over });
  });
  afterEach(() => env.cleanup());

  const signed = (over: Partial<HttpRequestParts> = {}, at = T0, lifetimeSeconds = 60): HttpRequestParts => {
    const req: HttpRequestParts = { method: 'POST', url, headers: { 'content-type': 'application/json' }, body, ...over };
    const sig = signRequest(req, key, { clock: clockAt(at), lifetimeSeconds });
    return { ...req, headers: { ...(req.headers as Record<string, string>), ...sig } };
  };

  it('signs and verifies, covering method, authority, path and content-digest', async () => {
    const req = signed();
    const v = await verifyRequest(req, options());
    expect(v.key.kid).toBe(key.kid);
    expect(v.parameters).toMatchObject({ keyid: key.kid, tag: 'steward-request', created: T0, expires: T0 + 60 });
    const input = (req.headers as Record<string, string>)['signature-input']!;
    expect(input).toContain('("@method" "@authority" "@path" "content-digest")');
    expect((req.headers as Record<string, string>)['content-digest']).toBe(contentDigest(body));
  });

  it('round-trips any body and path (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.webPath(), async (bytes, path) => {
        const target = `https://shop.example${path.startsWith('/') ? path : `/${path}`}`;
        const req = signed({ url: target, body: bytes });
        expect((await verifyRequest(req, options())).key.kid).toBe(key.kid);
      }),
      { numRuns: 8 },
    );
  });

  describe('attacks', () => {
    it('tampered body vs content-digest → ERR_HTTPSIG_DIGEST_MISMATCH', async () => {
      const req = signed();
      expect(await codeOf(verifyRequest({ ...req, body: body.replace('send', 'stream') }, options()))).toBe('ERR_HTTPSIG_DIGEST_MISMATCH');
    });

    it('digest recomputed for a new body → ERR_HTTPSIG_INVALID', async () => {
      const req = signed();
      const newBody = body.replace('send', 'stream');
      const headers = { ...(req.headers as Record<string, string>), 'content-digest': contentDigest(newBody) };
      expect(await codeOf(verifyRequest({ ...req, body: newBody, headers }, options()))).toBe('ERR_HTTPSIG_INVALID');
    });

    it('wrong authority or path or method → ERR_HTTPSIG_INVALID', async () => {
      const req = signed();
      expect(await codeOf(verifyRequest({ ...req, url: 'https://sh0p.example/a2a?x=1' }, options()))).toBe('ERR_HTTPSIG_INVALID');
      expect(await codeOf(verifyRequest({ ...req, url: 'https://shop.example/admin?x=1' }, options()))).toBe('ERR_HTTPSIG_INVALID');
      expect(await codeOf(verifyRequest({ ...req, method: 'PUT' }, options()))).toBe('ERR_HTTPSIG_INVALID');
    });

    it('expired or created in the future → ERR_HTTPSIG_EXPIRED', async () => {
      expect(await codeOf(verifyRequest(signed({}, T0 - 200), options()))).toBe('ERR_HTTPSIG_EXPIRED');
      expect(await codeOf(verifyRequest(signed({}, T0 + 120), options()))).toBe('ERR_HTTPSIG_EXPIRED');
    });

    it('a window longer than the policy allows → ERR_HTTPSIG_POLICY', async () => {
      expect(await codeOf(verifyRequest(signed({}, T0, 3600), options()))).toBe('ERR_HTTPSIG_POLICY');
    });

    it('replayed nonce → ERR_HTTPSIG_REPLAYED, also after reopening the store', async () => {
      const req = signed();
      await verifyRequest(req, options());
      expect(await codeOf(verifyRequest(req, options()))).toBe('ERR_HTTPSIG_REPLAYED');
      env.reopen();
      expect(await codeOf(verifyRequest(req, options()))).toBe('ERR_HTTPSIG_REPLAYED');
    });

    it('unknown keyid → ERR_HTTPSIG_KEYID_UNKNOWN; revoked → ERR_KEY_REVOKED', async () => {
      expect(await codeOf(verifyRequest(signed(), options({ resolveKey: () => undefined })))).toBe('ERR_HTTPSIG_KEYID_UNKNOWN');
      const revoked: RevocationCheck = { isKeyRevoked: (k) => k === key.kid, isOriginRevoked: () => false };
      expect(await codeOf(verifyRequest(signed(), options({ revocation: revoked })))).toBe('ERR_KEY_REVOKED');
    });

    it('another purpose tag → ERR_HTTPSIG_POLICY', async () => {
      expect(await codeOf(verifyRequest(signed(), options({ tag: 'web-bot-auth' })))).toBe('ERR_HTTPSIG_POLICY');
    });

    it('missing or partial coverage → ERR_HTTPSIG_MISSING / ERR_HTTPSIG_POLICY', async () => {
      expect(await codeOf(verifyRequest({ method: 'GET', url, headers: {}, body: '' }, options()))).toBe('ERR_HTTPSIG_MISSING');
      const req: HttpRequestParts = { method: 'POST', url, headers: {}, body };
      const sig = signRequest(req, key, { clock: clockAt(), components: ['@method', '@authority'] });
      expect(await codeOf(verifyRequest({ ...req, headers: sig }, options()))).toBe('ERR_HTTPSIG_POLICY');
    });

    it('garbage headers → ERR_HTTPSIG_MALFORMED', async () => {
      const req = signed();
      const headers = { ...(req.headers as Record<string, string>), 'signature-input': 'sig1=((((' };
      expect(await codeOf(verifyRequest({ ...req, headers }, options()))).toBe('ERR_HTTPSIG_MALFORMED');
    });
  });
});

describe('signed key directory response', () => {
  it('signs once per key over "@authority";req with the directory tag', async () => {
    const keys = [generateSigningKey(), generateSigningKey()];
    const url = 'https://broker.example/.well-known/http-message-signatures-directory';
    const headers = signDirectoryResponse(url, keys, { clock: clockAt() });
    const response = (target: string) => ({
      kind: 'response' as const,
      status: 200,
      fields: [
        { name: 'signature-input', value: headers['signature-input'] },
        { name: 'signature', value: headers.signature },
      ],
      request: { kind: 'request' as const, method: 'GET', targetUri: target, fields: [] },
    });
    for (const [i, key] of keys.entries()) {
      const vk = verificationKeyOf(key, BROKER);
      const v = await verifySignature(response(url), {
        label: `sig${i + 1}`,
        policy: { algorithms: ['ed25519'], requiredComponents: [], requiredParameters: ['created', 'expires', 'keyid', 'tag'], now: T0 + 1 },
        resolveVerifier: (c) => {
          expect(c.parameters.keyid).toBe(vk.kid);
          return { algorithm: 'ed25519', verify: (d, s) => cryptoVerify(null, d, vk.publicKey, s) };
        },
      });
      expect(v.parameters.tag).toBe('http-message-signatures-directory');
    }
    await expect(
      verifySignature(response('https://evil.example/.well-known/http-message-signatures-directory'), {
        label: 'sig1',
        policy: { algorithms: ['ed25519'], requiredComponents: [], requiredParameters: [], now: T0 + 1 },
        resolveVerifier: () => ({ algorithm: 'ed25519', verify: (d, s) => cryptoVerify(null, d, keys[0]!.publicKey, s) }),
      }),
    ).rejects.toMatchObject({ code: 'VerificationFailed' });
  });
});
