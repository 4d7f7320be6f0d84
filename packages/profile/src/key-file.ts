import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileError } from './errors.ts';

/** The key file's name in the data directory. */
export const PROFILE_KEY_FILE = 'profile.key';

/**
 * Loads the profile data key from `<dataDir>/profile.key`, creating it (32 random bytes, base64url,
 * mode 0600, exclusive create) on first use. Used by the CLI; the broker passes a key derived from
 * its key store instead. A key file readable by others fails with `ERR_PROFILE_KEY_FILE_INSECURE`.
 */
export function loadProfileKeyFile(dataDir: string): Uint8Array {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, PROFILE_KEY_FILE);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('base64url')}\n`);
    } finally {
      closeSync(fd);
    }
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
  fd = openSync(path, 'r');
  try {
    const mode = fstatSync(fd).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new ProfileError('ERR_PROFILE_KEY_FILE_INSECURE', `key file \`${path}\` is readable by other users; run \`chmod 600 ${path}\``, {
        details: { path, mode: (mode & 0o777).toString(8) },
      });
    }
    const text = readFileSync(fd, 'utf8').trim();
    const key = Buffer.from(text, 'base64url');
    if (key.byteLength !== 32 || key.toString('base64url') !== text) {
      throw new ProfileError('ERR_PROFILE_KEY_INVALID', `key file \`${path}\` does not hold a 32-byte base64url key`, { details: { path } });
    }
    return new Uint8Array(key);
  } finally {
    closeSync(fd);
  }
}
