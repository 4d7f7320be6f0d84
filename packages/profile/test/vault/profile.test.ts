import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS, openProfile, type ProfileError } from '../../src/index.ts';
import { ALICE, fillAlice, harness, SHOP, tablePolicy, type Harness } from '../helpers.ts';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ProfileError).code;
  }
  return undefined;
}

describe('profile values', () => {
  it('stores several labelled values per class and reads them back', () => {
    h = harness();
    fillAlice(h.profile);
    expect(h.profile.get('address', 'home')?.value).toBe(ALICE.home);
    expect(h.profile.get('address', 'work')?.value).toBe(ALICE.work);
    expect(h.profile.get('phone')?.value).toBe(ALICE.phone);
    expect(h.profile.list('address').map((v) => v.label)).toEqual(['home', 'work']);
    expect(code(() => h!.profile.get('address'))).toBe('ERR_PROFILE_VALUE_AMBIGUOUS');
  });

  it('replaces a value in place and removes it, auditing each change without the value', () => {
    h = harness();
    const first = h.profile.set('phone', '+44 20 7946 0958');
    const second = h.profile.set('phone', ALICE.phone);
    expect(second.valueId).toBe(first.valueId);
    expect(h.profile.get('phone')?.value).toBe(ALICE.phone);
    h.profile.remove('phone');
    expect(h.profile.get('phone')).toBeUndefined();
    expect(code(() => h!.profile.remove('phone'))).toBe('ERR_PROFILE_VALUE_NOT_FOUND');
    expect(h.events.map((e) => [e.type, e.data?.action])).toEqual([
      ['profile.changed', 'added'],
      ['profile.changed', 'changed'],
      ['profile.changed', 'removed'],
    ]);
    expect(JSON.stringify(h.events)).not.toContain('555');
  });

  it('takes an edit back when the audit sink refuses it (ERR_PROFILE_AUDIT_FAILED)', () => {
    let refuse = false;
    h = harness({
      audit: () => {
        if (refuse) throw new Error('log full');
      },
    });
    h.profile.set('phone', ALICE.phone);
    refuse = true;
    expect(code(() => h!.profile.set('phone', '+44 20 7946 0958'))).toBe('ERR_PROFILE_AUDIT_FAILED');
    expect(h.profile.get('phone')?.value).toBe(ALICE.phone);
    expect(code(() => h!.profile.set('name', ALICE.name))).toBe('ERR_PROFILE_AUDIT_FAILED');
    expect(h.profile.get('name')).toBeUndefined();
    expect(code(() => h!.profile.remove('phone'))).toBe('ERR_PROFILE_AUDIT_FAILED');
    expect(h.profile.get('phone')?.value).toBe(ALICE.phone);
  });

  it('property: any value round-trips through encryption, normalised to trimmed NFC', () => {
    h = harness();
    const value = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 120 })
      // eslint-disable-next-line no-control-regex
      .filter((v) => v.trim().length > 0 && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v));
    fc.assert(
      fc.property(value, fc.constantFrom('home', 'work', 'x-1'), (v, label) => {
        h!.profile.set('preferences', v, label);
        expect(h!.profile.get('preferences', label)?.value).toBe(v.normalize('NFC').trim());
      }),
      { numRuns: 60 },
    );
  });

  it('property: relay addresses are stable per vendor and differ across vendors and keys', () => {
    h = harness();
    const other = harness();
    try {
      fc.assert(
        fc.property(fc.domain(), fc.domain(), (a, b) => {
          const va = `https://${a}`;
          const vb = `https://${b}`;
          expect(h!.profile.relayAddress(va)).toBe(h!.profile.relayAddress(va));
          expect(h!.profile.relayAddress(va)).not.toBe(other.profile.relayAddress(va));
          if (new URL(va).origin !== new URL(vb).origin) expect(h!.profile.relayAddress(va)).not.toBe(h!.profile.relayAddress(vb));
        }),
        { numRuns: 100 },
      );
    } finally {
      other.close();
    }
  });

  it('rejects malformed values, labels and classes with ERR_PROFILE_VALUE_INVALID', () => {
    h = harness();
    expect(code(() => h!.profile.set('email', 'not an email'))).toBe('ERR_PROFILE_VALUE_INVALID');
    expect(code(() => h!.profile.set('phone', '12345'))).toBe('ERR_PROFILE_VALUE_INVALID');
    expect(code(() => h!.profile.set('birth_date', '1990-02-30'))).toBe('ERR_PROFILE_VALUE_INVALID');
    expect(code(() => h!.profile.set('name', 'x'.repeat(501)))).toBe('ERR_PROFILE_VALUE_INVALID');
    expect(code(() => h!.profile.set('name', 'Alice', 'Home Address'))).toBe('ERR_PROFILE_VALUE_INVALID');
    expect(code(() => h!.profile.set('ssn' as never, '1'))).toBe('ERR_PROFILE_VALUE_INVALID');
    try {
      h.profile.set('email', 'secret-value-not-an-email');
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-value');
    }
  });

  it('refuses a data key of the wrong length or a different key for the same file', () => {
    h = harness();
    h.profile.set('name', ALICE.name);
    expect(code(() => openProfile(h!.store, { dataKey: new Uint8Array(16) }))).toBe('ERR_PROFILE_KEY_INVALID');
    expect(code(() => openProfile(h!.store, { dataKey: new Uint8Array(randomBytes(32)) }))).toBe('ERR_PROFILE_KEY_MISMATCH');
    expect(openProfile(h.store, { dataKey: h.dataKey }).get('name')?.value).toBe(ALICE.name);
  });

  it('detects a ciphertext moved to another row (value id and class are associated data)', () => {
    h = harness();
    h.profile.set('address', ALICE.home, 'home');
    h.profile.set('address', ALICE.work, 'work');
    const rows = h.store.db.prepare('SELECT value_id, nonce, ciphertext FROM profile_values ORDER BY label').all() as { value_id: string; nonce: Buffer; ciphertext: Buffer }[];
    const [home, work] = rows as [(typeof rows)[0], (typeof rows)[0]];
    h.store.db.prepare('UPDATE profile_values SET nonce = ?, ciphertext = ? WHERE value_id = ?').run(work.nonce, work.ciphertext, home.value_id);
    expect(code(() => h!.profile.get('address', 'home'))).toBe('ERR_PROFILE_DECRYPT_FAILED');
    h.store.db.prepare('UPDATE profile_values SET nonce = ?, ciphertext = ?, data_class = ? WHERE value_id = ?').run(work.nonce, work.ciphertext, 'name', work.value_id);
    expect(code(() => h!.profile.get('name'))).toBe('ERR_PROFILE_DECRYPT_FAILED');
  });

  it('regression: the database file and its WAL hold no plaintext personal value', async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, email: { order: 'allow' }, phone: { order: 'allow' }, address: { delivery: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name', 'email', 'phone', { dataClass: 'address', label: 'home', purpose: 'delivery' }] });
    const values = [ALICE.name, ALICE.email, ALICE.phone, ALICE.home, ALICE.work, ALICE.birth, ALICE.card, ALICE.dietary, ALICE.passport];
    const needles = [
      ...values,
      ...values.map((v) => v.toLowerCase()),
      'Lilas',
      'Baker Street',
      '4155550134',
      '555-0134',
      '4111 1111',
      'Martin',
      'coeliac',
      'X1234567',
    ];
    const grep = (): string[] => {
      const files = [h!.dbPath, `${h!.dbPath}-wal`].filter((f) => existsSync(f));
      expect(files.length).toBeGreaterThan(0);
      const hay = Buffer.concat(files.map((f) => readFileSync(f)));
      return needles.filter((n) => hay.includes(Buffer.from(n, 'utf8')) || hay.includes(Buffer.from(n, 'utf16le')));
    };
    // While open (data still in the WAL) and after a checkpoint into the main file.
    expect(existsSync(`${h.dbPath}-wal`)).toBe(true);
    expect(grep()).toEqual([]);
    h.store.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(grep()).toEqual([]);
    // The values are really there, just encrypted.
    const reopened = openStore(h.dbPath, { migrations: { profile: MIGRATIONS } });
    try {
      expect(openProfile(reopened, { dataKey: h.dataKey }).get('address', 'home')?.value).toBe(ALICE.home);
    } finally {
      reopened.close();
    }
  });
});
