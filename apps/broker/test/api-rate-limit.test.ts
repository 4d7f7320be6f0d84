import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/index.ts';

const token = 'rate-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('per-client rate limit on /api', () => {
  it('answers 429 problem+json ERR_RATE_LIMITED past STEWARD_RATE_LIMIT requests a minute', async () => {
    app = await buildApp({ config: { corsOrigins: [], bodyLimit: 4096, rateLimitPerMinute: 3 }, token });
    const call = () => app!.inject({ method: 'GET', url: '/api/version', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await call()).statusCode).toBe(200);
    const limited = await call();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED', details: { limitPerMinute: 3 } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Public routes are not limited.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('counts requests without a valid token too, so guessing tokens is limited', async () => {
    app = await buildApp({ config: { corsOrigins: [], bodyLimit: 4096, rateLimitPerMinute: 2 }, token });
    const guess = () => app!.inject({ method: 'GET', url: '/api/version', headers: { authorization: 'Bearer wrong-guess' } });
    expect((await guess()).statusCode).toBe(401);
    expect((await guess()).statusCode).toBe(401);
    const limited = await guess();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('ERR_RATE_LIMITED');
  });

  it('keeps separate counts per client address', async () => {
    app = await buildApp({ config: { corsOrigins: [], bodyLimit: 4096, rateLimitPerMinute: 1 }, token });
    const from = (remoteAddress: string) => app!.inject({ method: 'GET', url: '/api/version', remoteAddress, headers: { authorization: `Bearer ${token}` } });
    expect((await from('127.0.0.2')).statusCode).toBe(200);
    expect((await from('127.0.0.2')).statusCode).toBe(429);
    expect((await from('127.0.0.3')).statusCode).toBe(200);
  });
});
