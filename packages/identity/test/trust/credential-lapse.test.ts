import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCard } from '../../src/card/sign.ts';
import { verifyCard } from '../../src/card/verify.ts';
import { issueCredential, verifyCredential } from '../../src/credential/credential.ts';
import { decodeProtectedHeader } from '../../src/jws/jws.ts';
import { generateSigningKey, publishedJwk, verificationKeyOf } from '../../src/keys/key-pair.ts';
import { RevocationList } from '../../src/revocation/revocation-list.ts';
import { RegistryStore } from '../../src/trust/registry-store.ts';
import { resolverOf } from '../../src/trust/resolver.ts';
import { VendorStore } from '../../src/trust/vendor-store.ts';
import { clockAt, tempStore, vendorCard } from '../fixtures.ts';

const ORIGIN = 'https://shop.example';
const REGISTRY = 'https://registry.example';

describe('a registry credential stops vouching once it lapses', () => {
  let env: ReturnType<typeof tempStore>;
  const clock = clockAt();
  let revocation: RevocationList;
  let vendors: VendorStore;
  const vendorKey = generateSigningKey();
  const registryKey = generateSigningKey();

  beforeEach(() => {
    env = tempStore();
    clock.set(clockAt().now());
    revocation = new RevocationList(env.store, { clock });
    vendors = new VendorStore(env.store, { revocation, clock });
    const registries = new RegistryStore(env.store);
    registries.trust(REGISTRY, 'Demo registry', [publishedJwk(registryKey)]);
    const key = verificationKeyOf(vendorKey, ORIGIN);
    const card = verifyCard(signCard(vendorCard(ORIGIN), vendorKey), { servedFrom: ORIGIN, resolveKey: resolverOf([key]), revocation });
    const token = issueCredential(
      { sub: ORIGIN, cnf: { jkt: vendorKey.kid }, legalEntity: { name: 'Example Shop Ltd' }, owners: [], payoutId: 'payout-shop-1', categories: ['groceries'], verificationLevel: 'verified' },
      { key: registryKey, registry: REGISTRY, clock, lifetimeSeconds: 600 },
    );
    const claims = verifyCredential(token, { registries: registries.resolveKey, revocation, subject: ORIGIN, vendorKids: [vendorKey.kid], clock });
    vendors.enrol({ card, keys: [key], credential: { token, claims } });
  });
  afterEach(() => env.cleanup());

  it('is verified while the credential is valid', () => {
    expect(vendors.get(ORIGIN)).toMatchObject({ verificationLevel: 'verified', registry: REGISTRY });
  });

  it('reads as pinned after the credential expired (expired credential)', () => {
    clock.advance(601_000);
    expect(vendors.get(ORIGIN)).toMatchObject({ verificationLevel: 'pinned', registry: null });
    expect(vendors.list().find((v) => v.origin === ORIGIN)?.verificationLevel).toBe('pinned');
  });

  it('reads as pinned after the registry key that signed it was revoked (revoked credential key)', () => {
    const token = vendors.get(ORIGIN).credential!;
    revocation.revokeKey(decodeProtectedHeader(token.split('.')[0]!).kid!, 'registry key compromised');
    expect(vendors.get(ORIGIN)).toMatchObject({ verificationLevel: 'pinned', registry: null });
  });

  it('reads as pinned after the registry itself was revoked', () => {
    revocation.revokeOrigin(REGISTRY, 'registry shut down');
    expect(vendors.get(ORIGIN)).toMatchObject({ verificationLevel: 'pinned', registry: null });
  });
});
