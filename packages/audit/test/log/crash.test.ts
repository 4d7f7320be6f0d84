import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS, openAuditLog, verifyLog } from '../../src/index.ts';
import { KEY, tempDb } from './helpers.ts';

const child = fileURLToPath(new URL('../fixtures/crash-child.ts', import.meta.url));

/** Runs the child until it has acknowledged `killAfter` events, then SIGKILLs it. */
function runAndKill(path: string, killAfter: number): Promise<{ index: number; run: string; seq: number }[]> {
  return new Promise((resolve, reject) => {
    const key = KEY.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const p = spawn(process.execPath, ['--import', 'tsx', child, path, key], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: { index: number; run: string; seq: number }[] = [];
    let buf = '';
    let err = '';
    let killed = false;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const [index, run, seq] = line.split(' ');
        acked.push({ index: Number(index), run: run!, seq: Number(seq) });
      }
      if (!killed && acked.length >= killAfter) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${err}`));
      else resolve(acked);
    });
  });
}

describe('crash safety', () => {
  it('keeps every acknowledged event across SIGKILL at random moments, and verifies', async () => {
    const path = tempDb();
    const all: { index: number; run: string; seq: number }[] = [];
    for (let round = 0; round < 4; round++) {
      const killAfter = 1 + Math.floor(Math.random() * 1500);
      const acked = await runAndKill(path, killAfter);
      expect(acked.length).toBeGreaterThanOrEqual(Math.min(killAfter, 1));
      all.push(...acked);
      const store = openStore(path, { migrations: { audit: MIGRATIONS } });
      const report = verifyLog(store);
      expect(report.problem).toBeUndefined();
      expect(report.ok).toBe(true);
      const log = openAuditLog(store);
      for (const a of all) {
        expect(a.index).toBeLessThan(log.size);
        expect(log.get(a.index).event.data).toEqual({ run: a.run, seq: a.seq });
      }
      log.close();
      store.close();
    }
  }, 60_000);
});
