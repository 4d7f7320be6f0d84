import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStewardError } from '@steward/protocol';
import { exportPrivateJwk, generateSigningKey, importSigningKey, type SigningKey } from '@steward/identity';
import { VendorsError } from '../errors.ts';

/**
 * The signing key of one party of the demo world (a vendor or the registry): loaded from
 * `<dataDir>/keys/<name>.jwk.json` when it exists, else generated and written there with mode
 * 0600, so identities stay stable across restarts. Without `dataDir` the key lives in memory.
 */
export function loadOrCreateKey(dataDir: string | undefined, name: string): SigningKey {
  if (dataDir === undefined) return generateSigningKey();
  if (!/^[a-z0-9-]{1,64}$/.test(name)) throw new VendorsError('ERR_WORLD_CONFIG_INVALID', `key name \`${name}\` is not a short lowercase id`);
  const dir = join(dataDir, 'keys');
  const path = join(dir, `${name}.jwk.json`);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0 && process.platform !== 'win32') {
      throw new VendorsError('ERR_WORLD_KEYFILE_INSECURE', `key file \`${path}\` is readable by others (mode ${mode.toString(8)}); run \`chmod 600\` on it`, {
        details: { path, mode: mode.toString(8) },
      });
    }
    try {
      return importSigningKey(JSON.parse(readFileSync(path, 'utf8')));
    } catch (cause) {
      throw new VendorsError('ERR_WORLD_KEYFILE_INVALID', `key file \`${path}\` does not hold a private Ed25519 or P-256 jwk`, {
        cause,
        details: { path, ...(isStewardError(cause) ? { reason: cause.code } : {}) },
      });
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = generateSigningKey();
  writeFileSync(path, `${JSON.stringify(exportPrivateJwk(key))}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
