import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startBroker, type RunningBroker } from '../../src/index.ts';

/** A broker with the demo vendor world on free loopback ports, its database in a temp dir. */
export interface DemoBroker {
  broker: RunningBroker;
  /** Calls the API through `app.inject()` with the token (unless `token: null`). */
  call<T = Record<string, unknown>>(method: string, url: string, body?: unknown, options?: { token?: string | null }): Promise<{ status: number; json: T; headers: Record<string, unknown>; body: string }>;
  close(): Promise<void>;
}

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** Starts the full stack the way the README does, with the demo world enrolled. */
export async function startDemoBroker(prefix: string, options: { collectionWindowMs?: number; env?: Record<string, string> } = {}): Promise<DemoBroker> {
  const dir = mkdtempSync(join(tmpdir(), `steward-${prefix}-`));
  let broker: RunningBroker;
  try {
    broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', ...options.env }, quiet, {
      demo: true,
      demoBasePort: 0,
      collectionWindowMs: options.collectionWindowMs ?? 1500,
      web: false,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    broker,
    async call(method, url, body, opts = {}) {
      const token = opts.token === undefined ? broker.token : opts.token;
      const res = await broker.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      let json: unknown = undefined;
      try {
        json = res.json();
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json: json as never, headers: res.headers, body: res.body };
    },
    async close() {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
