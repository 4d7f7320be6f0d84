import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const main = new URL('../src/main.ts', import.meta.url).pathname;

describe('broker process', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'steward-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on loopback, prints the token once, serves health and closes on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_DEMO: '0', STEWARD_WEB: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        // The `agent:` line is printed last, after the token.
        if (m && /\nagent: /.test(out)) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = /shown once[^\n]*\n\s+(\S+)/.exec(out)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const denied = await fetch(`${url}/api/version`);
    expect(denied.status).toBe(401);
    const ok = await fetch(`${url}/api/version`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('refuses an unsafe configuration and exits with a coded error', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, STEWARD_DATA_DIR: dir, STEWARD_HOST: '0.0.0.0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(err).toContain('ERR_CONFIG_UNSAFE');
  });
});
