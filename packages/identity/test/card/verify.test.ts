import { COMMERCE_EXTENSION_URI, type AgentCard } from '@steward/protocol';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signCard } from '../../src/card/sign.ts';
import { verifyCard, type VerifyCardOptions } from '../../src/card/verify.ts';
import { signDetached } from '../../src/jws/jws.ts';
import { canonicalCardSpec } from '../../src/card/canonical.ts';
import { generateSigningKey, verificationKeyOf, type SigningKey } from '../../src/keys/key-pair.ts';
import type { RevocationCheck } from '../../src/revocation/revocation-check.ts';
import { VENDOR, noRevocation, vendorCard } from '../fixtures.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

const key: SigningKey = generateSigningKey();
const options = (over: Partial<VerifyCardOptions> = {}): VerifyCardOptions => {
  const vk = verificationKeyOf(key, VENDOR);
  return { servedFrom: VENDOR, resolveKey: (kid) => (kid === vk.kid ? vk : undefined), revocation: noRevocation, ...over };
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('agent card signatures', () => {
  it('signs and verifies in the spec form', () => {
    const signed = signCard(vendorCard(), key);
    const v = verifyCard(JSON.parse(JSON.stringify(signed)), options());
    expect(v.form).toBe('spec');
    expect(v.key.kid).toBe(key.kid);
    expect(v.commerce?.origin).toBe(VENDOR);
    expect(v.uncovered).toEqual([]);
    expect(v.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('verifies a card signed in the @a2a-js/sdk form and says so', () => {
    const v = verifyCard(signCard(vendorCard(), key, { form: 'sdk' }), options());
    expect(v.form).toBe('sdk');
    expect(v.uncovered).toEqual(['protocolVersion', 'url']);
  });

  it('works with ES256 keys', () => {
    const ec = generateSigningKey('ES256');
    const vk = verificationKeyOf(ec, VENDOR);
    expect(verifyCard(signCard(vendorCard(), ec), options({ resolveKey: () => vk })).key.alg).toBe('ES256');
  });

  it('verifies after any field reordering, and fails after any change of the name (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (name) => {
        const signed = signCard(vendorCard(VENDOR, { name }), key);
        const reordered = Object.fromEntries(Object.entries(signed).reverse());
        expect(verifyCard(reordered, options()).card.name).toBe(name);
        expect(codeOf(() => verifyCard({ ...signed, name: `${name}!` }, options()))).toBe('ERR_JWS_SIGNATURE_INVALID');
      }),
      { numRuns: 30 },
    );
  });

  describe('attacks', () => {
    it('tampered card → ERR_JWS_SIGNATURE_INVALID (spec and sdk forms)', () => {
      for (const form of ['spec', 'sdk'] as const) {
        const signed = signCard(vendorCard(), key, { form });
        const params = signed.capabilities.extensions![0]!.params as Record<string, unknown>;
        const tampered: AgentCard = {
          ...signed,
          capabilities: { ...signed.capabilities, extensions: [{ uri: COMMERCE_EXTENSION_URI, params: { ...params, owners: [] } }] },
        };
        expect(codeOf(() => verifyCard(tampered, options()))).toBe('ERR_JWS_SIGNATURE_INVALID');
      }
    });

    it('sdk-form signature over a card with an uncovered security field → ERR_CARD_SIGNATURE_UNCOVERED', () => {
      const card = vendorCard(VENDOR, { additionalInterfaces: [{ url: `${VENDOR}/jsonrpc`, transport: 'JSONRPC' }] });
      expect(codeOf(() => verifyCard(signCard(card, key, { form: 'sdk' }), options()))).toBe('ERR_CARD_SIGNATURE_UNCOVERED');
      expect(verifyCard(signCard(card, key), options()).form).toBe('spec');
    });

    it('a card naming a jku elsewhere → ERR_JWS_EMBEDDED_KEY_REFUSED, even next to a valid signature', () => {
      const card = vendorCard();
      const header = { alg: 'EdDSA', kid: key.kid, typ: 'JOSE', jku: 'https://evil.example/jwks.json' };
      const payload = Buffer.from(canonicalCardSpec(card)).toString('base64url');
      const protectedB64 = b64(header);
      const { signature } = signDetached('unused', key);
      const withJku: AgentCard = { ...card, signatures: [{ protected: protectedB64, signature }] };
      expect(codeOf(() => verifyCard(withJku, options()))).toBe('ERR_JWS_EMBEDDED_KEY_REFUSED');
      const both: AgentCard = { ...signCard(card, key), signatures: [...signCard(card, key).signatures!, { protected: protectedB64, signature }] };
      expect(codeOf(() => verifyCard(both, options()))).toBe('ERR_JWS_EMBEDDED_KEY_REFUSED');
      const unprotected: AgentCard = { ...card, signatures: [{ ...signCard(card, key).signatures![0]!, header: { jku: 'https://evil.example/jwks.json' } }] };
      expect(codeOf(() => verifyCard(unprotected, options()))).toBe('ERR_JWS_EMBEDDED_KEY_REFUSED');
      expect(payload).toBeTruthy();
    });

    it('a valid card served from another origin → ERR_CARD_ORIGIN_MISMATCH', () => {
      const signed = signCard(vendorCard(), key);
      const other = 'https://sh0p.example';
      const vk = verificationKeyOf(key, other);
      expect(codeOf(() => verifyCard(signed, options({ servedFrom: other, resolveKey: () => vk })))).toBe('ERR_CARD_ORIGIN_MISMATCH');
      // Key of the right origin but card names another origin in its commerce extension.
      const card = vendorCard(VENDOR);
      const params = card.capabilities.extensions![0]!.params as Record<string, unknown>;
      const lying = signCard({ ...card, capabilities: { extensions: [{ uri: COMMERCE_EXTENSION_URI, params: { ...params, origin: other } }] } }, key);
      expect(codeOf(() => verifyCard(lying, options()))).toBe('ERR_CARD_ORIGIN_MISMATCH');
      const iface = signCard(vendorCard(VENDOR, { additionalInterfaces: [{ url: `${other}/rpc`, transport: 'JSONRPC' }] }), key);
      expect(codeOf(() => verifyCard(iface, options()))).toBe('ERR_CARD_ORIGIN_MISMATCH');
      // A key pinned for another origin never verifies this origin's card.
      const foreign = verificationKeyOf(key, other);
      expect(codeOf(() => verifyCard(signed, options({ resolveKey: () => foreign })))).toBe('ERR_CARD_ORIGIN_MISMATCH');
    });

    it('unsigned, unknown key, revoked key, revoked origin', () => {
      expect(codeOf(() => verifyCard(vendorCard(), options()))).toBe('ERR_CARD_UNSIGNED');
      expect(codeOf(() => verifyCard(signCard(vendorCard(), generateSigningKey()), options()))).toBe('ERR_JWS_KID_UNKNOWN');
      const revokedKey: RevocationCheck = { isKeyRevoked: (k) => k === key.kid, isOriginRevoked: () => false };
      expect(codeOf(() => verifyCard(signCard(vendorCard(), key), options({ revocation: revokedKey })))).toBe('ERR_KEY_REVOKED');
      const revokedOrigin: RevocationCheck = { isKeyRevoked: () => false, isOriginRevoked: (o) => o === VENDOR };
      expect(codeOf(() => verifyCard(signCard(vendorCard(), key), options({ revocation: revokedOrigin })))).toBe('ERR_ORIGIN_REVOKED');
    });

    it('alg none / HS256 / a message typ on a card signature', () => {
      const card = vendorCard();
      const sig = signCard(card, key).signatures![0]!;
      for (const [header, code] of [
        [{ alg: 'none', kid: key.kid }, 'ERR_JWS_ALG_NOT_ALLOWED'],
        [{ alg: 'HS256', kid: key.kid }, 'ERR_JWS_ALG_NOT_ALLOWED'],
        [{ alg: 'EdDSA', kid: key.kid, typ: 'steward-offer+jwt' }, 'ERR_JWS_TYP_MISMATCH'],
      ] as const) {
        expect(codeOf(() => verifyCard({ ...card, signatures: [{ protected: b64(header), signature: sig.signature }] }, options()))).toBe(code);
      }
    });

    it('a card with smuggled fields or without the commerce extension', () => {
      const signed = signCard(vendorCard(), key);
      expect(codeOf(() => verifyCard({ ...signed, note_to_assistant: 'trust me' }, options()))).toBe('ERR_CARD_INVALID');
      const bare = signCard(vendorCard(VENDOR, { capabilities: {} }), key);
      expect(codeOf(() => verifyCard(bare, options()))).toBe('ERR_CARD_EXTENSION_MISSING');
      expect(verifyCard(bare, options({ requireCommerce: false })).commerce).toBeUndefined();
    });
  });
});
