import { CompactSign, FlattenedSign, compactVerify, flattenedVerify, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalCardSpec } from '../../src/card/canonical.ts';
import { signCard } from '../../src/card/sign.ts';
import { verifyCard } from '../../src/card/verify.ts';
import { exportPrivateJwk, generateSigningKey, verificationKeyOf } from '../../src/keys/key-pair.ts';
import { KeyStore } from '../../src/keys/key-store.ts';
import { ensureKeyFile } from '../../src/keys/key-file.ts';
import { signMessage } from '../../src/message/sign.ts';
import { verifyMessage } from '../../src/message/verify.ts';
import { ReplayStore } from '../../src/replay/replay-store.ts';
import { BROKER, T0, VENDOR, clockAt, noRevocation, tempStore, vendorCard } from '../fixtures.ts';

describe('interoperability with jose', () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    it(`${alg}: jose verifies Steward's messages and card signatures, and Steward verifies jose's`, async () => {
      const key = generateSigningKey(alg);
      const pub = await importJWK({ ...key.publicJwk }, alg);
      const priv = await importJWK(exportPrivateJwk(key), alg);
      const env = tempStore();
      try {
        const { token } = signMessage('rfq', {
          type: 'rfq', rfqId: 'rfq-1', category: 'groceries', currency: 'USD', items: [{ description: 'Apples', quantity: 2 }], constraints: {}, respondBy: T0 + 60,
        }, { key, iss: BROKER, aud: VENDOR, clock: clockAt() });
        const v = await compactVerify(token, pub, { algorithms: [alg] });
        expect(v.protectedHeader).toMatchObject({ alg, kid: key.kid, typ: 'steward-rfq+jwt' });

        const card = signCard(vendorCard(), key);
        const sig = card.signatures![0]!;
        await flattenedVerify({ protected: sig.protected, signature: sig.signature, payload: Buffer.from(canonicalCardSpec(card)).toString('base64url') }, pub);

        // The other way: jose signs, Steward verifies.
        const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
        const joseToken = await new CompactSign(Buffer.from(JSON.stringify({ ...payload, jti: 'jose-signed-0123456789' })))
          .setProtectedHeader({ alg, kid: key.kid, typ: 'steward-rfq+jwt' })
          .sign(priv);
        const vk = verificationKeyOf(key, BROKER);
        expect(verifyMessage(joseToken, 'rfq', { audience: VENDOR, resolveKey: () => vk, replay: new ReplayStore(env.store), revocation: noRevocation, clock: clockAt() }).payload.rfqId).toBe('rfq-1');
        const joseCard = await new FlattenedSign(Buffer.from(canonicalCardSpec(vendorCard()))).setProtectedHeader({ alg, kid: key.kid, typ: 'JOSE' }).sign(priv);
        const vv = verifyCard({ ...vendorCard(), signatures: [{ protected: joseCard.protected!, signature: joseCard.signature }] }, {
          servedFrom: VENDOR,
          resolveKey: () => verificationKeyOf(key, VENDOR),
          revocation: noRevocation,
        });
        expect(vv.form).toBe('spec');
      } finally {
        env.cleanup();
      }
    });
  }
});

describe('broker keys in use', () => {
  let env: ReturnType<typeof tempStore>;
  beforeEach(() => (env = tempStore()));
  afterEach(() => env.cleanup());

  it('a vendor verifies an RFQ signed with the broker key through the key store resolver, across a rotation', () => {
    const keyFile = `${env.dir}/steward.key`;
    ensureKeyFile(keyFile);
    const clock = clockAt();
    const ks = KeyStore.open(env.store, { keyFile }, { clock });
    ks.create('broker');
    const sign = () =>
      signMessage('rfq', { type: 'rfq', rfqId: 'rfq-1', category: 'groceries', currency: 'USD', items: [{ description: 'Apples', quantity: 1 }], constraints: {}, respondBy: T0 + 60 }, {
        key: ks.signingKey('broker'),
        iss: BROKER,
        aud: VENDOR,
        clock,
      }).token;
    const before = sign();
    ks.rotate('broker', { overlapSeconds: 600 });
    const after = sign();
    const options = { audience: VENDOR, resolveKey: ks.resolver(BROKER, 'broker'), replay: new ReplayStore(env.store), revocation: noRevocation, clock };
    expect(verifyMessage(before, 'rfq', options).key.kid).not.toBe(verifyMessage(after, 'rfq', options).key.kid);
    // A user key never verifies as a broker key.
    const userKey = ks.create('user');
    const byUser = signMessage('rfq', { type: 'rfq', rfqId: 'rfq-2', category: 'groceries', currency: 'USD', items: [{ description: 'Apples', quantity: 1 }], constraints: {}, respondBy: T0 + 60 }, {
      key: ks.signingKey('user'),
      iss: BROKER,
      aud: VENDOR,
      clock,
    }).token;
    expect(() => verifyMessage(byUser, 'rfq', options)).toThrow(expect.objectContaining({ code: 'ERR_JWS_KID_UNKNOWN', details: { kid: userKey.kid } }));
  });
});
