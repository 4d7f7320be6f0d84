import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../src/index.ts';

let dir: string;
let broker: RunningBroker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-tls-'));
  // A throwaway self-signed certificate for 127.0.0.1 (openssl ships with Debian).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  broker = await startBroker(
    { STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_TLS_CERT: join(dir, 'cert.pem'), STEWARD_TLS_KEY: join(dir, 'key.pem') },
    new Writable({ write: (_c, _e, cb) => cb() }),
    { demo: false, web: false },
  );
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('serves the API over https with the configured certificate', async () => {
    expect(broker.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${broker.url}/healthz`, { ca: readFileSync(join(dir, 'cert.pem')) }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
  });

  it('refuses to start when the certificate cannot be read', async () => {
    await expect(
      startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_DB: join(dir, 'other.db'), STEWARD_TLS_CERT: join(dir, 'missing.pem'), STEWARD_TLS_KEY: join(dir, 'key.pem') }, new Writable({ write: (_c, _e, cb) => cb() }), { demo: false, web: false }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });
});
