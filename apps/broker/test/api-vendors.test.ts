import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../src/index.ts';
import { startDemoBroker, type DemoBroker } from './helpers/demo-broker.ts';
import { GROCERY_TASK } from './helpers/task.ts';

let t: DemoBroker;

beforeAll(async () => {
  t = await startDemoBroker('api-vendors');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

interface VendorRow {
  origin: string;
  displayName: string;
  status: string;
  categories: string[];
  keyThumbprints: string[];
  verified: boolean;
  cardForm: string;
  drift?: unknown;
}

const quoteOrigins = async (): Promise<Set<string>> => {
  const task = await t.call<{ taskId: string }>('POST', '/api/tasks', GROCERY_TASK);
  expect(task.status).toBe(201);
  const quotes = await t.call<{ offers: { vendor: { origin: string } }[] }>('POST', `/api/tasks/${task.json.taskId}/quotes`);
  expect(quotes.status).toBe(200);
  return new Set(quotes.json.offers.map((o) => o.vendor.origin));
};

describe('vendors API', () => {
  it('refuses without the token', async () => {
    for (const [method, url] of [
      ['GET', '/api/vendors'],
      ['POST', '/api/vendors/revoke'],
      ['GET', '/api/provenance/agent'],
    ] as const) {
      const res = await t.call(method, url, method === 'POST' ? { origin: 'https://x.example' } : undefined, { token: null });
      expect(res.status, url).toBe(401);
      expect(res.json.code).toBe('ERR_AUTH_MISSING');
    }
  });

  it('lists the enrolled vendors with status, keys and card form', async () => {
    const res = await t.call<{ vendors: VendorRow[] }>('GET', '/api/vendors');
    expect(res.status).toBe(200);
    expect(res.json.vendors.map((v) => v.origin).sort()).toEqual(t.broker.demo!.vendors.map((v) => v.origin).sort());
    for (const v of res.json.vendors) {
      expect(v.status).toBe('active');
      expect(v.keyThumbprints.length).toBeGreaterThan(0);
      expect(v.cardForm).toMatch(/\w/);
      expect(v.drift).toBeUndefined();
    }
    expect(res.json.vendors.some((v) => v.categories.includes('groceries'))).toBe(true);
  });

  it('previews a vendor from its origin and enrols only the card that was previewed', async () => {
    const origin = t.broker.demo!.vendors[0]!.origin;
    const preview = await t.call<{ origin: string; cardHash: string; keyThumbprints: string[]; enrolled: { status: string; sameCard: boolean } | null; untrustedVendorText: { name: string } }>('POST', '/api/vendors', { origin });
    expect(preview.status).toBe(200);
    expect(preview.json.origin).toBe(origin);
    expect(preview.json.cardHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(preview.json.enrolled).toEqual({ status: 'active', sameCard: true });
    expect(preview.json.untrustedVendorText.name.length).toBeGreaterThan(0);

    const stale = await t.call('POST', '/api/vendors/confirm', { origin, cardHash: 'A'.repeat(43) });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('ERR_VENDOR_PREVIEW_STALE');

    const confirmed = await t.call<{ origin: string; status: string; cardHash: string }>('POST', '/api/vendors/confirm', { origin, cardHash: preview.json.cardHash });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toMatchObject({ origin, status: 'active', cardHash: preview.json.cardHash });
  });

  it('refuses malformed and unreachable origins', async () => {
    for (const body of [{ origin: 'not an origin' }, { origin: 'ftp://x.example' }, {}, { origin: 'https://x.example', extra: true }]) {
      const res = await t.call('POST', '/api/vendors', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('ERR_REQUEST_INVALID');
    }
    const unreachable = await t.call('POST', '/api/vendors', { origin: 'http://127.0.0.1:1' });
    expect(unreachable.status).toBeGreaterThanOrEqual(400);
    expect(unreachable.json.code).toMatch(/^ERR_FETCH_/);
  });

  it('revoking a vendor takes effect at once: audited, listed as revoked, skipped by the next quote round, not re-enrollable', async () => {
    const victim = t.broker.demo!.vendors.find((v) => v.category === 'groceries')!.origin;
    expect(await quoteOrigins()).toContain(victim);

    const res = await t.call<{ origin: string; status: string }>('POST', '/api/vendors/revoke', { origin: victim, reason: 'I do not trust it' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ origin: victim, status: 'revoked' });

    const listed = await t.call<{ vendors: VendorRow[]; revoked: { origin: string; reason: string }[] }>('GET', '/api/vendors');
    expect(listed.json.vendors.find((v) => v.origin === victim)!.status).toBe('revoked');
    expect(listed.json.revoked).toContainEqual(expect.objectContaining({ origin: victim, reason: 'I do not trust it' }));

    const audit = await t.call<{ entries: { event: { type: string; vendor?: string; actor: string } }[] }>('GET', `/api/audit?type=vendor.revoked&vendor=${encodeURIComponent(victim)}`);
    expect(audit.json.entries).toHaveLength(1);
    expect(audit.json.entries[0]!.event.actor).toBe('person');

    const after = await quoteOrigins();
    expect(after.size).toBeGreaterThan(0);
    expect(after).not.toContain(victim);

    const again = await t.call('POST', '/api/vendors/confirm', { origin: victim });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe('ERR_ORIGIN_REVOKED');
  });
});

describe('provenance API', () => {
  it('describes the agent: manifest, disclosure and the graph around its maker', async () => {
    const res = await t.call<{ manifest: { maker: unknown }; disclosure: string; graph: { nodes: { id: string; name: string }[]; edges: { from: string; to: string; source: string }[] } }>('GET', '/api/provenance/agent');
    expect(res.status).toBe(200);
    expect(res.json.manifest).toEqual(t.broker.steward.manifest);
    expect(res.json.disclosure).toBe(t.broker.steward.agentDisclosure());
    const ids = new Set(res.json.graph.nodes.map((n) => n.id));
    for (const e of res.json.graph.edges) {
      expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
      expect(e.source.length).toBeGreaterThan(0);
    }
  });

  it('shows who owns a vendor, with sourced edges, and 404 for an origin not enrolled', async () => {
    const views = await Promise.all(
      t.broker.demo!.vendors.map((v) => t.call<{ entity?: { id: string }; paths: { owner: { id: string }; path: unknown[] }[]; graph: { nodes: { id: string }[]; edges: { from: string; to: string; relation: string; source: string; origin: string }[] } }>('GET', `/api/provenance/vendor?origin=${encodeURIComponent(v.origin)}`)),
    );
    for (const v of views) expect(v.status).toBe(200);
    const owned = views.find((v) => v.json.paths.length > 0);
    expect(owned, 'some demo vendor has an owner in the graph').toBeDefined();
    const ids = new Set(owned!.json.graph.nodes.map((n) => n.id));
    expect(ids.has(owned!.json.entity!.id)).toBe(true);
    for (const e of owned!.json.graph.edges) {
      expect(e.source.length).toBeGreaterThan(0);
      expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    }
    expect(owned!.json.graph.edges.some((e) => e.to === owned!.json.entity!.id)).toBe(true);

    const missing = await t.call('GET', `/api/provenance/vendor?origin=${encodeURIComponent('https://unknown.example')}`);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('ERR_VENDOR_NOT_ENROLLED');
    const bad = await t.call('GET', '/api/provenance/vendor');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('vendor enrolment outside the demo (SSRF guard)', () => {
  it('refuses to fetch a vendor on a loopback or private address, so the API cannot probe your network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-api-ssrf-'));
    const broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0' }, new Writable({ write: (_c, _e, cb) => cb() }), { demo: false, web: false });
    try {
      const demoOrigin = t.broker.demo!.vendors[0]!.origin;
      const cases = [
        // Plain http is refused outright off the demo; https to a private address is refused by address.
        [demoOrigin, 'ERR_FETCH_SCHEME_REFUSED'],
        ['https://127.0.0.1:9', 'ERR_FETCH_ADDRESS_REFUSED'],
        ['https://10.0.0.1', 'ERR_FETCH_ADDRESS_REFUSED'],
        ['https://169.254.169.254', 'ERR_FETCH_ADDRESS_REFUSED'],
        ['https://[::1]:8443', 'ERR_FETCH_ADDRESS_REFUSED'],
      ] as const;
      for (const [origin, code] of cases) {
        for (const url of ['/api/vendors', '/api/vendors/confirm']) {
          const res = await broker.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${broker.token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ origin }) });
          expect(res.json<{ code: string }>().code, `${url} ${origin}`).toBe(code);
          expect(res.statusCode, `${url} ${origin}`).toBeGreaterThanOrEqual(400);
        }
      }
      expect(broker.steward.vendors.list()).toEqual([]);
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
