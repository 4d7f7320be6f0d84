/**
 * The CLI tests' shared harness: a fresh temp dir and CLI context per test, stdout and stderr
 * captured, and `run(...args)` for one command group. Fields are refreshed before every test.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { runCli, type CliContext } from '../../src/index.ts';

export interface CliHarness {
  dir: string;
  ctx: CliContext;
  stdout: string[];
  stderr: string[];
  /** Runs `steward <group> ...args` and returns its exit code and what it printed. */
  run: (...args: string[]) => Promise<{ code: number; out: string; err: string }>;
}

/** Registers the per-test setup and cleanup for `steward <group>` tests. */
export function useCliHarness(group: string): CliHarness {
  const h: CliHarness = {
    dir: '',
    ctx: { dataDir: '', dbPath: '', homeDir: '', brokerUrl: 'http://127.0.0.1:1' },
    stdout: [],
    stderr: [],
    run: async (...args) => {
      h.stdout.length = 0;
      h.stderr.length = 0;
      const code = await runCli([group, ...args], h.ctx);
      return { code, out: h.stdout.join(''), err: h.stderr.join('') };
    },
  };
  beforeEach(() => {
    h.dir = mkdtempSync(join(tmpdir(), `steward-cli-${group}-`));
    h.ctx = {
      dataDir: join(h.dir, 'data'),
      dbPath: join(h.dir, 'data', 'steward.db'),
      homeDir: join(h.dir, 'home'),
      brokerUrl: 'http://127.0.0.1:1',
    };
    mkdirSync(h.ctx.dataDir, { recursive: true });
    h.stdout = [];
    h.stderr = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(
      (chunk: string | Uint8Array) => (h.stdout.push(String(chunk)), true),
    );
    vi.spyOn(process.stderr, 'write').mockImplementation(
      (chunk: string | Uint8Array) => (h.stderr.push(String(chunk)), true),
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(h.dir, { recursive: true, force: true });
  });
  return h;
}
