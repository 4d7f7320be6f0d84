import { parsePolicyRequest, TEST_REQUEST_DEFAULTS } from '@steward/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoBroker, type DemoBroker } from './helpers/demo-broker.ts';

let t: DemoBroker;

beforeAll(async () => {
  t = await startDemoBroker('api-data');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

interface Masked {
  id: string;
  dataClass: string;
  label: string;
  masked: string;
}

describe('profile API', () => {
  it('refuses without the token', async () => {
    for (const [method, url] of [
      ['GET', '/api/profile'],
      ['GET', '/api/profile/who-knows'],
      ['GET', '/api/spending'],
      ['GET', '/api/keys'],
    ] as const) {
      const res = await t.call(method, url, undefined, { token: null });
      expect(res.status, url).toBe(401);
      expect(res.json.code).toBe('ERR_AUTH_MISSING');
    }
  });

  it('lists values masked and never sends a full value', async () => {
    const res = await t.call<{ values: Masked[] }>('GET', '/api/profile');
    expect(res.status).toBe(200);
    const byClass = new Map(res.json.values.map((v) => [v.dataClass, v]));
    expect(byClass.get('email')!.masked).toBe('a\u2022\u2022\u2022@example.org');
    expect(byClass.get('health')!.masked).toBe('\u2022\u2022\u2022');
    expect(byClass.get('birth_date')!.masked).toBe('\u2022\u2022\u2022');
    for (const secret of ['Ada Example', 'ada@example.org', 'peanut', '1990-12-10', '0100 123', 'Analytical Way']) {
      expect(res.body).not.toContain(secret);
    }
  });

  it('sets, lists and deletes a value; 404 for a gone id, 400 for bad input', async () => {
    const set = await t.call<{ id: string; dataClass: string; label: string }>('PUT', '/api/profile', { dataClass: 'phone', label: 'work', value: '+1 555 0199 777' });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ dataClass: 'phone', label: 'work' });
    const listed = await t.call<{ values: Masked[] }>('GET', '/api/profile');
    expect(listed.json.values.find((v) => v.id === set.json.id)).toMatchObject({ dataClass: 'phone', label: 'work', masked: '+\u2022\u2022\u202277' });
    expect(t.broker.steward.profile.get('phone', 'work')!.value).toBe('+1 555 0199 777');

    // A blank label, as the web form sends it, means `primary`.
    const blank = await t.call<{ id: string; label: string }>('PUT', '/api/profile', { dataClass: 'preferences', label: '', value: 'no plastic bags' });
    expect(blank.status).toBe(200);
    expect(blank.json.label).toBe('primary');

    const deleted = await t.call('DELETE', `/api/profile/${set.json.id}`);
    expect(deleted.status).toBe(200);
    expect(t.broker.steward.profile.get('phone', 'work')).toBeUndefined();
    const gone = await t.call('DELETE', `/api/profile/${set.json.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('ERR_NOT_FOUND');

    for (const body of [{ dataClass: 'shoe_size', value: '42' }, { dataClass: 'phone' }, { dataClass: 'phone', value: 'x', extra: 1 }]) {
      const res = await t.call('PUT', '/api/profile', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('ERR_REQUEST_INVALID');
    }
    const badId = await t.call('DELETE', '/api/profile/not-an-id');
    expect(badId.status).toBe(400);
  });

  it('who-knows lists what a vendor received, and an erasure request is recorded and audited', async () => {
    const vendor = t.broker.demo!.vendors.find((v) => v.category === 'groceries')!.origin;
    const result = t.broker.steward.profile.discloseSync({
      vendor: { origin: vendor, category: 'groceries', verified: true },
      purpose: 'delivery',
      taskId: 'task_test',
      fields: [{ dataClass: 'address', purpose: 'delivery' }],
    });
    expect(Object.keys(result.disclosed)).toEqual(['address']);

    const who = await t.call<{ vendors: { vendor: string; fields: { dataClass: string; taskId: string; decision: string; policyVersion: string; at: string }[] }[] }>('GET', '/api/profile/who-knows');
    expect(who.status).toBe(200);
    const entry = who.json.vendors.find((v) => v.vendor === vendor);
    expect(entry!.fields).toEqual([expect.objectContaining({ dataClass: 'address', taskId: 'task_test', decision: 'allow', policyVersion: t.broker.steward.policies.active().entry.version })]);
    expect(who.body).not.toContain('Analytical Way');

    const erasure = await t.call<{ requestId: string; vendor: string; dataClasses: string[] }>('POST', '/api/profile/erasure', { vendor });
    expect(erasure.status).toBe(201);
    expect(erasure.json).toMatchObject({ vendor, dataClasses: ['address'] });
    const audit = await t.call<{ entries: unknown[] }>('GET', `/api/audit?type=erasure.requested&vendor=${encodeURIComponent(vendor)}`);
    expect(audit.json.entries).toHaveLength(1);

    const nothing = await t.call('POST', '/api/profile/erasure', { vendor: 'https://never-shared.example' });
    expect(nothing.status).toBe(400);
    expect(nothing.json.code).toBe('ERR_PROFILE_REQUEST_INVALID');
  });
});

describe('spending API', () => {
  it('shows each budget with what its window holds and a daily series', async () => {
    const before = await t.call<{ budgets: { id: string; limit: { amountMinor: number }; spent: { amountMinor: number; currency: string }; window: string }[]; series: { day: string; amountMinor: number; currency: string }[] }>('GET', '/api/spending');
    expect(before.status).toBe(200);
    expect(before.json.budgets.map((b) => b.id)).toEqual(['per-order', 'groceries-month', 'per-vendor-day', 'spending-month']);
    const vendorDayBefore = before.json.budgets.find((b) => b.id === 'per-vendor-day')!.spent.amountMinor;
    const monthBefore = before.json.budgets.find((b) => b.id === 'groceries-month')!.spent.amountMinor;

    // A real reservation through the ledger, as an allowed order would make.
    const steward = t.broker.steward;
    const request = parsePolicyRequest({
      ...TEST_REQUEST_DEFAULTS,
      action: 'order',
      category: 'groceries',
      amount: { amountMinor: 4210, currency: 'USD' },
      time: new Date(steward.clock.now()).toISOString(),
    });
    const reserved = steward.ledger.decideAndReserve(steward.policies.active().policy, request);
    expect(reserved.reservation).toBeDefined();

    const after = await t.call<typeof before.json>('GET', '/api/spending');
    const b = new Map(after.json.budgets.map((x) => [x.id, x]));
    expect(b.get('groceries-month')!.spent).toEqual({ amountMinor: monthBefore + 4210, currency: 'USD' });
    expect(b.get('groceries-month')!.limit.amountMinor).toBe(60000);
    expect(b.get('per-order')!.spent.amountMinor).toBe(0);
    // The budget for each vendor on its own shows the vendor closest to its limit.
    expect(b.get('per-vendor-day')!.spent.amountMinor).toBe(Math.max(vendorDayBefore, 4210));
    expect(b.get('per-vendor-day')).toMatchObject({ eachVendor: true, window: 'calendar day' });
    expect(b.get('groceries-month')!.window).toBe('calendar month');
    expect(after.json.series).toHaveLength(30);
    const today = after.json.series.at(-1)!;
    expect(today.amountMinor - before.json.series.at(-1)!.amountMinor).toBe(4210);
    expect(after.json.series.slice(0, -1).reduce((s, d) => s + d.amountMinor, 0)).toBe(before.json.series.slice(0, -1).reduce((s, d) => s + d.amountMinor, 0));
    expect(new Set(after.json.series.map((d) => d.day)).size).toBe(30);

    const bad = await t.call('GET', '/api/spending?days=500');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('keys and OpenAPI', () => {
  it('lists public keys only', async () => {
    const res = await t.call<{ keys: { kid: string; purpose: string; status: string; createdAt: string; publicJwk: Record<string, unknown> }[] }>('GET', '/api/keys');
    expect(res.status).toBe(200);
    expect(new Set(res.json.keys.map((k) => k.purpose))).toEqual(new Set(['broker', 'user']));
    for (const k of res.json.keys) {
      expect(k.status).toBe('active');
      expect(Date.parse(k.createdAt)).not.toBeNaN();
      expect(k.publicJwk).not.toHaveProperty('d');
    }
    expect(res.body).not.toContain('"d":');
  });

  it('serves the OpenAPI document at /docs/json naming every route, and the browsable docs at /docs', async () => {
    const doc = await t.call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs/json', undefined, { token: null });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/audit',
      '/api/audit/{index}',
      '/api/audit/{index}/proof',
      '/api/audit/checkpoint',
      '/api/audit/consistency',
      '/api/audit/export',
      '/api/policies/apply',
      '/api/policies/dry-run',
      '/api/vendors/revoke',
      '/api/provenance/vendor',
      '/api/spending',
      '/api/profile/{id}',
      '/api/keys',
      '/api/tasks/{taskId}/order',
    ]) {
      expect(doc.json.paths, path).toHaveProperty([path]);
    }
    // Every /api route the document names refuses a request without the token, before anything else.
    const operations = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x1')] as const));
    expect(operations.length).toBeGreaterThan(35);
    for (const [method, url] of operations) {
      const res = await t.call(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, { token: null });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.json.code).toBe('ERR_AUTH_MISSING');
    }
    const html = await t.call('GET', '/docs/', undefined, { token: null });
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
  });
});
