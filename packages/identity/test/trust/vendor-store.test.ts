import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMMERCE_EXTENSION_URI, type AgentCard, type AuditEvent } from '@steward/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCard } from '../../src/card/sign.ts';
import { issueCredential } from '../../src/credential/credential.ts';
import { generateSigningKey, publishedJwk, verificationKeyOf, type SigningKey } from '../../src/keys/key-pair.ts';
import { signMessage } from '../../src/message/sign.ts';
import { verifyMessage } from '../../src/message/verify.ts';
import { ReplayStore } from '../../src/replay/replay-store.ts';
import { RevocationList } from '../../src/revocation/revocation-list.ts';
import { discoverVendor, refreshVendor } from '../../src/trust/discover.ts';
import { RegistryStore } from '../../src/trust/registry-store.ts';
import { VendorStore } from '../../src/trust/vendor-store.ts';
import { BROKER, clockAt, offerBody, tempStore, vendorCard } from '../fixtures.ts';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

/** A vendor on 127.0.0.1 serving its JWKS and signed card; what it serves can change. */
class FakeVendor {
  server: Server;
  origin = '';
  keys: SigningKey[] = [generateSigningKey()];
  card: (origin: string) => AgentCard = (o) => vendorCard(o);
  signer = 0;
  cardHits = 0;
  constructor() {
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ keys: this.keys.map(publishedJwk) }));
      }
      if (req.url === '/.well-known/agent-card.json') {
        this.cardHits++;
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify(signCard(this.card(this.origin), this.keys[this.signer]!)));
      }
      res.statusCode = 404;
      res.end();
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
}

describe('vendor trust store', () => {
  let env: ReturnType<typeof tempStore>;
  let vendor: FakeVendor;
  let events: AuditEvent[];
  let revocation: RevocationList;
  let vendors: VendorStore;
  const clock = clockAt();

  beforeEach(async () => {
    env = tempStore();
    vendor = new FakeVendor();
    await vendor.start();
    events = [];
    revocation = new RevocationList(env.store, { audit: (e) => events.push(e), clock });
    vendors = new VendorStore(env.store, { revocation, audit: (e) => events.push(e), clock });
  });
  afterEach(async () => {
    await vendor.stop();
    env.cleanup();
  });

  const discover = (extra = {}) => discoverVendor(vendor.origin, { revocation, clock, fetch: { allowPrivate: true }, ...extra });

  it('refuses to fetch a loopback vendor without the development flag', async () => {
    expect(await codeOf(discoverVendor(vendor.origin, { revocation }))).toBe('ERR_FETCH_SCHEME_REFUSED');
    expect(await codeOf(discoverVendor(vendor.origin.replace('http:', 'https:'), { revocation }))).toBe('ERR_FETCH_ADDRESS_REFUSED');
  });

  it('discovers, enrols, and then verifies the vendor’s messages with the pinned key', async () => {
    const obs = await discover();
    expect(obs.card.commerce?.owners[0]?.entity.name).toBe('Parent Holdings');
    const rec = vendors.enrol(obs);
    expect(rec).toMatchObject({ origin: vendor.origin, status: 'active', verificationLevel: 'pinned', displayName: 'Example Shop' });
    expect(rec.keys.map((k) => k.kid)).toEqual([vendor.keys[0]!.kid]);
    expect(vendors.find(vendor.origin)).toEqual(vendors.get(vendor.origin));
    expect(vendors.find('https://not-enrolled.example')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['vendor.enrolled']);
    const token = signMessage('offer', offerBody({ vendor: vendor.origin }), { key: vendor.keys[0]!, iss: vendor.origin, aud: BROKER, clock }).token;
    const v = verifyMessage(token, 'offer', { audience: BROKER, resolveKey: vendors.resolveKey, replay: new ReplayStore(env.store), revocation, clock });
    expect(v.key.owner).toBe(vendor.origin);
    expect(await codeOf(() => vendors.enrol(obs))).toBe('ERR_VENDOR_ALREADY_ENROLLED');
  });

  it('drift: a changed owner list suspends the vendor until the person confirms', async () => {
    vendors.enrol(await discover());
    expect((await refreshVendor(vendors, vendor.origin, { revocation, fetch: { allowPrivate: true } })).changed).toBe(false);
    vendor.card = (o) => {
      const c = vendorCard(o);
      const params = c.capabilities.extensions![0]!.params as Record<string, unknown>;
      return { ...c, capabilities: { extensions: [{ uri: COMMERCE_EXTENSION_URI, params: { ...params, owners: [{ entity: { name: 'Big Rival Corp' }, relation: 'owns', stake: 1 }] } }] } };
    };
    const result = await refreshVendor(vendors, vendor.origin, { revocation, fetch: { allowPrivate: true } });
    expect(result).toMatchObject({ changed: true, kinds: ['card', 'owners'], status: 'suspended' });
    expect(vendors.get(vendor.origin).status).toBe('suspended');
    // Pinned owners are unchanged until confirmation.
    expect(vendors.get(vendor.origin).owners[0]?.entity.name).toBe('Parent Holdings');
    const token = signMessage('offer', offerBody({ vendor: vendor.origin }), { key: vendor.keys[0]!, iss: vendor.origin, aud: BROKER, clock }).token;
    const verify = () => verifyMessage(token, 'offer', { audience: BROKER, resolveKey: vendors.resolveKey, replay: new ReplayStore(env.store), revocation, clock });
    expect(await codeOf(verify)).toBe('ERR_VENDOR_SUSPENDED');
    expect(events.map((e) => e.type)).toEqual(['vendor.enrolled', 'vendor.changed', 'vendor.suspended']);
    const confirmed = vendors.confirm(vendor.origin);
    expect(confirmed.status).toBe('active');
    expect(confirmed.owners[0]?.entity.name).toBe('Big Rival Corp');
    expect(verify().key.owner).toBe(vendor.origin);
    expect(events.at(-1)?.type).toBe('vendor.confirmed');
    expect(await codeOf(() => vendors.confirm(vendor.origin))).toBe('ERR_VENDOR_NO_PENDING_CHANGE');
  });

  it('drift: a key rotation (new key signs the card) is held until confirmed', async () => {
    vendors.enrol(await discover());
    vendor.keys.push(generateSigningKey());
    vendor.signer = 1;
    const result = await refreshVendor(vendors, vendor.origin, { revocation, fetch: { allowPrivate: true } });
    expect(result.kinds).toContain('keys');
    expect(vendors.resolveKey.bind(vendors)).toBeTruthy();
    expect(await codeOf(() => vendors.resolveKey(vendor.keys[1]!.kid))).toBe('no error');
    expect(vendors.resolveKey(vendor.keys[1]!.kid)).toBeUndefined();
    vendors.confirm(vendor.origin);
    expect(vendors.resolveKey(vendor.keys[1]!.kid)?.owner).toBe(vendor.origin);
  });

  it('revocation takes effect at once over every cache, and is audited', async () => {
    vendors.enrol(await discover());
    const kid = vendor.keys[0]!.kid;
    expect(vendors.resolveKey(kid)).toBeDefined();
    const token = signMessage('offer', offerBody({ vendor: vendor.origin }), { key: vendor.keys[0]!, iss: vendor.origin, aud: BROKER, clock }).token;
    // A second handle on the same file (another process) revokes.
    const other = new RevocationList(env.store);
    other.revokeKey(kid, 'leaked');
    expect(await codeOf(() => verifyMessage(token, 'offer', { audience: BROKER, resolveKey: vendors.resolveKey, replay: new ReplayStore(env.store), revocation, clock }))).toBe('ERR_KEY_REVOKED');
    vendors.revoke(vendor.origin, 'fraud');
    expect(vendors.get(vendor.origin).status).toBe('revoked');
    expect(await codeOf(() => vendors.resolveKey(kid))).toBe('ERR_ORIGIN_REVOKED');
    expect(await codeOf(discover())).toBe('ERR_ORIGIN_REVOKED');
    expect(events.map((e) => e.type)).toEqual(['vendor.enrolled', 'vendor.revoked']);
    expect(revocation.list().map((r) => r.kind).sort()).toEqual(['key', 'origin']);
  });

  it('a credential from a trusted registry raises the verification level; an untrusted one is refused', async () => {
    const registryKey = generateSigningKey();
    const registries = new RegistryStore(env.store);
    registries.trust('https://registry.example', 'Demo registry', [publishedJwk(registryKey)]);
    const claims = {
      sub: vendor.origin,
      cnf: { jkt: vendor.keys[0]!.kid },
      legalEntity: { name: 'Example Shop Ltd' },
      owners: [{ entity: { name: 'Parent Holdings' }, relation: 'owns' as const, stake: 1 }],
      payoutId: 'payout-shop-1',
      categories: ['groceries' as const],
      verificationLevel: 'verified' as const,
    };
    const token = issueCredential(claims, { key: registryKey, registry: 'https://registry.example', clock });
    const obs = await discover({ credential: { token, registries: registries.resolveKey } });
    expect(obs.credential?.claims.verificationLevel).toBe('verified');
    expect(vendors.enrol(obs)).toMatchObject({ verificationLevel: 'verified', registry: 'https://registry.example' });

    const rogue = issueCredential(claims, { key: generateSigningKey(), registry: 'https://registry.example', clock });
    expect(await codeOf(discover({ credential: { token: rogue, registries: registries.resolveKey } }))).toBe('ERR_CREDENTIAL_ISSUER_UNTRUSTED');
    const otherKey = issueCredential({ ...claims, cnf: { jkt: generateSigningKey().kid } }, { key: registryKey, registry: 'https://registry.example', clock });
    expect(await codeOf(discover({ credential: { token: otherKey, registries: registries.resolveKey } }))).toBe('ERR_CREDENTIAL_KEY_MISMATCH');
    const otherSub = issueCredential({ ...claims, sub: 'https://else.example' }, { key: registryKey, registry: 'https://registry.example', clock });
    expect(await codeOf(discover({ credential: { token: otherSub, registries: registries.resolveKey } }))).toBe('ERR_CREDENTIAL_SUBJECT_MISMATCH');
    const offer = signMessage('offer', offerBody(), { key: registryKey, iss: 'https://registry.example', aud: 'urn:steward:broker', clock }).token;
    expect(await codeOf(discover({ credential: { token: offer, registries: registries.resolveKey } }))).toBe('ERR_JWS_TYP_MISMATCH');
  });

  it('refresh re-checks the stored credential; manual suspend and reactivation are audited', async () => {
    const registryKey = generateSigningKey();
    const registries = new RegistryStore(env.store);
    registries.trust('https://registry.example', 'Demo registry', [publishedJwk(registryKey)]);
    const claims = {
      sub: vendor.origin,
      cnf: { jkt: vendor.keys[0]!.kid },
      legalEntity: { name: 'Example Shop Ltd' },
      owners: [],
      payoutId: 'payout-shop-1',
      categories: ['groceries' as const],
      verificationLevel: 'basic' as const,
    };
    const token = issueCredential(claims, { key: registryKey, registry: 'https://registry.example', clock, lifetimeSeconds: 600 });
    vendors.enrol(await discover({ credential: { token, registries: registries.resolveKey } }));
    const refresh = () => refreshVendor(vendors, vendor.origin, { revocation, clock, fetch: { allowPrivate: true }, credential: { token: '', registries: registries.resolveKey } });
    expect((await refresh()).changed).toBe(false);
    // The registry is no longer trusted: the stored credential fails on refresh.
    registries.remove('https://registry.example');
    expect(await codeOf(refresh())).toBe('ERR_CREDENTIAL_ISSUER_UNTRUSTED');
    vendors.suspend(vendor.origin, 'checking a complaint');
    expect(await codeOf(() => vendors.resolveKey(vendor.keys[0]!.kid))).toBe('ERR_VENDOR_SUSPENDED');
    expect(vendors.confirm(vendor.origin).status).toBe('active');
    expect(events.map((e) => e.type)).toEqual(['vendor.enrolled', 'vendor.suspended', 'vendor.confirmed']);
    expect(await codeOf(() => vendors.get('https://nobody.example'))).toBe('ERR_VENDOR_NOT_ENROLLED');
  });

  it('a JWKS with too many keys is refused', async () => {
    vendor.keys = Array.from({ length: 9 }, () => generateSigningKey());
    expect(await codeOf(discover())).toBe('ERR_FETCH_TOO_MANY_KEYS');
  });

  it('a card signed by a key of another origin is refused at discovery', async () => {
    const foreign = generateSigningKey();
    vendor.card = (o) => vendorCard(o);
    const obs = await discover();
    expect(await codeOf(() => vendors.enrol({ ...obs, keys: [verificationKeyOf(foreign, 'https://evil.example')] }))).toBe('ERR_VENDOR_KEY_MISMATCH');
  });
});
