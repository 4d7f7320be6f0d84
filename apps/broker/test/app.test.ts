import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/index.ts';

const token = 'test-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp({ config: { corsOrigins: ['http://127.0.0.1:5173'], bodyLimit: 4096 }, token });
});
afterAll(async () => {
  await app.close();
});

describe('person-facing API guard', () => {
  it('answers /healthz without a token', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses a request without the token with 401 problem+json', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/version' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 401, code: 'ERR_AUTH_MISSING', instance: '/api/version' });
  });

  it('refuses a wrong token with 401 problem+json', async () => {
    for (const authorization of [`Bearer ${token}x`, 'Bearer short', `Basic ${token}`, `Bearer ${token} extra`]) {
      const res = await app.inject({ method: 'GET', url: '/api/version', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('ERR_AUTH_INVALID');
    }
  });

  it('answers with the right token', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/version', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'steward' });
  });

  it('refuses a foreign browser origin even with the token (CSRF, strict CORS)', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/version',
      headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('ERR_CSRF_REJECTED');
  });

  it('allows a configured origin and says so in CORS headers', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/version',
      headers: { authorization: `Bearer ${token}`, origin: 'http://127.0.0.1:5173' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('ERR_NOT_FOUND');
  });

  it('sets defensive headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('DNS rebinding', () => {
  it('refuses API requests for a foreign host name on a loopback broker, even with the token', async () => {
    const local = await buildApp({ config: { corsOrigins: [], bodyLimit: 4096, host: '127.0.0.1' }, token });
    const auth = { authorization: `Bearer ${token}` };
    const rebound = await local.inject({ method: 'GET', url: '/api/version', headers: { ...auth, host: 'attacker.example:8787' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().code).toBe('ERR_CSRF_REJECTED');
    for (const host of ['127.0.0.1:8787', 'localhost:8787', '[::1]:8787']) {
      const ok = await local.inject({ method: 'GET', url: '/api/version', headers: { ...auth, host } });
      expect(ok.statusCode, host).toBe(200);
    }
    await local.close();
  });
});

describe('request bodies', () => {
  let echo: FastifyInstance;
  beforeAll(async () => {
    echo = await buildApp({
      config: { corsOrigins: [], bodyLimit: 1024 },
      token,
      apiFeatures: [
        async (api) => {
          api.post('/echo', async (request) => ({ got: request.body }));
        },
      ],
    });
  });
  afterAll(async () => {
    await echo.close();
  });
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  it('refuses prototype-poisoning bodies (THREATS #31)', async () => {
    const res = await echo.inject({ method: 'POST', url: '/api/echo', headers: auth, payload: '{"__proto__":{"approved":true}}' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses bodies over the limit with 413 (THREATS #29)', async () => {
    const res = await echo.inject({ method: 'POST', url: '/api/echo', headers: auth, payload: JSON.stringify({ d: 'x'.repeat(2000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('refuses malformed json with 400 problem+json', async () => {
    const res = await echo.inject({ method: 'POST', url: '/api/echo', headers: auth, payload: '{"a":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('ERR_REQUEST_INVALID');
  });
});
