import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { EnrolledVendor } from '@steward/broker';
import { generateSigningKey } from '@steward/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { vendorAgent, vendorFetch } from '../src/transport.ts';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

/**
 * A raw HTTP/1.1 vendor that keeps connections alive, records each request's signature header and
 * connection, and, when told, closes a reused connection as the next request arrives without
 * answering (what a vendor closing an idle connection looks like to the broker).
 */
async function vendor(closeReused: boolean | 'hang') {
  const seen: Array<{ connection: number; signature: string }> = [];
  let connections = 0;
  server = createServer((socket) => {
    sockets.add(socket);
    const connection = ++connections;
    let served = 0;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.slice(end + 4 + length);
      seen.push({ connection, signature: /\r\nsignature: ([^\r]*)/i.exec(head)?.[1] ?? '' });
      if (closeReused === 'hang' && served > 0) return; // never answers
      if (closeReused && served > 0) return void socket.destroy();
      served++;
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\n{"ok":true}');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { enrolled: { origin, a2aUrl: `${origin}/a2a` } as EnrolledVendor, seen, connections: () => connections };
}

describe('vendor connections are pooled', () => {
  const key = generateSigningKey();

  it('reuses one connection for consecutive requests', async () => {
    const v = await vendor(false);
    const agent = vendorAgent(v.enrolled);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 }, agent);
    for (let i = 0; i < 3; i++) expect(await (await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: `{"n":${i}}` })).json()).toEqual({ ok: true });
    expect(v.seen.map((s) => s.connection)).toEqual([1, 1, 1]);
    agent.destroy();
  });

  it('sends the same signed request once more on a new connection when a reused one is closed before any answer', async () => {
    const v = await vendor(true);
    const agent = vendorAgent(v.enrolled);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 }, agent);
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":1}' })).status).toBe(200);
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":2}' })).status).toBe(200);
    // First request on connection 1; the second reached connection 1 (closed unanswered), then connection 2.
    expect(v.seen.map((s) => s.connection)).toEqual([1, 1, 2]);
    // The retry carries the very same signature: a vendor that did see the first refuses it as a replay.
    expect(v.seen[2]!.signature).toBe(v.seen[1]!.signature);
    expect(v.seen[1]!.signature).not.toBe(v.seen[0]!.signature);
    agent.destroy();
  });

  it('hands queued requests pooled connections without piling listeners on them (MaxListenersExceeded in the HTTP bench)', async () => {
    const v = await vendor(false);
    const agent = vendorAgent(v.enrolled);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 5000 }, agent);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      // Three waves of 40 at once: beyond the pool's 8 sockets, most wait in the agent's queue and get
      // a socket another request has just freed (its `reusedSocket` is false, its `connect` long past).
      for (let wave = 0; wave < 3; wave++) {
        const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: `{"n":${i}}` })));
        expect(answers.every((a) => a.status === 200)).toBe(true);
      }
      await new Promise((r) => setImmediate(r));
      expect(v.connections()).toBeLessThanOrEqual(3 * 8); // at most 8 at once, 4 kept between waves
      const pooled = Object.values(agent.freeSockets).flat();
      expect(pooled.length).toBeGreaterThan(0);
      for (const socket of pooled) expect(socket!.listenerCount('connect')).toBe(0);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      agent.destroy();
    }
  });

  it('counts a queued request on a pooled connection as sent when it fails: its outcome is unknown, not "never sent"', async () => {
    const v = await vendor('hang');
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 10_000 }, agent);
    // The first request opens the one socket; the second waits in the queue for it, then hangs
    // there until it is given up once the vendor has it (no timing assumption about the queue).
    const giveUp = new AbortController();
    const watcher = setInterval(() => v.seen.length >= 2 && giveUp.abort(), 10);
    const [first, second] = await Promise.allSettled([
      f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":1}' }),
      f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":2}', signal: giveUp.signal }),
    ]);
    clearInterval(watcher);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(v.seen).toHaveLength(2); // it did reach the vendor
    expect(((second as PromiseRejectedResult).reason as { details?: { sent?: boolean } }).details?.sent).toBeUndefined();
    agent.destroy();
  });

  it('keeps a resent request "maybe sent" when the resend cannot connect: the first copy reached the vendor (review finding)', async () => {
    const v = await vendor(true);
    const agent = vendorAgent(v.enrolled);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 }, agent);
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":1}' })).status).toBe(200);
    // No new connections from now on; the kept one is closed when the next request arrives on it.
    server!.close();
    const error = await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":2}' }).then(
      () => undefined,
      (e: unknown) => e as { details?: { sent?: boolean } },
    );
    expect(v.seen).toHaveLength(2); // the second request did reach the vendor before its reset
    expect(error).toBeDefined();
    expect(error!.details?.sent).toBeUndefined();
    agent.destroy();
  });

  it('does not retry a request that failed on a new connection', async () => {
    const v = await vendor(true);
    // Without a pool every request is on a new connection: the vendor answers each one's first request.
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 });
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(v.connections()).toBe(1);
    server!.close();
    for (const s of sockets) s.destroy();
    // Refused before any byte left: said so, with the OS error as the cause.
    await expect(f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}' })).rejects.toMatchObject({
      code: 'ERR_REQUEST_INVALID',
      details: { sent: false },
      cause: { code: 'ECONNREFUSED' },
    });
  });

  it('says nothing was sent when the connection never came up (timeout before connect), and something may have been once it did', async () => {
    // A listener that accepts TCP but never answers: the request is sent, then times out.
    const v = await vendor('hang');
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 200 });
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}' })).status).toBe(200);
    const agent = vendorAgent(v.enrolled);
    const pooled = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 200 }, agent);
    expect((await pooled(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}' })).status).toBe(200);
    const error = await pooled(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}' }).then(
      () => undefined,
      (e: unknown) => e as { details?: { sent?: boolean } },
    );
    expect(error?.details?.sent).toBeUndefined(); // it was on the wire: the outcome is unknown
    agent.destroy();
    // A TLS vendor whose handshake never completes: TCP is up, but no byte of the request can leave.
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const tlsOrigin = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const tls = vendorFetch({ origin: tlsOrigin, a2aUrl: `${tlsOrigin}/a2a` } as EnrolledVendor, { signingKey: () => key, allowPrivate: true, timeoutMs: 200 });
    await expect(tls(`${tlsOrigin}/a2a`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ details: { sent: false } });
    for (const sk of sockets) sk.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('sends nothing for a signal already aborted', async () => {
    const v = await vendor(false);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 });
    await expect(f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{}', signal: AbortSignal.abort() })).rejects.toMatchObject({ details: { sent: false } });
    expect(v.seen).toHaveLength(0);
  });

  it('never resends a request that already failed: a timeout on a reused connection is final (review finding)', async () => {
    const v = await vendor('hang');
    const agent = vendorAgent(v.enrolled);
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 300 }, agent);
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":1}' })).status).toBe(200);
    await expect(f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":2}' })).rejects.toMatchObject({ code: 'ERR_REQUEST_INVALID' });
    await new Promise((r) => setTimeout(r, 200));
    expect(v.seen.map((s) => s.connection)).toEqual([1, 1]);
    agent.destroy();
  });

  it('does not resend requests cut by shutting the pool down', async () => {
    const v = await vendor('hang');
    const agent = vendorAgent(v.enrolled);
    let closed = false;
    const f = vendorFetch(v.enrolled, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 }, agent, () => closed);
    expect((await f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":1}' })).status).toBe(200);
    const pending = f(`${v.enrolled.origin}/a2a`, { method: 'POST', body: '{"n":2}' });
    await new Promise((r) => setTimeout(r, 50));
    closed = true;
    agent.destroy();
    await expect(pending).rejects.toBeDefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(v.seen.map((s) => s.connection)).toEqual([1, 1]);
  });
});
