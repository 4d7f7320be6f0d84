/**
 * `steward chat` against a real broker started in-process (demo vendor world on free ports, real
 * SQLite file, real HTTP on 127.0.0.1), driven through `runCli` as the person would run it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliContext } from '../src/index.ts';
import { readSse } from '../src/chat/client.ts';
import { cleanText, formatMoney, modeLine } from '../src/chat/render.ts';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
let broker: RunningBroker;
let dir: string;
let ctx: CliContext;
let stdout: string[];
let stderr: string[];
let waiters: Array<{ pattern: RegExp; resolve: () => void }>;

const GROCERIES = 'buy groceries for this week under $80: milk, eggs, bread, bananas';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-chat-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0' }, quiet, { demo: true, demoBasePort: 0, collectionWindowMs: 3000, web: false });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  ctx = { dataDir: dir, dbPath: join(dir, 'steward.db'), homeDir: join(dir, 'home'), brokerUrl: broker.url };
  stdout = [];
  stderr = [];
  waiters = [];
  vi.stubEnv('STEWARD_TOKEN', '');
  vi.stubEnv('STEWARD_TOKEN_FILE', undefined);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    const all = stdout.join('');
    waiters = waiters.filter((w) => (w.pattern.test(all) ? (w.resolve(), false) : true));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Resolves once the captured stdout matches (no sleeps: the write itself wakes the test). */
function printed(pattern: RegExp): Promise<void> {
  if (pattern.test(stdout.join(''))) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ pattern, resolve }));
}

const run = async (...args: string[]) => {
  const code = await runCli(['chat', ...args], ctx);
  return { code, out: stdout.join(''), err: stderr.join('') };
};

const orders = () => broker.steward.store.db.prepare("SELECT order_id, vendor, status FROM broker_orders WHERE status IN ('signed', 'accepted')").all() as Array<{ order_id: string; vendor: string; status: string }>;

describe('steward chat --once against the running broker', () => {
  it('says the offline rules mode answers, streams progress, and renders the approval from its structured fields', async () => {
    const { code, out, err } = await run('--once', GROCERIES);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Answering: the offline rules mode (no language model).');
    expect(out).toMatch(/ {2}· Understood: groceries/);
    expect(out).toMatch(/ {2}· .*offers?/i);

    const approval = broker.steward.engine.approvals.pending().at(-1)!;
    expect(approval).toBeDefined();
    expect(out).toContain(`Your approval is needed for an order from ${approval.summary.vendorName!}`);
    expect(out).toContain(`[${approval.approvalId}]`);
    expect(out).toContain(`all-in total: ${formatMoney(approval.summary.total!)}`);
    for (const item of approval.summary.items) expect(out).toContain(`${item.quantity} × ${item.name}  ${formatMoney(item.lineTotal)}`);
    expect(out).toContain(`data to share: ${approval.summary.dataToShare.join(', ')}`);
    for (const reason of approval.summary.reasons) expect(out).toContain(`- ${reason}`);
    expect(out).toMatch(/flags: (none|\n)/);
    expect(out).toContain('To answer it: `steward chat` then `approve` or `decline`');
    expect(out).toMatch(/conversation: conv_[A-Za-z0-9_-]+\n/);
    // piped output carries no escape codes
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/\x1b\[/);
  }, 60_000);

  it('asks its question and keeps the conversation for --conversation', async () => {
    const first = await run('--once', 'book a table at 7pm tomorrow');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\? .*(how many|people|party)/i);
    const conversationId = /conversation: (conv_[A-Za-z0-9_-]+)/.exec(first.out)![1]!;
    stdout.length = 0;
    const second = await run('--conversation', conversationId, '--once', 'cancel');
    expect(second.code).toBe(0);
    expect(second.out).toContain(`conversation: ${conversationId}`);
    const stored = broker.agent.history(conversationId);
    expect(stored.filter((m) => m.role === 'person').map((m) => m.text)).toEqual(['book a table at 7pm tomorrow', 'cancel']);
  }, 60_000);
});

describe('steward chat as a conversation on stdin', () => {
  it('asks, shows the approval, orders on `approve`, and leaves on `exit`', async () => {
    const stdin = new PassThrough();
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    const before = orders().length;
    const done = run();

    await printed(/you> $/);
    expect(stdout.join('')).toContain('Answering: the offline rules mode (no language model).');
    stdin.write(`${GROCERIES}\n`);
    await printed(/answer with `approve` or `decline`\n/);
    const approvalId = /\[(ap_[A-Za-z0-9_-]+)\]/.exec(stdout.join(''))![1]!;

    stdin.write('approve\n');
    await printed(/Ordered \(order_[^)]+\)/);
    expect(orders().length).toBe(before + 1);
    expect(broker.steward.engine.approvals.get(approvalId)?.status).not.toBe('pending');

    stdin.write('approve\n'); // nothing left to approve
    await printed(/No approval is waiting here/);
    stdin.write('approve nonsense\n');
    await printed(/`nonsense` is not an approval id/);
    stdin.write('exit\n');
    const { code, err } = await done;
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(orders().length).toBe(before + 1);
  }, 60_000);

  it('declines on `decline`: nothing is ordered, and the log says you declined', async () => {
    const stdin = new PassThrough();
    vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    const before = orders().length;
    const done = run();
    await printed(/you> $/);
    stdin.write(`${GROCERIES}\n`);
    await printed(/answer with `approve` or `decline`\n/);
    stdin.write('decline\n');
    await printed(/Declined: nothing was ordered\./);
    stdin.end();
    expect((await done).code).toBe(0);
    expect(orders().length).toBe(before);
    broker.steward.audit.flush();
    expect(broker.steward.audit.query({ limit: 500 }).entries.map((e) => e.event.type)).toContain('approval.denied');
  }, 60_000);
});

describe('steward chat errors', () => {
  it('a broker that is down: ERR_CLI_BROKER_UNREACHABLE', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    ctx.brokerUrl = `http://127.0.0.1:${port}`;
    const { code, err } = await run('--once', 'hello');
    expect(err).toMatch(/^error ERR_CLI_BROKER_UNREACHABLE: no broker answers at `http:\/\/127\.0\.0\.1:\d+`/);
    expect(code).toBe(1);
  });

  it('a wrong token: ERR_CLI_TOKEN_REFUSED, and nothing reaches the agent', async () => {
    vi.stubEnv('STEWARD_TOKEN', 'not-the-token-of-this-broker-xxxxxxxxxxxx');
    const { code, err } = await run('--once', GROCERIES);
    expect(err).toMatch(/^error ERR_CLI_TOKEN_REFUSED: the broker at .* refused the token from `STEWARD_TOKEN`/);
    expect(err).not.toContain('not-the-token');
    expect(code).toBe(1);
  });

  it('a wrong token file: ERR_CLI_TOKEN_REFUSED naming the file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'steward-cli-chat-token-'));
    try {
      writeFileSync(join(other, 'token'), 'x'.repeat(43) + '\n', { mode: 0o600 });
      ctx.dataDir = other;
      const { code, err } = await run('--once', 'hello');
      expect(err).toContain('error ERR_CLI_TOKEN_REFUSED');
      expect(err).toContain(join(other, 'token'));
      expect(code).toBe(1);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('no token anywhere: ERR_CLI_TOKEN_MISSING', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'steward-cli-chat-empty-'));
    try {
      ctx.dataDir = empty;
      const { code, err } = await run('--once', 'hello');
      expect(err).toMatch(/^error ERR_CLI_TOKEN_MISSING: no API token/);
      expect(code).toBe(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('plain http off loopback: ERR_CLI_BROKER_URL_UNSAFE, before any request', async () => {
    ctx.brokerUrl = 'http://192.0.2.1:8787';
    const { code, err } = await run('--once', 'hello');
    expect(err).toMatch(/^error ERR_CLI_BROKER_URL_UNSAFE/);
    expect(code).toBe(1);
  });
});

describe('chat client pieces', () => {
  async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
    for (const p of parts) yield new TextEncoder().encode(p);
  }
  const all = async (it: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it('reads server-sent events split anywhere, with CRLF, comments and multi-line data', async () => {
    expect(await all(readSse(chunks('data: {"a"', ':1}\n', '\n: comment\n\ndata: x\r\ndata: y\r\n\r\nevent: e\ndata:z')))).toEqual(['{"a":1}', 'x\ny', 'z']);
  });

  it('refuses an event larger than 256 KiB', async () => {
    await expect(all(readSse(chunks(`data: ${'x'.repeat(300 * 1024)}`)))).rejects.toMatchObject({ code: 'ERR_CLI_BROKER_FAILED' });
  });

  it('blanks terminal escapes and bidi overrides in text from the broker', () => {
    expect(cleanText('ok\x1b[2J\x1b]0;pwned\x07 \u202edone\nnext')).toBe('ok [2J ]0;pwned   done\nnext');
  });

  it('formats money from integer minor units', () => {
    expect(formatMoney({ amountMinor: 6450, currency: 'USD' })).toBe('64.50 USD');
    expect(formatMoney({ amountMinor: 5, currency: 'EUR' })).toBe('0.05 EUR');
    expect(formatMoney({ amountMinor: 5000, currency: 'JPY' })).toBe('5000 JPY');
  });

  it('says plainly which engine answers', () => {
    expect(modeLine('model', 'qwen3:8b')).toContain('a language model (qwen3:8b)');
    expect(modeLine('offline-rules')).toContain('no language model');
  });
});
