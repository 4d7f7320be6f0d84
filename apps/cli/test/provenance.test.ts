import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentManifest } from '@steward/protocol';
import { signManifest } from '@steward/provenance';
import { useCliHarness } from './support/harness.ts';

const h = useCliHarness('provenance');
const run = h.run;

// RFC 8037 Appendix A test key (published; never for production).
const privateJwk = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};
const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x };
const manifest: AgentManifest = {
  manifestVersion: 1,
  agent: { name: 'Shopper', version: '1.0.0' },
  maker: { name: 'Amazon.com, Inc.', lei: 'ZXTILKJKG63JELOEG630' },
  operator: { name: 'Amazon.com, Inc.', lei: 'ZXTILKJKG63JELOEG630' },
  modelProvider: { name: 'Example Models' },
  declaredAffiliations: [],
  issuedAt: '2026-11-01T00:00:00Z',
};

describe('steward provenance', () => {
  it('show: resolves a vendor origin by its domain and prints each fact with its source, as of a date', async () => {
    const r = await run('show', 'https://www.wholefoodsmarket.com', '--as-of', '2026-11-25');
    expect(r.code).toBe(0);
    expect(r.err).toContain('imported the shipped seed');
    expect(r.out).toContain('matched by domain wholefoodsmarket.com');
    expect(r.out).toContain('owned by  Amazon.com, Inc. (ultimate owner)');
    expect(r.out).toContain('source (seed): acquisition announced 2017-06-16');
    const asda = await run('show', 'asda', '--as-of', '2026-11-25', '--json');
    const report = JSON.parse(asda.out)[0].report;
    expect(report.owners).toEqual([]);
    expect(report.inactive[0]).toMatchObject({ parent: 'walmart', validTo: '2021-02-16' });
  });

  it('show: refuses an unknown vendor or entity with a code', async () => {
    const r = await run('show', 'https://unknown-shop.example');
    expect(r.code).toBe(1);
    expect(r.err).toContain('error ERR_PROVENANCE_ENTITY_UNKNOWN');
    expect((await run('show', 'nobody')).err).toContain('ERR_PROVENANCE_ENTITY_UNKNOWN');
    expect((await run('show', 'asda', '--as-of', 'yesterday')).err).toContain('ERR_PROVENANCE_INPUT_INVALID');
  });

  it("add-edge and import: the person's notes and imported facts show up", async () => {
    const file = join(h.dir, 'notes.json');
    writeFileSync(
      file,
      JSON.stringify({
        about: 'my notes',
        origin: 'local',
        licence: 'local',
        entities: [{ id: 'corner-shop', name: 'Corner Shop', domains: ['corner.example'] }],
        edges: [],
      }),
    );
    const imp = await run('import', file);
    expect(imp.code).toBe(0);
    expect(imp.out).toContain('imported steward: 1 entities, 0 edges');
    const add = await run(
      'add-edge',
      'target',
      'owns',
      'corner-shop',
      '--stake',
      '0.4',
      '--from',
      '2024-01-01',
      '--source',
      'local paper',
    );
    expect(add.code).toBe(0);
    const show = await run('show', 'https://corner.example', '--as-of', '2026-11-25');
    expect(show.out).toContain('owned by  Target Corporation');
    expect(show.out).toContain('Target Corporation owns 40% Corner Shop [2024-01-01 → now]');
    expect(show.out).toContain('source (local): local paper');
    expect((await run('add-edge', 'target', 'adores', 'corner-shop')).err).toContain(
      'ERR_PROVENANCE_EDGE_INVALID',
    );
    expect((await run('import', file, '--format', 'csv')).err).toContain(
      'ERR_PROVENANCE_IMPORT_FORMAT_UNKNOWN',
    );
  });

  it('agent: shows the manifest, checks the maker signature and renders the disclosure', async () => {
    const signed = await signManifest(manifest, privateJwk);
    writeFileSync(join(h.ctx.dataDir, 'agent-manifest.json'), JSON.stringify(signed));
    writeFileSync(join(h.ctx.dataDir, 'agent-maker.jwk.json'), JSON.stringify(publicJwk));
    const r = await run('agent', '--as-of', '2026-11-25');
    expect(r.code).toBe(0);
    expect(r.out).toContain('signature    verified');
    expect(r.out).toContain('Amazon.com, Inc. owns Whole Foods Market and Zappos.com.');
    writeFileSync(
      join(h.ctx.dataDir, 'agent-manifest.json'),
      JSON.stringify({ ...signed, model: 'swapped' }),
    );
    const tampered = await run('agent', '--json');
    expect(JSON.parse(tampered.out).signature).toBe('invalid');
    const missing = await run('agent', '--manifest', join(h.dir, 'none.json'));
    expect(missing.err).toContain('error ERR_PROVENANCE_MANIFEST_INVALID');
    expect(readFileSync(join(h.ctx.dataDir, 'agent-maker.jwk.json'), 'utf8')).not.toContain('"d"');
  });
});
