import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEvent, FixedClock } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, PolicyVersions } from '../src/index.ts';

const V1 =
  'version: 1\nname: home\ntimezone: UTC\nrules:\n  - id: allow-orders\n    effect: allow\n    when: { action: order }\n';
const V2 = V1.replace('effect: allow', 'effect: ask');

let dir: string;
let store: Store;
const clock = new FixedClock(Date.parse('2026-03-10T12:00:00Z'));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-versions-'));
  store = openStore(join(dir, 'steward.db'), { migrations: { policy: MIGRATIONS } });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PolicyVersions', () => {
  it('compiles each version once, and sees a version applied by another connection at the next read', () => {
    const versions = new PolicyVersions(store, { clock });
    versions.apply(V1, { file: 'home.yaml', message: 'first' });
    const first = versions.active().policy;
    expect(versions.active().policy).toBe(first);
    // Another process (the CLI) applies a new version through its own connection.
    const other = openStore(join(dir, 'steward.db'), { migrations: { policy: MIGRATIONS } });
    new PolicyVersions(other, { clock }).apply(V2, { file: 'home.yaml', message: 'from the cli' });
    other.close();
    const second = versions.active();
    expect(second.policy).not.toBe(first);
    expect(second.entry.message).toBe('from the cli');
    expect(second.policy.version).not.toBe(first.version);
  });

  it('has no active policy until one is applied', () => {
    expect(() => new PolicyVersions(store).active()).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_NO_ACTIVE' }),
    );
  });

  it('applies, lists history newest first, and returns the audit event', () => {
    const versions = new PolicyVersions(store, { clock });
    const a = versions.apply(V1, { file: 'home.yaml', message: 'first' });
    const b = versions.apply(V2, { file: 'home.yaml', message: 'ask for every order' });
    expect(AuditEvent.parse(b.event)).toEqual(b.event);
    expect(b.event).toMatchObject({
      type: 'policy.applied',
      policyVersion: b.policy.version,
      data: { previousVersion: a.policy.version, seq: 2 },
    });
    expect(versions.history().map((e) => [e.seq, e.message, e.kind])).toEqual([
      [2, 'ask for every order', 'apply'],
      [1, 'first', 'apply'],
    ]);
    expect(versions.active().entry.version).toBe(b.policy.version);
    expect(versions.get(a.policy.version.slice(0, 8)).source).toBe(V1);
  });

  it('never activates a broken policy', () => {
    const versions = new PolicyVersions(store, { clock });
    versions.apply(V1, { message: 'first' });
    expect(() => versions.apply(V1.replace('effect: allow', 'efect: allow'), { message: 'typo' })).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_INVALID' }),
    );
    expect(versions.history()).toHaveLength(1);
    expect(versions.active().policy.source).toBe(V1);
  });

  it('diffs two versions as unified text', () => {
    const versions = new PolicyVersions(store, { clock });
    versions.apply(V1, { message: 'first' });
    versions.apply(V2, { message: 'second' });
    const diff = versions.diff(1, 2);
    expect(diff).toContain('-    effect: allow');
    expect(diff).toContain('+    effect: ask');
    expect(versions.diff(2, { source: V2 })).not.toContain('+    effect');
  });

  it('rolls back by applying the old version again, recorded as a rollback', () => {
    const versions = new PolicyVersions(store, { clock });
    const a = versions.apply(V1, { message: 'first' });
    versions.apply(V2, { message: 'second' });
    const back = versions.rollback(1, 'too strict');
    expect(back.event).toMatchObject({
      type: 'policy.rolled_back',
      policyVersion: a.policy.version,
      data: { restoredSeq: 1 },
    });
    expect(back.entry).toMatchObject({ seq: 3, kind: 'rollback', restoredSeq: 1 });
    expect(versions.active().policy.version).toBe(a.policy.version);
    expect(() => versions.rollback(99)).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_VERSION_NOT_FOUND' }),
    );
  });

  it('keeps a shadow file apart from the enforced policy', () => {
    const versions = new PolicyVersions(store, { clock });
    versions.apply(V1, { message: 'first' });
    versions.apply(V2.replace('name: home', 'name: trial\nshadow: true'), { message: 'try asking' });
    expect(versions.active().policy.name).toBe('home');
    expect(versions.shadow()?.policy.name).toBe('trial');
    versions.apply(V1, { message: 'again' });
    expect(versions.shadow()).toBeUndefined();
  });
});
