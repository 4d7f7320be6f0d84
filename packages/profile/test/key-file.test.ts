import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfileKeyFile, PROFILE_KEY_FILE } from '../src/index.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('loadProfileKeyFile', () => {
  it('creates a 32-byte key with mode 0600 on first use and returns the same key afterwards', () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-profile-key-'));
    const data = join(dir, 'data');
    const first = loadProfileKeyFile(data);
    expect(first.byteLength).toBe(32);
    expect(statSync(join(data, PROFILE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadProfileKeyFile(data)).equals(Buffer.from(first))).toBe(true);
  });

  it('refuses a key file others can read (ERR_PROFILE_KEY_FILE_INSECURE) and a malformed one (ERR_PROFILE_KEY_INVALID)', () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-profile-key-'));
    loadProfileKeyFile(dir);
    chmodSync(join(dir, PROFILE_KEY_FILE), 0o644);
    expect(() => loadProfileKeyFile(dir!)).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_KEY_FILE_INSECURE' }));
    writeFileSync(join(dir, PROFILE_KEY_FILE), 'too-short\n', { mode: 0o600 });
    chmodSync(join(dir, PROFILE_KEY_FILE), 0o600);
    expect(() => loadProfileKeyFile(dir!)).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_KEY_INVALID' }));
  });
});
