import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decide, loadPolicy, type PolicyRequest } from '@steward/policy';
import { runCli, type CliContext } from '../src/index.ts';

const DEFAULT = fileURLToPath(new URL('../../../policies/default.yaml', import.meta.url));
let dir: string;
let ctx: CliContext;
let stdout: string[];
let stderr: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-policy-'));
  ctx = {
    dataDir: join(dir, 'data'),
    dbPath: join(dir, 'data', 'steward.db'),
    homeDir: join(dir, 'home'),
    brokerUrl: 'http://127.0.0.1:1',
  };
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const SMALL =
  'version: 1\nname: small\ntimezone: UTC\nbudgets:\n  - id: cap\n    limit: 100.00 USD\n    per: transaction\nrules:\n  - id: allow-orders\n    effect: allow\n    when: { action: order }\ntests:\n  - name: ok\n    request: { action: order, category: general, amount: 5.00 USD }\n    expect: { effect: allow }\n';

describe('steward policy', () => {
  it('tests policy files and prints coverage', async () => {
    expect(await runCli(['policy', 'test', DEFAULT], ctx)).toBe(0);
    const text = stdout.join('');
    expect(text).toContain('ok   an order above $50 needs approval');
    expect(text).toMatch(/coverage: (\d+)\/\1 rules/);
  });

  it('fails on a failing test, and on untested rules with --fail-uncovered', async () => {
    const failing = write(
      'failing.yaml',
      SMALL.replace('expect: { effect: allow }', 'expect: { effect: deny }'),
    );
    expect(await runCli(['policy', 'test', failing], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_POLICY_TESTS_FAILED');
    const untested = write(
      'untested.yaml',
      SMALL.replace('tests:', '  - id: never\n    effect: deny\n    when: { action: enrol_vendor }\ntests:'),
    );
    expect(await runCli(['policy', 'test', untested], ctx)).toBe(0);
    expect(await runCli(['policy', 'test', untested, '--fail-uncovered'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_POLICY_TESTS_UNCOVERED');
  });

  it('prints every located problem of an invalid file with its code', async () => {
    const bad = write('bad.yaml', SMALL.replace('effect: allow\n    when', 'effect: alow\n    when'));
    expect(await runCli(['policy', 'lint', bad], ctx)).toBe(1);
    const err = stderr.join('');
    expect(err).toMatch(/bad\.yaml:10:13: `alow` is not allowed here \(did you mean `allow`\?\)/);
    expect(err).toContain('error ERR_POLICY_INVALID');
  });

  it('applies, lists history, diffs and rolls back', async () => {
    const v1 = write('p.yaml', SMALL);
    expect(await runCli(['policy', 'apply', v1, '-m', 'first'], ctx)).toBe(0);
    writeFileSync(v1, SMALL.replace('limit: 100.00 USD', 'limit: 150.00 USD'));
    expect(await runCli(['policy', 'apply', v1, '-m', 'raise the cap', '--json'], ctx)).toBe(0);
    expect(JSON.parse(stdout[1]!)).toMatchObject({
      type: 'policy.applied',
      data: { seq: 2, previousSeq: 1 },
    });
    stdout.length = 0;
    expect(await runCli(['policy', 'diff', '1', '2'], ctx)).toBe(0);
    expect(stdout.join('')).toContain('+    limit: 150.00 USD');
    stdout.length = 0;
    expect(await runCli(['policy', 'rollback', '1', '-m', 'too loose'], ctx)).toBe(0);
    expect(stdout.join('')).toContain('active is now version 3');
    stdout.length = 0;
    expect(await runCli(['policy', 'history'], ctx)).toBe(0);
    const lines = stdout.join('').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('rollback to 1: too loose');
    expect(await runCli(['policy', 'rollback', '42'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_POLICY_VERSION_NOT_FOUND');
  });

  it('refuses to apply a broken file and keeps the active one', async () => {
    const good = write('good.yaml', SMALL);
    await runCli(['policy', 'apply', good, '-m', 'first'], ctx);
    const broken = write('broken.yaml', SMALL + 'surprise: true\n');
    expect(await runCli(['policy', 'apply', broken, '-m', 'oops'], ctx)).toBe(1);
    stdout.length = 0;
    await runCli(['policy', 'history', '--json'], ctx);
    expect(JSON.parse(stdout.join(''))).toHaveLength(1);
  });

  it('lints against the active policy and dry-runs against recorded inputs', async () => {
    const current = write('current.yaml', SMALL);
    await runCli(['policy', 'apply', current, '-m', 'first'], ctx);
    const looser = write('looser.yaml', SMALL.replace('limit: 100.00 USD', 'limit: 900.00 USD'));
    const policy = loadPolicy(SMALL);
    const request: PolicyRequest = {
      action: 'order',
      category: 'general',
      vendor: {
        origin: 'https://shop.example',
        verified: true,
        signedCard: true,
        enrolled: true,
        new: false,
      },
      amount: { amountMinor: 50_000, currency: 'USD' },
      flags: [],
      time: '2026-03-10T12:00:00Z',
      counters: {},
    };
    const inputs = write('inputs.json', JSON.stringify([{ request, decision: decide(policy, request) }]));
    stdout.length = 0;
    expect(await runCli(['policy', 'lint', looser, '--inputs', inputs], ctx)).toBe(0);
    expect(stdout.join('')).toContain('loosens: recorded input 1');
    stdout.length = 0;
    expect(await runCli(['policy', 'dry-run', looser, '--inputs', inputs], ctx)).toBe(0);
    expect(stdout.join('')).toContain('1 recorded decisions: 0 unchanged, 1 would change');
    expect(stdout.join('')).toContain('deny → allow (looser)');
    const junk = write('junk.json', '[{"request": {}}]');
    expect(await runCli(['policy', 'dry-run', looser, '--inputs', junk], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_POLICY_REQUEST_INVALID');
  });

  it('reports a missing file with a code', async () => {
    expect(await runCli(['policy', 'lint', join(dir, 'nope.yaml')], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_POLICY_FILE_UNREADABLE');
    expect(readFileSync(DEFAULT, 'utf8')).toContain('version: 1');
  });
});
