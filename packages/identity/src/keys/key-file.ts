import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdentityError } from '../errors.ts';

/**
 * Creates a key file of 32 random bytes (base64) with mode 0600 if none exists. Returns true
 * when it created one.
 */
export function ensureKeyFile(path: string): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return true;
}

/**
 * Reads a key file: refuses one that group or others can read or write (it protects every
 * private key), or that holds fewer than 32 bytes.
 */
export function readKeyFile(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (cause) {
    throw new IdentityError('ERR_KEYSTORE_SECRET_MISSING', `key file \`${path}\` cannot be read`, { cause, details: { path } });
  }
  if ((mode & 0o077) !== 0 && process.platform !== 'win32') {
    throw new IdentityError('ERR_KEYSTORE_KEYFILE_INSECURE', `key file \`${path}\` is readable by others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600\` on it`, {
      details: { path, mode: (mode & 0o777).toString(8) },
    });
  }
  const bytes = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (bytes.length < 32) throw new IdentityError('ERR_KEYSTORE_SECRET_MISSING', `key file \`${path}\` holds fewer than 32 bytes`, { details: { path } });
  return bytes;
}
