import { createHmac, sign as cryptoSign } from 'node:crypto';
import type { SigningKey } from '@steward/identity';

const b64u = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/**
 * Builds a compact JWS with an arbitrary header, for attacks identity's signer rightly refuses to
 * produce (`alg: none`, HS256, `jku`). Never used by an honest vendor.
 */
export function rawCompactJws(header: Record<string, unknown>, payload: string, how: { key: SigningKey } | { hmacSecret: string } | 'none'): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(payload)}`;
  if (how === 'none') return `${input}.`;
  if ('hmacSecret' in how) return `${input}.${createHmac('sha256', how.hmacSecret).update(input).digest('base64url')}`;
  return `${input}.${cryptoSign(null, Buffer.from(input, 'ascii'), how.key.privateKey).toString('base64url')}`;
}
