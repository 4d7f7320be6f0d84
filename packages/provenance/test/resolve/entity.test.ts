import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  loadSeedFacts,
  registrableDomain,
  resolveEntityRef,
  resolveVendor,
  type VendorDescriptor,
} from '../../src/index.ts';

const g = buildGraph(loadSeedFacts());
const vendor = (origin: string, extra: Partial<VendorDescriptor> = {}): VendorDescriptor => ({
  origin,
  displayName: 'Amazon.com, Inc.',
  keyThumbprint: 'k',
  payoutId: 'p',
  declaredOwners: [],
  declaredAffiliations: [],
  ...extra,
});

describe('registrableDomain', () => {
  it('uses the public suffix list', () => {
    expect(registrableDomain('https://www.wholefoodsmarket.com')).toBe('wholefoodsmarket.com');
    expect(registrableDomain('https://shop.example.co.uk:8443')).toBe('example.co.uk');
    expect(registrableDomain('https://alice.github.io')).toBe('alice.github.io');
    expect(registrableDomain('http://127.0.0.1:4001')).toBeUndefined();
  });
});

describe('resolveVendor', () => {
  it('never resolves by display name alone', () => {
    expect(resolveVendor(g, vendor('https://amazon-deals.example'))).toEqual([]);
  });
  it("resolves by the enrolled origin's registrable domain", () => {
    expect(resolveVendor(g, vendor('https://fresh.amazon.com'))).toEqual([
      { entityId: 'amazon', basis: 'domain', confidence: 0.9 },
    ]);
  });
  it("resolves by the registry credential's LEI first, and by the card's LEI", () => {
    const cred = {
      issuer: 'r',
      legalEntity: { name: 'x', lei: 'Y87794H0US1R65VBXU25' },
      owners: [],
      verificationLevel: 'verified' as const,
    };
    expect(resolveVendor(g, vendor('https://x.example', { credential: cred }))[0]).toMatchObject({
      entityId: 'walmart',
      basis: 'credential-lei',
    });
    expect(
      resolveVendor(g, vendor('https://x.example', { legalEntity: { name: 'x', wikidata: 'Q3884' } }))[0],
    ).toMatchObject({ entityId: 'amazon', basis: 'wikidata' });
  });
  it("resolves by the registry-attested entity id and domain, wherever the vendor is served (regression: demo vendors on 127.0.0.1 did not resolve)", () => {
    const cred = (legalEntity: { name: string; entityId?: string; domain?: string }) => ({ issuer: 'r', legalEntity, owners: [], verificationLevel: 'verified' as const });
    expect(resolveVendor(g, vendor('http://127.0.0.1:4001', { credential: cred({ name: 'x', entityId: 'whole-foods' }) }))[0]).toMatchObject({
      entityId: 'whole-foods',
      basis: 'credential-entity',
    });
    expect(resolveVendor(g, vendor('http://127.0.0.1:4001', { credential: cred({ name: 'x', domain: 'www.wholefoodsmarket.com' }) }))[0]).toMatchObject({
      entityId: 'whole-foods',
      basis: 'credential-domain',
    });
    // An id the registry attests but the graph does not know resolves to nothing, never to a name-alike.
    expect(resolveVendor(g, vendor('http://127.0.0.1:4001', { credential: cred({ name: 'Whole Foods Market', entityId: 'no-such-entity' }) }))).toEqual([]);
  });
  it('ignores an entity id the vendor chose itself', () => {
    expect(
      resolveVendor(g, vendor('https://x.example', { legalEntity: { name: 'Amazon', entityId: 'amazon' } })),
    ).toEqual([]);
  });
});

describe('resolveEntityRef', () => {
  it('resolves by id, LEI, Wikidata id or domain, never by name', () => {
    expect(resolveEntityRef(g, { name: 'Amazon.com, Inc.' })).toEqual([]);
    expect(resolveEntityRef(g, { name: 'x', entityId: 'target' })[0]?.entityId).toBe('target');
    expect(resolveEntityRef(g, { name: 'x', domain: 'www.shipt.com' })[0]?.entityId).toBe('shipt');
  });
});
