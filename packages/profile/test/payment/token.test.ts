import { CompactSign, SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock, MessageType } from '@steward/protocol';
import { verifyPaymentToken, type SignerPort } from '../../src/index.ts';
import { ALICE, harness, T0, type Harness } from '../helpers.ts';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

let publicKey: CryptoKey;
let privateKey: CryptoKey;
let otherPrivate: CryptoKey;
let signer: SignerPort;
beforeAll(async () => {
  ({ publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' }));
  ({ privateKey: otherPrivate } = await generateKeyPair('EdDSA', { crv: 'Ed25519' }));
  signer = (typ, payload) => new SignJWT(payload as Record<string, unknown>).setProtectedHeader({ alg: 'EdDSA', typ }).sign(privateKey);
});

const ORDER = { orderId: 'ord-42', vendor: 'https://shop.example', payee: { payoutId: 'acct-shop-1' }, total: { amountMinor: 4999, currency: 'USD' } };
const EXPECT = { orderId: 'ord-42', payee: { payoutId: 'acct-shop-1' }, amount: { amountMinor: 4999, currency: 'USD' }, audience: 'https://shop.example', issuer: 'https://broker.alice.example' };

async function issue(extra: Record<string, unknown> = {}) {
  h = harness({ sign: signer });
  h.profile.set('payment', ALICE.card, 'visa');
  return h.profile.issuePaymentToken({ order: ORDER, issuer: 'https://broker.alice.example', policyVersion: 'v7', taskId: 'task-9', ...extra });
}

describe('payment tokens', () => {
  it('issues a signed token bound to the order, with no card data, recorded and audited', async () => {
    const { token, claims } = await issue();
    expect(claims).toMatchObject({ type: 'payment_token', orderId: 'ord-42', payee: { payoutId: 'acct-shop-1' }, maxAmount: { amountMinor: 4999, currency: 'USD' }, aud: 'https://shop.example' });
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.expiresAt).toBe(claims.exp);
    const body = Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8');
    expect(body).not.toContain('4111');
    expect(h!.events.at(-1)).toMatchObject({ type: 'disclosure', data: { dataClass: 'payment', form: 'payment_token', orderId: 'ord-42' } });
    expect(h!.profile.whoKnows()[0]?.fields).toEqual([expect.objectContaining({ dataClass: 'payment', form: 'payment_token', label: 'visa' })]);
    const clock = new FixedClock(T0 + 10_000);
    const seen = new Set<string>();
    const verified = await verifyPaymentToken(token, { key: publicKey, expected: EXPECT, seen, clock });
    expect(verified.tokenId).toBe(claims.tokenId);
    expect(seen.has(claims.tokenId)).toBe(true);
  });

  it('verifies with the public key given as a JWK, as a vendor holds it', async () => {
    const { token } = await issue();
    const jwk = await exportJWK(publicKey);
    await expect(verifyPaymentToken(token, { key: jwk, expected: EXPECT, seen: new Set(), clock: new FixedClock(T0) })).resolves.toMatchObject({ orderId: 'ord-42' });
  });

  it('is single use: the second presentation fails with ERR_PROFILE_TOKEN_REPLAYED', async () => {
    const { token } = await issue();
    const seen = new Set<string>();
    const clock = new FixedClock(T0);
    await verifyPaymentToken(token, { key: publicKey, expected: EXPECT, seen, clock });
    await expect(verifyPaymentToken(token, { key: publicKey, expected: EXPECT, seen, clock })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_REPLAYED' });
  });

  it('refuses expired tokens (ERR_PROFILE_TOKEN_EXPIRED)', async () => {
    const { token } = await issue({ ttlSeconds: 120 });
    const clock = new FixedClock(T0 + 120_000 + 61_000);
    await expect(verifyPaymentToken(token, { key: publicKey, expected: EXPECT, seen: new Set(), clock })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_EXPIRED' });
  });

  it('refuses another order, payee, audience, issuer, currency, or a charge above the maximum (ERR_PROFILE_TOKEN_MISMATCH)', async () => {
    const { token } = await issue({ maxAmount: { amountMinor: 5500, currency: 'USD' } });
    const clock = new FixedClock(T0);
    const cases = [
      { ...EXPECT, orderId: 'ord-43' },
      { ...EXPECT, payee: { payoutId: 'acct-attacker' } },
      { ...EXPECT, audience: 'https://other.example' },
      { ...EXPECT, issuer: 'https://someone-else.example' },
      { ...EXPECT, amount: { amountMinor: 4999, currency: 'EUR' } },
      { ...EXPECT, amount: { amountMinor: 5501, currency: 'USD' } },
    ];
    const seen = new Set<string>();
    for (const expected of cases) {
      await expect(verifyPaymentToken(token, { key: publicKey, expected, seen, clock })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_MISMATCH' });
    }
    // A failed check does not burn the token.
    expect(seen.size).toBe(0);
    await expect(verifyPaymentToken(token, { key: publicKey, expected: { ...EXPECT, amount: { amountMinor: 5500, currency: 'USD' } }, seen, clock })).resolves.toMatchObject({ orderId: 'ord-42' });
  });

  it('refuses a wrong key, a tampered payload, another typ and alg none (ERR_PROFILE_TOKEN_INVALID)', async () => {
    const { token, claims } = await issue();
    const clock = new FixedClock(T0);
    const opts = { key: publicKey, expected: EXPECT, seen: new Set<string>(), clock };
    const otherKey = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: MessageType.paymentToken }).sign(otherPrivate);
    const [head, , sig] = token.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, maxAmount: { amountMinor: 999999, currency: 'USD' } })).toString('base64url')}.${sig}`;
    const otherTyp = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: MessageType.order }).sign(privateKey);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: MessageType.paymentToken })).toString('base64url')}.${token.split('.')[1]}.`;
    const notJwt = await new CompactSign(new TextEncoder().encode('hello')).setProtectedHeader({ alg: 'EdDSA', typ: MessageType.paymentToken }).sign(privateKey);
    const extraClaim = await new SignJWT({ ...claims, note: 'x' }).setProtectedHeader({ alg: 'EdDSA', typ: MessageType.paymentToken }).sign(privateKey);
    for (const t of [otherKey, tampered, otherTyp, none, notJwt, extraClaim, 'garbage']) {
      await expect(verifyPaymentToken(t, opts)).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_INVALID' });
    }
  });

  it('refuses to issue above-total caps in another currency, too long a life, or without a payment means', async () => {
    await expect(issue({ maxAmount: { amountMinor: 4999, currency: 'EUR' } })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_REQUEST_INVALID' });
    h?.close();
    await expect(issue({ maxAmount: { amountMinor: 100, currency: 'USD' } })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_REQUEST_INVALID' });
    h?.close();
    await expect(issue({ ttlSeconds: 86_401 })).rejects.toMatchObject({ code: 'ERR_PROFILE_TOKEN_REQUEST_INVALID' });
    h?.close();
    h = harness({ sign: signer });
    await expect(h.profile.issuePaymentToken({ order: ORDER, issuer: 'x', policyVersion: 'v1' })).rejects.toMatchObject({ code: 'ERR_PROFILE_VALUE_NOT_FOUND' });
    h.profile.set('payment', ALICE.card);
    await expect(h.profile.issuePaymentToken({ order: ORDER, issuer: 'x', policyVersion: 'v1' }, () => Promise.reject(new Error('hsm offline')))).rejects.toMatchObject({
      code: 'ERR_PROFILE_SIGNER_FAILED',
    });
    expect(h.profile.disclosures()).toEqual([]);
  });

  it('records no token the audit sink refused', async () => {
    h = harness({ sign: signer, audit: (e) => { if (e.type === 'disclosure') throw new Error('log full'); } });
    h.profile.set('payment', ALICE.card);
    await expect(h.profile.issuePaymentToken({ order: ORDER, issuer: 'x', policyVersion: 'v1' })).rejects.toMatchObject({ code: 'ERR_PROFILE_AUDIT_FAILED' });
    expect(h.profile.disclosures()).toEqual([]);
    expect(h.store.db.prepare('SELECT count(*) AS n FROM profile_payment_tokens').get()).toEqual({ n: 0 });
  });
});
