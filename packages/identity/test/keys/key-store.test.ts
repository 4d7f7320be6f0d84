import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent } from '@steward/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureKeyFile } from '../../src/keys/key-file.ts';
import { KeyStore } from '../../src/keys/key-store.ts';
import { buildBrokerCard, buildHttpSigDirectory, buildJwks } from '../../src/keys/publish.ts';
import { verifyCard } from '../../src/card/verify.ts';
import { BROKER, T0, clockAt, noRevocation, tempStore } from '../fixtures.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

describe('key store', () => {
  let env: ReturnType<typeof tempStore>;
  let keyFile: string;
  beforeEach(() => {
    env = tempStore();
    keyFile = join(env.dir, 'steward.key');
    ensureKeyFile(keyFile);
  });
  afterEach(() => env.cleanup());

  it('creates keys whose private part is encrypted at rest', () => {
    const ks = KeyStore.open(env.store, { keyFile });
    const rec = ks.create('broker');
    expect(rec.state).toBe('active');
    const key = ks.signingKey('broker');
    expect(key.kid).toBe(rec.kid);
    const d = (key.privateKey.export({ format: 'jwk' }) as { d: string }).d;
    const row = env.store.db.prepare('SELECT private_ct, public_jwk FROM identity_keys WHERE kid = ?').get(rec.kid) as { private_ct: Buffer; public_jwk: string };
    expect(row.private_ct.toString('latin1')).not.toContain(d);
    expect(row.private_ct.toString('base64url')).not.toContain(d);
    expect(row.public_jwk).not.toContain('"d"');
  });

  it('reopens with the same key file or passphrase and refuses the wrong one', () => {
    const ks = KeyStore.open(env.store, { keyFile });
    const kid = ks.create('user').kid;
    env.reopen();
    expect(KeyStore.open(env.store, { keyFile }).signingKey('user').kid).toBe(kid);
    const other = join(env.dir, 'other.key');
    ensureKeyFile(other);
    expect(codeOf(() => KeyStore.open(env.store, { keyFile: other }))).toBe('ERR_KEYSTORE_WRONG_SECRET');
    expect(codeOf(() => KeyStore.open(env.store, { passphrase: 'correct horse battery' }))).toBe('ERR_KEYSTORE_WRONG_SECRET');
  });

  it('works with a passphrase (scrypt)', () => {
    const fresh = tempStore();
    try {
      const kid = KeyStore.open(fresh.store, { passphrase: 'correct horse battery' }).create('broker').kid;
      fresh.reopen();
      expect(KeyStore.open(fresh.store, { passphrase: 'correct horse battery' }).signingKey('broker').kid).toBe(kid);
      expect(codeOf(() => KeyStore.open(fresh.store, { passphrase: 'wrong horse battery' }))).toBe('ERR_KEYSTORE_WRONG_SECRET');
      expect(codeOf(() => KeyStore.open(fresh.store, { passphrase: 'short' }))).toBe('ERR_KEYSTORE_SECRET_MISSING');
    } finally {
      fresh.cleanup();
    }
  });

  it('refuses a key file others can read', () => {
    const loose = join(env.dir, 'loose.key');
    writeFileSync(loose, Buffer.alloc(32, 7).toString('base64'));
    chmodSync(loose, 0o644);
    const fresh = tempStore();
    try {
      expect(codeOf(() => KeyStore.open(fresh.store, { keyFile: loose }))).toBe('ERR_KEYSTORE_KEYFILE_INSECURE');
    } finally {
      fresh.cleanup();
    }
  });

  it('detects a tampered ciphertext or a key moved to another purpose', () => {
    const ks = KeyStore.open(env.store, { keyFile });
    const kid = ks.create('user').kid;
    env.store.db.prepare("UPDATE identity_keys SET purpose = 'broker' WHERE kid = ?").run(kid);
    expect(codeOf(() => KeyStore.open(env.store, { keyFile }).signingKey('broker'))).toBe('ERR_KEYSTORE_DECRYPT_FAILED');
  });

  it('rotates with overlap: the new key is published before the old one retires', () => {
    const clock = clockAt();
    const events: AuditEvent[] = [];
    const ks = KeyStore.open(env.store, { keyFile }, { clock, audit: (e) => events.push(e) });
    const old = ks.create('broker');
    const next = ks.rotate('broker', { publishAheadSeconds: 3600, overlapSeconds: 86_400 });
    // Published ahead, not signing yet.
    expect(ks.get(next.kid).state).toBe('pending');
    expect(ks.signingKey('broker').kid).toBe(old.kid);
    expect(buildJwks(ks.published('broker')).keys.map((k) => k.kid)).toEqual([old.kid, next.kid]);
    clock.set((T0 + 3600) * 1000);
    expect(ks.signingKey('broker').kid).toBe(next.kid);
    expect(ks.get(old.kid).state).toBe('retiring');
    expect(ks.resolver(BROKER)(old.kid)?.kid).toBe(old.kid);
    clock.set((T0 + 3600 + 86_400) * 1000);
    expect(ks.get(old.kid).state).toBe('retired');
    expect(ks.resolver(BROKER)(old.kid)).toBeUndefined();
    expect(buildJwks(ks.published('broker')).keys.map((k) => k.kid)).toEqual([next.kid]);
    expect(events.map((e) => e.type)).toEqual(['key.created', 'key.rotated']);
  });

  it('an immediate rotation signs with the new key at once (same second)', () => {
    const ks = KeyStore.open(env.store, { keyFile }, { clock: clockAt() });
    const old = ks.create('broker');
    const next = ks.rotate('broker');
    expect(ks.signingKey('broker').kid).toBe(next.kid);
    expect(ks.get(old.kid).state).toBe('retiring');
  });

  it('builds the JWKS, the RFC 9421 directory and a signed broker card', () => {
    const ks = KeyStore.open(env.store, { keyFile });
    ks.create('broker');
    ks.create('user', 'ES256');
    const jwks = buildJwks(ks.published());
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys.every((k) => k.use === 'sig' && typeof k.kid === 'string')).toBe(true);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    expect(buildHttpSigDirectory(ks.published()).keys.map((k) => k.kty)).toEqual(['OKP']);
    const card = buildBrokerCard({ origin: BROKER, name: 'Steward', description: 'A trust broker', version: '0.1.0' }, ks.signingKey('broker'));
    const v = verifyCard(card, { servedFrom: BROKER, resolveKey: ks.resolver(BROKER, 'broker'), revocation: noRevocation, requireCommerce: false });
    expect(v.form).toBe('spec');
  });

  it('has no signing key before init and none after revocation', () => {
    const ks = KeyStore.open(env.store, { keyFile });
    expect(codeOf(() => ks.signingKey('broker'))).toBe('ERR_KEY_NOT_FOUND');
    const k = ks.create('broker');
    ks.markRevoked(k.kid);
    expect(codeOf(() => ks.signingKey('broker'))).toBe('ERR_KEY_NOT_FOUND');
    expect(ks.get(k.kid).state).toBe('revoked');
  });
});
