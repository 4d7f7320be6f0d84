import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServerError } from './errors.ts';

/** The person's bearer token and whether this start created it. */
export interface TokenInfo {
  token: string;
  created: boolean;
  file: string;
}

/**
 * Returns the bearer token, creating it at first start (32 random bytes, base64url) in a file only
 * the owner can read (0600). A token file readable by others is refused, not silently used.
 */
export function ensureToken(file: string): TokenInfo {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ServerError(
        'ERR_TOKEN_FILE_UNSAFE',
        `token file \`${file}\` is readable by other users (mode ${mode.toString(8)}); run \`chmod 600 ${file}\` or delete it to make a new token`,
        { details: { file, mode: mode.toString(8) } },
      );
    }
    const token = readFileSync(file, 'utf8').trim();
    if (!/^[A-Za-z0-9_-]{32,}$/.test(token)) {
      throw new ServerError('ERR_CONFIG_INVALID', `token file \`${file}\` does not hold a token; delete it to make a new one`, {
        details: { file },
      });
    }
    return { token, created: false, file };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // 'wx' fails if another process created it meanwhile; mode applies at creation.
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, token + '\n');
  } finally {
    closeSync(fd);
  }
  return { token, created: true, file };
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
