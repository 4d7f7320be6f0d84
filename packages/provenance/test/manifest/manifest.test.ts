import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, importJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentManifest } from '@steward/protocol';
import {
  buildGraph,
  checkManifestSignature,
  loadManifest,
  loadSeedFacts,
  manifestSigningInput,
  parseManifest,
  renderDisclosure,
  signManifest,
  verifyManifest,
} from '../../src/index.ts';
import { codeOf, codeOfAsync, tempStore } from '../support.ts';

const vector = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'vectors', 'rfc8037-ed25519-jws.json'), 'utf8'),
);
const manifest: AgentManifest = {
  manifestVersion: 1,
  agent: { name: 'Shopper', version: '2.1.0' },
  maker: { name: 'Zappos.com', domain: 'zappos.com' },
  operator: { name: 'Zappos.com', domain: 'zappos.com' },
  modelProvider: { name: 'Example Models' },
  model: 'example-7b',
  declaredAffiliations: [
    {
      entity: { name: 'Instacart', domain: 'instacart.com' },
      relation: 'affiliate_fee',
      note: 'grocery referrals',
    },
  ],
  issuedAt: '2026-11-01T00:00:00Z',
};
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('RFC 8037 known answer', () => {
  it('our Ed25519 path reproduces the RFC signature (keys are the ones the manifest tests use)', async () => {
    const key = await importJWK(vector.private_jwk, 'EdDSA');
    const jws = await new CompactSign(new TextEncoder().encode(vector.payload_utf8))
      .setProtectedHeader(vector.protected_header)
      .sign(key);
    expect(jws).toBe(vector.compact_jws);
  });
});

describe('signManifest / verifyManifest', () => {
  it('signs a detached compact JWS over the canonical manifest and verifies it', async () => {
    const signed = await signManifest(manifest, vector.private_jwk, 'maker-2026');
    expect(signed.signature).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    const header = JSON.parse(Buffer.from(signed.signature!.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', typ: 'steward-agent-manifest+jwt', kid: 'maker-2026' });
    await expect(verifyManifest(signed, vector.public_jwk)).resolves.toEqual({ kid: 'maker-2026' });
    // Key order does not matter: the signature covers the RFC 8785 form.
    const { issuedAt, ...rest } = signed;
    const reordered = JSON.parse(JSON.stringify({ ...rest, issuedAt }));
    await expect(verifyManifest(reordered, vector.public_jwk)).resolves.toBeDefined();
    expect(new TextDecoder().decode(manifestSigningInput(signed))).not.toContain('signature');
  });

  it('refuses a changed manifest, another key, an attached payload, another typ and alg none', async () => {
    const signed = await signManifest(manifest, vector.private_jwk);
    expect(
      await codeOfAsync(() =>
        verifyManifest({ ...signed, maker: { name: 'Someone Else' } }, vector.public_jwk),
      ),
    ).toBe('ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID');
    const other = { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32, 7).toString('base64url') };
    expect(await codeOfAsync(() => verifyManifest(signed, other))).toBe(
      'ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID',
    );
    const [h, , s] = signed.signature!.split('.');
    const attached = `${h}.${Buffer.from(manifestSigningInput(signed)).toString('base64url')}.${s}`;
    expect(
      await codeOfAsync(() => verifyManifest({ ...signed, signature: attached }, vector.public_jwk)),
    ).toBe('ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID');
    const key = await importJWK(vector.private_jwk, 'EdDSA');
    const wrongTyp = await new CompactSign(manifestSigningInput(manifest))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'steward-offer+jwt' })
      .sign(key);
    const [wh, , ws] = wrongTyp.split('.');
    expect(
      await codeOfAsync(() => verifyManifest({ ...manifest, signature: `${wh}..${ws}` }, vector.public_jwk)),
    ).toBe('ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'steward-agent-manifest+jwt' })).toString('base64url')}..`;
    expect(await codeOfAsync(() => verifyManifest({ ...manifest, signature: none }, vector.public_jwk))).toBe(
      'ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID',
    );
    expect(await codeOfAsync(() => verifyManifest(manifest, vector.public_jwk))).toBe(
      'ERR_PROVENANCE_MANIFEST_UNSIGNED',
    );
    expect(await checkManifestSignature(manifest, vector.public_jwk)).toBe('unsigned');
    expect(
      await checkManifestSignature({ ...signed, agent: { name: 'x', version: '1' } }, vector.public_jwk),
    ).toBe('invalid');
    expect(await checkManifestSignature(signed, vector.public_jwk)).toBe('verified');
    expect(await checkManifestSignature(signed, undefined)).toBe('unchecked');
  });
});

describe('loadManifest', () => {
  it('loads a manifest file and refuses bad ones with a code', () => {
    const t = tempStore();
    cleanup = t.cleanup;
    const path = join(t.dir, 'agent.json');
    writeFileSync(path, JSON.stringify(manifest));
    expect(loadManifest(path)).toEqual(manifest);
    writeFileSync(path, JSON.stringify({ ...manifest, extra: true }));
    expect(codeOf(() => loadManifest(path))).toBe('ERR_PROVENANCE_MANIFEST_INVALID');
    writeFileSync(path, '{"manifestVersion": 1,');
    expect(codeOf(() => loadManifest(path))).toBe('ERR_PROVENANCE_MANIFEST_INVALID');
    expect(codeOf(() => parseManifest({ ...manifest, manifestVersion: 2 }))).toBe(
      'ERR_PROVENANCE_MANIFEST_INVALID',
    );
  });
});

describe('renderDisclosure', () => {
  it("says who made the agent and what the maker's group owns, in plain words", () => {
    const text = renderDisclosure(manifest, buildGraph(loadSeedFacts()), {
      asOf: '2026-11-25',
      signature: 'verified',
    });
    expect(text).toContain(
      'Your agent "Shopper" 2.1.0 is made by Zappos.com, and uses a model from Example Models (example-7b).',
    );
    expect(text).toContain('signed this description, and the signature checks out');
    expect(text).toContain('Zappos.com is owned by Amazon.com, Inc.');
    expect(text).toContain('Amazon.com, Inc. also owns Whole Foods Market.');
    expect(text).toContain(
      'Zappos.com declares: it earns affiliate fees from Instacart (grocery referrals).',
    );
  });

  it('reads the graph as of the date and warns on a bad signature', () => {
    const walmart: AgentManifest = {
      ...manifest,
      maker: { name: 'Walmart Inc.', lei: 'Y87794H0US1R65VBXU25' },
      operator: { name: 'Walmart Inc.' },
      declaredAffiliations: [],
    };
    const g = buildGraph(loadSeedFacts());
    const now = renderDisclosure(walmart, g, { asOf: '2026-11-25', signature: 'invalid' });
    expect(now).toContain('Warning: the signature on this description does not check out');
    expect(now).toMatch(/Walmart Inc\. owns (Flipkart|Sam's Club)/);
    expect(now).not.toContain('Asda');
    expect(renderDisclosure(walmart, g, { asOf: '2020-01-01', signature: 'unsigned' })).toContain('Asda');
    expect(renderDisclosure({ ...walmart, signature: 'x..y' }, g, { asOf: '2020-01-01' })).toContain(
      'so the signature was not checked',
    );
    expect(renderDisclosure(walmart, g, { asOf: '2020-01-01' })).toContain('has not signed this description');
  });
});
