import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VendorCredential } from '@steward/protocol';
import { importVerificationKey, verifyCredential } from '@steward/identity';
import { ORBIT_RETAIL_GROUP_REF, startVendorWorld, type VendorWorld } from '../../src/index.ts';
import { createBroker, type TestBroker } from '../helpers.ts';

let broker: TestBroker;
let world: VendorWorld;
const NO_REVOCATION = { isKeyRevoked: () => false, isOriginRevoked: () => false };

beforeAll(async () => {
  broker = createBroker();
  world = await startVendorWorld({ basePort: 0, brokerId: broker.id, brokerJwks: broker.jwks });
});
afterAll(async () => {
  await world.close();
  broker.close();
});

async function registryKeys() {
  const jwks = (await (await fetch(`${world.registry.origin}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
  expect(jwks).toEqual(world.registry.jwks);
  const keys = jwks.keys.map((j) => importVerificationKey(j, world.registry.origin));
  return (kid: string) => keys.find((k) => k.kid === kid);
}

describe('the Open Commerce Registry', () => {
  it('issues a credential for every vendor that verifies against its pinned key and binds the vendor key', async () => {
    const registries = await registryKeys();
    for (const v of world.vendors) {
      const { credential } = (await (await fetch(`${world.registry.origin}/credentials/${v.id}`)).json()) as { credential: string };
      const payload = verifyCredential(credential, { registries, revocation: NO_REVOCATION, subject: v.origin, vendorKids: [world.running.get(v.id)!.agent.key.kid] });
      expect(VendorCredential.safeParse(payload).success).toBe(true);
      expect(payload.iss).toBe(world.registry.origin);
      expect(payload.categories).toEqual([v.category]);
    }
  });

  it('tells what QuickBasket’s card omits: Orbit Retail Group owns it', async () => {
    const registries = await registryKeys();
    const qb = world.vendors.find((v) => v.id === 'quickbasket')!;
    const { credentials } = (await (await fetch(`${qb.origin}/.well-known/steward-credential`)).json()) as { credentials: string[] };
    expect(credentials).toHaveLength(1);
    const payload = verifyCredential(credentials[0], { registries, revocation: NO_REVOCATION, subject: qb.origin, vendorKids: [world.running.get('quickbasket')!.agent.key.kid] });
    expect(payload.owners).toEqual([{ entity: ORBIT_RETAIL_GROUP_REF, relation: 'owns', stake: 1 }]);
    const card = world.running.get('quickbasket')!.card;
    expect((card.capabilities.extensions?.[0]?.params as { owners: unknown[] }).owners).toEqual([]);
  });

  it('a credential does not verify for another vendor or another key', async () => {
    const registries = await registryKeys();
    const { credential } = (await (await fetch(`${world.registry.origin}/credentials/megamart`)).json()) as { credential: string };
    const mm = world.vendors.find((v) => v.id === 'megamart')!;
    const gv = world.vendors.find((v) => v.id === 'green-valley')!;
    expect(() => verifyCredential(credential, { registries, revocation: NO_REVOCATION, subject: gv.origin, vendorKids: [world.running.get('megamart')!.agent.key.kid] })).toThrow(
      expect.objectContaining({ code: 'ERR_CREDENTIAL_SUBJECT_MISMATCH' }),
    );
    expect(() => verifyCredential(credential, { registries, revocation: NO_REVOCATION, subject: mm.origin, vendorKids: [world.running.get('green-valley')!.agent.key.kid] })).toThrow(
      expect.objectContaining({ code: 'ERR_CREDENTIAL_KEY_MISMATCH' }),
    );
  });

  it('lists its vendors and answers 404 for an unknown one', async () => {
    const dir = (await (await fetch(`${world.registry.origin}/vendors`)).json()) as { registry: string; vendors: { vendorId: string; jkt: string }[] };
    expect(dir.registry).toBe('Open Commerce Registry');
    expect(dir.vendors.map((v) => v.vendorId)).toEqual(world.vendors.map((v) => v.id));
    const res = await fetch(`${world.registry.origin}/credentials/nobody`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_REGISTRY_VENDOR_UNKNOWN');
  });
});
