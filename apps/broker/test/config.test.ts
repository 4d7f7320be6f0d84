import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerError, ensureToken, loadConfig } from '../src/index.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServerError) return error.code;
    throw error;
  }
  return 'none';
}

describe('loadConfig', () => {
  it('defaults to loopback, port 8787 and ./data', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8787);
    expect(c.dbPath.endsWith(join('data', 'steward.db'))).toBe(true);
  });

  it('refuses a non-loopback address without TLS and says how to fix it', () => {
    expect(codeOf(() => loadConfig({ STEWARD_HOST: '0.0.0.0' }))).toBe('ERR_CONFIG_UNSAFE');
    try {
      loadConfig({ STEWARD_HOST: '192.0.2.10' });
    } catch (error) {
      expect((error as Error).message).toContain('STEWARD_TLS_CERT');
    }
  });

  it('accepts a non-loopback address with TLS configured', () => {
    expect(loadConfig({ STEWARD_HOST: '0.0.0.0', STEWARD_TLS_CERT: 'c.pem', STEWARD_TLS_KEY: 'k.pem' }).tls).toBeDefined();
  });

  it('refuses half a TLS configuration, bad ports and wildcard CORS', () => {
    expect(codeOf(() => loadConfig({ STEWARD_TLS_CERT: 'c.pem' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(() => loadConfig({ STEWARD_PORT: 'eighty' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(() => loadConfig({ STEWARD_PORT: '70000' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(() => loadConfig({ STEWARD_CORS_ORIGINS: '*' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(() => loadConfig({ STEWARD_CORS_ORIGINS: 'https://app.example/path' }))).toBe('ERR_CONFIG_INVALID');
  });
});

describe('ensureToken', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'steward-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 token at first start and reuses it after', () => {
    const file = join(dir, 'nested', 'token');
    const first = ensureToken(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    const second = ensureToken(file);
    expect(second).toMatchObject({ created: false, token: first.token });
  });

  it('refuses a token file others can read', () => {
    const file = join(dir, 'token');
    ensureToken(file);
    chmodSync(file, 0o644);
    expect(codeOf(() => ensureToken(file))).toBe('ERR_TOKEN_FILE_UNSAFE');
  });
});
