import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoBroker, type DemoBroker } from './helpers/demo-broker.ts';
import { GROCERY_TASK } from './helpers/task.ts';

let t: DemoBroker;
const DEFAULT_YAML = readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8');

beforeAll(async () => {
  t = await startDemoBroker('api-policies');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** The default policy with one more rule: never contact `origin`. */
const withBlockedVendor = (origin: string) =>
  DEFAULT_YAML.replace(
    '  - id: ask-enrol\n',
    `  - id: block-vendor\n    effect: deny\n    when: { action: contact_vendor, vendor: { origin: "${origin}" } }\n    reason: you blocked this vendor\n  - id: ask-enrol\n`,
  );

interface Issue {
  line: number;
  column: number;
  path: string;
  message: string;
}

describe('policies API', () => {
  it('refuses without the token', async () => {
    for (const [method, url] of [
      ['GET', '/api/policies/active'],
      ['POST', '/api/policies/validate'],
      ['POST', '/api/policies/apply'],
      ['GET', '/api/policies/history'],
    ] as const) {
      const res = await t.call(method, url, method === 'POST' ? { yaml: 'x' } : undefined, { token: null });
      expect(res.status, url).toBe(401);
      expect(res.json.code).toBe('ERR_AUTH_MISSING');
    }
  });

  it('serves the active policy and the JSON Schema', async () => {
    const active = await t.call<{ version: string; yaml: string; appliedAt: string; message: string; hash: string }>('GET', '/api/policies/active');
    expect(active.status).toBe(200);
    expect(active.json.version).toBe('1');
    expect(active.json.yaml).toBe(DEFAULT_YAML);
    expect(active.json.hash).toBe(t.broker.steward.policies.active().entry.version);
    const schema = await t.call<{ type?: string; properties?: Record<string, unknown> }>('GET', '/api/policies/schema');
    expect(schema.status).toBe(200);
    expect(schema.json.properties).toHaveProperty('rules');
  });

  it('validate locates problems by line and column and never applies', async () => {
    const broken = DEFAULT_YAML.replace('effect: ask\n    when:\n      action: [order, recurring]\n      amount', 'effect: maybe\n    when:\n      action: [order, recurring]\n      amount');
    expect(broken).not.toBe(DEFAULT_YAML);
    const res = await t.call<{ ok: boolean; issues: Issue[] }>('POST', '/api/policies/validate', { yaml: broken });
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(false);
    const issue = res.json.issues.find((i) => i.path.endsWith('effect'));
    expect(issue, JSON.stringify(res.json.issues)).toBeDefined();
    const line = broken.split('\n').findIndex((l) => l.includes('effect: maybe')) + 1;
    expect(issue!.line).toBe(line);
    expect(issue!.column).toBeGreaterThan(0);

    const syntax = await t.call<{ ok: boolean; issues: Issue[] }>('POST', '/api/policies/validate', { yaml: 'version: 1\nname: x\nrules: [\n  - id: a\n' });
    expect(syntax.json.ok).toBe(false);
    expect(syntax.json.issues[0]!.line).toBeGreaterThan(0);

    const good = await t.call('POST', '/api/policies/validate', { yaml: DEFAULT_YAML });
    expect(good.json).toEqual({ ok: true });
    expect(t.broker.steward.policies.history()).toHaveLength(1);
  });

  it('validate refuses a malformed body with 400', async () => {
    for (const body of [{}, { yaml: '' }, { yaml: 'a', extra: 1 }, { yaml: 5 }]) {
      const res = await t.call('POST', '/api/policies/validate', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('ERR_REQUEST_INVALID');
    }
  });

  it('test runs the file\'s own tests and names uncovered rules', async () => {
    const res = await t.call<{ passed: number; failed: number; results: { name: string; ok: boolean; expected: unknown; actual: { effect: string } }[]; uncovered: string[] }>('POST', '/api/policies/test', { yaml: DEFAULT_YAML });
    expect(res.status).toBe(200);
    expect(res.json.failed).toBe(0);
    expect(res.json.passed).toBe(res.json.results.length);
    expect(res.json.passed).toBeGreaterThan(10);
    expect(Array.isArray(res.json.uncovered)).toBe(true);

    const wrong = DEFAULT_YAML.replace('expect: { effect: allow, rules: [allow-orders] }', 'expect: { effect: deny, rules: [allow-orders] }');
    const failing = await t.call<{ failed: number; results: { ok: boolean; actual: { effect: string } }[] }>('POST', '/api/policies/test', { yaml: wrong });
    expect(failing.json.failed).toBe(1);
    expect(failing.json.results.find((r) => !r.ok)!.actual.effect).toBe('allow');

    const broken = await t.call<{ code: string; issues: unknown[] }>('POST', '/api/policies/test', { yaml: 'version: 1\nname: x\nrulez: []\n' });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe('ERR_POLICY_INVALID');
    expect(broken.json.issues.length).toBeGreaterThan(0);
  });

  it('the whole flow: broken is refused, fixed dry-runs against recorded decisions, apply, history, diff, rollback', async () => {
    const blocked = t.broker.demo!.vendors.find((v) => v.category === 'groceries')!.origin;
    // Record real decisions: a quote round contacts every grocery vendor.
    const task = await t.call<{ taskId: string }>('POST', '/api/tasks', GROCERY_TASK);
    expect(task.status).toBe(201);
    const quotes = await t.call<{ offers: { vendor: { origin: string } }[] }>('POST', `/api/tasks/${task.json.taskId}/quotes`);
    expect(quotes.json.offers.some((o) => o.vendor.origin === blocked)).toBe(true);

    // Broken: refused with located issues, nothing applied.
    const brokenYaml = withBlockedVendor(blocked).replace('effect: deny\n    when: { action: contact_vendor', 'effect: nope\n    when: { action: contact_vendor');
    const refused = await t.call<{ code: string; issues: { line: number; col: number }[] }>('POST', '/api/policies/apply', { yaml: brokenYaml, message: 'block a vendor' });
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json.code).toBe('ERR_POLICY_INVALID');
    expect(refused.json.issues[0]!.line).toBeGreaterThan(0);
    expect((await t.call<{ version: string }>('GET', '/api/policies/active')).json.version).toBe('1');

    // Fixed: the dry run shows the recorded contact with that vendor would now be refused.
    const fixed = withBlockedVendor(blocked);
    const dry = await t.call<{ compared: number; changed: { at: string; summary: string; before: string; after: string; reasons: string[] }[] }>('POST', '/api/policies/dry-run', { yaml: fixed });
    expect(dry.status).toBe(200);
    expect(dry.json.compared).toBeGreaterThan(0);
    const change = dry.json.changed.find((c) => c.summary.includes(blocked));
    expect(change, JSON.stringify(dry.json)).toBeDefined();
    expect(change).toMatchObject({ before: 'allow', after: 'deny' });
    expect(change!.reasons.join(' ')).toContain('you blocked this vendor');
    expect(dry.json.changed.every((c) => c.summary.includes(blocked))).toBe(true);
    // The unchanged default policy changes nothing.
    expect((await t.call<{ changed: unknown[] }>('POST', '/api/policies/dry-run', { yaml: DEFAULT_YAML })).json.changed).toEqual([]);

    // A policy whose own tests fail is not applied.
    const failingTests = fixed.replace('expect: { effect: allow, rules: [allow-orders] }', 'expect: { effect: deny, rules: [allow-orders] }');
    const testsFailed = await t.call('POST', '/api/policies/apply', { yaml: failingTests, message: 'x' });
    expect(testsFailed.status).toBe(422);
    expect(testsFailed.json.code).toBe('ERR_POLICY_TESTS_FAILED');

    const applied = await t.call<{ version: string; hash: string }>('POST', '/api/policies/apply', { yaml: fixed, message: 'block a vendor' });
    expect(applied.status).toBe(200);
    expect(applied.json.version).toBe('2');
    const active = await t.call<{ version: string; yaml: string; message: string }>('GET', '/api/policies/active');
    expect(active.json).toMatchObject({ version: '2', yaml: fixed, message: 'block a vendor' });
    const audited = await t.call<{ entries: { event: { type: string; policyVersion?: string } }[] }>('GET', '/api/audit?type=policy.applied&limit=1');
    expect(audited.json.entries[0]!.event.policyVersion).toBe(applied.json.hash);
    // The new policy is enforced: the next quote round does not contact the blocked vendor.
    const task2 = await t.call<{ taskId: string }>('POST', '/api/tasks', GROCERY_TASK);
    const quotes2 = await t.call<{ offers: { vendor: { origin: string } }[] }>('POST', `/api/tasks/${task2.json.taskId}/quotes`);
    expect(quotes2.json.offers.length).toBeGreaterThan(0);
    expect(quotes2.json.offers.some((o) => o.vendor.origin === blocked)).toBe(false);

    const history = await t.call<{ versions: { version: string; active: boolean }[] }>('GET', '/api/policies/history');
    expect(history.json.versions.map((v) => [v.version, v.active])).toEqual([
      ['2', true],
      ['1', false],
    ]);
    const diff = await t.call<{ diff: string }>('GET', '/api/policies/diff?from=1&to=2');
    expect(diff.json.diff).toContain('+  - id: block-vendor');
    expect((await t.call<{ diff: string }>('GET', '/api/policies/diff?from=1')).json.diff).toBe(diff.json.diff);

    const rolled = await t.call<{ version: string; kind: string; restoredVersion: string }>('POST', '/api/policies/rollback', { version: '1', message: 'undo the block' });
    expect(rolled.status).toBe(200);
    expect(rolled.json).toMatchObject({ version: '3', kind: 'rollback', restoredVersion: '1' });
    expect((await t.call<{ yaml: string }>('GET', '/api/policies/active')).json.yaml).toBe(DEFAULT_YAML);
    const rollbackEvent = await t.call<{ entries: { event: { type: string } }[] }>('GET', '/api/audit?type=policy.rolled_back');
    expect(rollbackEvent.json.entries).toHaveLength(1);
  });

  it('answers 404 for unknown versions and 400 for malformed references', async () => {
    const missing = await t.call('POST', '/api/policies/rollback', { version: '99' });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('ERR_POLICY_VERSION_NOT_FOUND');
    const diff = await t.call('GET', '/api/policies/diff?from=98&to=1');
    expect(diff.status).toBe(404);
    expect(diff.json.code).toBe('ERR_POLICY_VERSION_NOT_FOUND');
    const bad = await t.call('POST', '/api/policies/rollback', { version: 'ab' });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ERR_REQUEST_INVALID');
    const noMessage = await t.call('POST', '/api/policies/apply', { yaml: DEFAULT_YAML });
    expect(noMessage.status).toBe(400);
  });
});
