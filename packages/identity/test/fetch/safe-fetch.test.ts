import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchGuarded, fetchJsonGuarded, isPrivateAddress } from '../../src/fetch/safe-fetch.ts';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
}

describe('guarded fetch', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') return res.end('{"a":1}');
      if (req.url === '/redirect') {
        res.statusCode = 302;
        res.setHeader('location', 'http://169.254.169.254/latest/meta-data');
        return res.end();
      }
      if (req.url === '/big') return res.end('x'.repeat(2048));
      if (req.url === '/stream') {
        res.write('x'.repeat(600));
        res.write('x'.repeat(600));
        return res.end();
      }
      if (req.url === '/proto') return res.end('{"__proto__":{"admin":true}}');
      if (req.url === '/hang') return; // never answers
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1', '224.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('fetches from loopback only with the development flag', async () => {
    expect(await fetchJsonGuarded(`${base}/ok`, { allowPrivate: true })).toEqual({ a: 1 });
    expect(await codeOf(fetchGuarded(`${base}/ok`))).toBe('ERR_FETCH_SCHEME_REFUSED');
    expect(await codeOf(fetchGuarded(base.replace('http:', 'https:') + '/ok'))).toBe('ERR_FETCH_ADDRESS_REFUSED');
    expect(await codeOf(fetchGuarded('https://[::1]/ok'))).toBe('ERR_FETCH_ADDRESS_REFUSED');
    expect(await codeOf(fetchGuarded('https://[::ffff:127.0.0.1]/ok'))).toBe('ERR_FETCH_ADDRESS_REFUSED');
    expect(await codeOf(fetchGuarded('https://169.254.169.254/latest'))).toBe('ERR_FETCH_ADDRESS_REFUSED');
  });

  it('resolves DNS and checks the resolved address (localhost → 127.0.0.1)', async () => {
    const port = (server.address() as AddressInfo).port;
    expect(await codeOf(fetchGuarded(`https://localhost:${port}/ok`))).toBe('ERR_FETCH_ADDRESS_REFUSED');
    expect(await fetchJsonGuarded(`http://localhost:${port}/ok`, { allowPrivate: true })).toEqual({ a: 1 });
  });

  it('never follows redirects', async () => {
    expect(await codeOf(fetchGuarded(`${base}/redirect`, { allowPrivate: true }))).toBe('ERR_FETCH_REDIRECT_REFUSED');
  });

  it('caps size, declared or streamed', async () => {
    expect(await codeOf(fetchGuarded(`${base}/big`, { allowPrivate: true, maxBytes: 1024 }))).toBe('ERR_FETCH_TOO_LARGE');
    expect(await codeOf(fetchGuarded(`${base}/stream`, { allowPrivate: true, maxBytes: 1000 }))).toBe('ERR_FETCH_TOO_LARGE');
  });

  it('caps time', async () => {
    expect(await codeOf(fetchGuarded(`${base}/hang`, { allowPrivate: true, timeoutMs: 100 }))).toBe('ERR_FETCH_TIMEOUT');
  });

  it('refuses other schemes, credentials in urls, errors and poisoned json', async () => {
    expect(await codeOf(fetchGuarded('file:///etc/passwd', { allowPrivate: true }))).toBe('ERR_FETCH_SCHEME_REFUSED');
    expect(await codeOf(fetchGuarded(`http://user:pw@127.0.0.1/ok`, { allowPrivate: true }))).toBe('ERR_FETCH_SCHEME_REFUSED');
    expect(await codeOf(fetchGuarded(`${base}/missing`, { allowPrivate: true }))).toBe('ERR_FETCH_FAILED');
    expect(await codeOf(fetchJsonGuarded(`${base}/proto`, { allowPrivate: true }))).toBe('ERR_FETCH_FAILED');
  });
});
