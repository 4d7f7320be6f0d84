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

/** The key file's name inside the data directory. */
export const KEY_FILE_NAME = 'steward.key';

/**
 * Where the key store's secret comes from, the same way for the broker and the CLI: the
 * `STEWARD_KEY_PASSPHRASE` variable when set, else the 0600 key file `<dataDir>/steward.key`.
 */
export function keyStoreSecretFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): { passphrase: string } | { keyFile: string } {
  const passphrase = env.STEWARD_KEY_PASSPHRASE;
  if (passphrase !== undefined && passphrase !== '') return { passphrase };
  return { keyFile: `${dataDir.replace(/\/+$/, '')}/${KEY_FILE_NAME}` };
}
