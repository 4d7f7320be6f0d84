import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, DataClass, Decision } from '@steward/protocol';
import { openAuditLog, MIGRATIONS as AUDIT_MIGRATIONS } from '@steward/audit';
import { openStore } from '@steward/store';
import { MIGRATIONS, loadProfileKeyFile, openProfile } from '@steward/profile';
import { useCliHarness } from './support/harness.ts';

const h = useCliHarness('profile');
const run = h.run;

const allow = (relay: DataClass[] = []): Decision => ({
  effect: 'allow',
  determiningRules: ['test.allow'],
  reasons: [{ ruleId: 'test.allow', effect: 'allow', message: 'allowed in this test' }],
  obligations: { redact: [], relay },
  remedies: [],
  errors: [],
  policyVersion: 'v1',
  decidedAt: '2026-11-26T10:00:00Z',
});

describe('steward profile', () => {
  it('sets, shows masked or revealed, and removes values, with a 0600 key file created on first use', async () => {
    expect((await run('set', 'phone', '+1 415 555 0134')).code).toBe(0);
    expect((await run('set', 'address', '12 Rue des Lilas, 75011 Paris', '--label', 'home')).code).toBe(0);
    expect(statSync(join(h.ctx.dataDir, 'profile.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(h.ctx.dbPath).includes(Buffer.from('Lilas'))).toBe(false);

    const masked = await run('show');
    expect(masked.out).toContain('phone (primary): +');
    // Not the bare digits: the output carries timestamps, whose milliseconds may read 555 (flaky before).
    expect(masked.out).not.toContain('415 555');
    expect(masked.out).not.toContain('555 0134');
    expect(masked.out).not.toContain('Lilas');
    const revealed = await run('show', 'address', '--reveal', '--json');
    expect(JSON.parse(revealed.out)).toEqual([
      expect.objectContaining({
        dataClass: 'address',
        label: 'home',
        value: '12 Rue des Lilas, 75011 Paris',
      }),
    ]);

    expect((await run('remove', 'phone')).out).toContain('removed phone (primary)');
    expect((await run('show', 'phone')).out).toContain('no values stored');
  });

  it('prints coded errors for bad input and missing values', async () => {
    const bad = await run('set', 'ssn', '123');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('error ERR_PROFILE_VALUE_INVALID');
    const email = await run('set', 'email', 'not-an-email');
    expect(email.err).toContain('error ERR_PROFILE_VALUE_INVALID');
    expect(email.err).not.toContain('not-an-email');
    const missing = await run('remove', 'email');
    expect(missing.err).toContain('error ERR_PROFILE_VALUE_NOT_FOUND');
  });

  it('who-knows prints the per-vendor disclosure history from the ledger; the audit log holds the same events', async () => {
    await run('set', 'name', 'Alice Martin');
    await run('set', 'email', 'alice@example.com');
    const events: AuditEvent[] = [];
    const store = openStore(h.ctx.dbPath, { migrations: { profile: MIGRATIONS, audit: AUDIT_MIGRATIONS } });
    const log = openAuditLog(store);
    try {
      const p = openProfile(store, {
        dataKey: loadProfileKeyFile(h.ctx.dataDir),
        audit: (e) => {
          events.push(e);
          log.appendDurably(e);
        },
        decide: (req) => allow(req.dataClass === 'email' ? ['email'] : []),
      });
      await p.disclose({
        vendor: { origin: 'https://shop.example', verified: true },
        purpose: 'order',
        taskId: 'task-1',
        fields: ['name', 'email'],
      });
    } finally {
      log.close();
      store.close();
    }
    expect((await run('request-erasure', 'https://shop.example', 'name')).out).toMatch(
      /recorded erasure request era-[0-9a-f]+ to https:\/\/shop\.example for name/,
    );
    const text = await run('who-knows');
    expect(text.code).toBe(0);
    expect(text.out).toContain('https://shop.example');
    expect(text.out).toMatch(/name \(primary\): value, 1× for order, .*current/);
    expect(text.out).toMatch(/email \(primary\): relay address, 1× for order/);
    expect(text.out).toContain('erasure requested');
    expect(text.out).not.toContain('alice@example.com');
    const json = JSON.parse((await run('who-knows', 'https://shop.example', '--json')).out) as {
      vendor: string;
      fields: unknown[];
    }[];
    expect(json[0]?.fields).toHaveLength(2);
    expect(events.filter((e) => e.type === 'disclosure')).toHaveLength(2);
    // The audit log has every profile event: the CLI's edits and erasure request, the disclosures.
    const check = openStore(h.ctx.dbPath, { migrations: { audit: AUDIT_MIGRATIONS } });
    try {
      const logged = openAuditLog(check)
        .query({ order: 'asc', limit: 100 })
        .entries.map((e) => [e.event.type, e.event.data?.dataClass ?? null]);
      expect(logged).toEqual([
        ['profile.changed', 'name'],
        ['profile.changed', 'email'],
        ['disclosure', 'name'],
        ['disclosure', 'email'],
        ['erasure.requested', null],
      ]);
    } finally {
      check.close();
    }
    expect((await run('who-knows', 'https://other.example')).out).toContain(
      'no vendor has received anything',
    );
  });
});
