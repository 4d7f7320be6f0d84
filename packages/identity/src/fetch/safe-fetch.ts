import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { parseJson } from '@steward/protocol';
import { IdentityError } from '../errors.ts';

/** Limits of a guarded fetch. */
export interface SafeFetchOptions {
  /**
   * Development only: allow loopback and private addresses and plain http (the demo vendor
   * world runs on 127.0.0.1). Never set in production.
   */
  allowPrivate?: boolean;
  /** Largest body in bytes. Default 256 KiB. */
  maxBytes?: number;
  /** Whole-request time limit. Default 5000 ms. */
  timeoutMs?: number;
}

// Two lists: Node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too.
const refused4 = new BlockList();
const refused6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  refused4.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  refused6.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, shared, documentation, multicast, reserved and IPv4-mapped addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return refused4.check(address, 'ipv4');
  // Every IPv4-mapped address (::ffff:0:0/96) is refused whatever it maps to.
  if (family === 6) return refused6.check(address, 'ipv6');
  return true;
}

function checkAddress(address: string, host: string, allowPrivate: boolean): void {
  if (!allowPrivate && isPrivateAddress(address)) {
    throw new IdentityError('ERR_FETCH_ADDRESS_REFUSED', `\`${host}\` resolves to \`${address}\`, a private or loopback address`, { details: { host, address } });
  }
}

/**
 * Resolves DNS and checks every resolved address before connecting; the socket connects to the
 * checked address, so a rebinding answer between check and connect cannot slip through.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      try {
        if (addresses.length === 0) throw new IdentityError('ERR_FETCH_FAILED', `\`${hostname}\` has no address`);
        for (const a of addresses) checkAddress(a.address, hostname, allowPrivate);
      } catch (error) {
        return callback(error as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Fetches a small document from a vendor origin with SSRF guards: https only (http only with
 * the development flag), DNS resolved and every address checked (private and loopback refused
 * unless allowed), no redirects, a byte cap and a whole-request time cap.
 */
export function fetchGuarded(url: string, options: SafeFetchOptions = {}): Promise<{ status: number; contentType: string; body: Buffer }> {
  const allowPrivate = options.allowPrivate === true;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const timeoutMs = options.timeoutMs ?? 5000;
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    return Promise.reject(new IdentityError('ERR_FETCH_SCHEME_REFUSED', `\`${url}\` is not a url`, { cause }));
  }
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && allowPrivate)) {
    return Promise.reject(new IdentityError('ERR_FETCH_SCHEME_REFUSED', `\`${target.protocol}\` is refused; vendor documents are fetched over https`, { details: { url } }));
  }
  if (target.username || target.password) return Promise.reject(new IdentityError('ERR_FETCH_SCHEME_REFUSED', 'urls with credentials are refused'));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowPrivate && isPrivateAddress(host)) {
    return Promise.reject(new IdentityError('ERR_FETCH_ADDRESS_REFUSED', `\`${host}\` is a private or loopback address`, { details: { host, address: host } }));
  }
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: { status: number; contentType: string; body: Buffer }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else resolvePromise(value!);
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      { method: 'GET', headers: { accept: 'application/json', 'accept-encoding': 'identity' }, lookup: guardedLookup(allowPrivate), agent: false },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          return finish(new IdentityError('ERR_FETCH_REDIRECT_REFUSED', `\`${url}\` redirects (${status}); redirects are never followed`, { details: { url, status } }));
        }
        if (status !== 200) {
          res.resume();
          return finish(new IdentityError('ERR_FETCH_FAILED', `\`${url}\` answered ${status}`, { details: { url, status } }));
        }
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > maxBytes) return finish(new IdentityError('ERR_FETCH_TOO_LARGE', `\`${url}\` is larger than ${maxBytes} bytes`, { details: { url, maxBytes } }));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return finish(new IdentityError('ERR_FETCH_TOO_LARGE', `\`${url}\` is larger than ${maxBytes} bytes`, { details: { url, maxBytes } }));
          chunks.push(chunk);
        });
        res.on('end', () => finish(null, { status, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
        res.on('error', (cause) => finish(new IdentityError('ERR_FETCH_FAILED', `\`${url}\` failed while reading`, { cause })));
      },
    );
    const timer = setTimeout(() => finish(new IdentityError('ERR_FETCH_TIMEOUT', `\`${url}\` took longer than ${timeoutMs} ms`, { details: { url, timeoutMs } })), timeoutMs);
    req.on('error', (cause) => finish(cause instanceof IdentityError ? cause : new IdentityError('ERR_FETCH_FAILED', `\`${url}\` cannot be fetched`, { cause, details: { url } })));
    req.end();
  });
}

/** {@link fetchGuarded} and a safe JSON parse of the body (size, depth, prototype keys). */
export async function fetchJsonGuarded(url: string, options: SafeFetchOptions = {}): Promise<unknown> {
  const { body } = await fetchGuarded(url, options);
  try {
    return parseJson(body.toString('utf8'), { maxBytes: options.maxBytes ?? 256 * 1024, maxDepth: 32 });
  } catch (cause) {
    throw new IdentityError('ERR_FETCH_FAILED', `\`${url}\` did not return safe json`, { cause, details: { url } });
  }
}
