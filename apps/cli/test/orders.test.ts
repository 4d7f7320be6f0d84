/**
 * `steward orders` against a real broker started in-process (real SQLite file, real HTTP on
 * 127.0.0.1), with orders left in the unknown-outcome state the engine leaves them in when a vendor
 * never answers: signed, no receipt, the reason given, the money committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { unknownOrder as leaveUnknownOrder } from '../../../test/support/unknown-order.ts';
import { runCli, type CliContext } from '../src/index.ts';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const VENDOR = 'https://coop.example';
let broker: RunningBroker;
let dir: string;
let ctx: CliContext;
let stdout: string[];
let stderr: string[];

const unknownOrder = (description: string, amountMinor: number) => leaveUnknownOrder(broker, VENDOR, description, amountMinor);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-orders-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_VENDOR_REFRESH_SECONDS: '0' }, quiet, { demo: false, web: false });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  ctx = { dataDir: dir, dbPath: join(dir, 'steward.db'), homeDir: join(dir, 'home'), brokerUrl: broker.url };
  stdout = [];
  stderr = [];
  vi.stubEnv('STEWARD_TOKEN', '');
  vi.stubEnv('STEWARD_TOKEN_FILE', undefined);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function run(...args: string[]) {
  stdout.length = 0;
  stderr.length = 0;
  process.exitCode = undefined;
  const code = await runCli(['orders', ...args], ctx);
  process.exitCode = undefined;
  return { code, out: stdout.join(''), err: stderr.join('') };
}

describe('steward orders', () => {
  it('lists orders whose outcome is unknown and settles them through the broker', async () => {
    expect(await run()).toMatchObject({ code: 0, out: 'no orders waiting to be settled\n' });
    const milk = unknownOrder('milk', 189);
    const eggs = unknownOrder('eggs', 659);

    const listed = await run();
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('2 orders whose outcome is unknown');
    expect(listed.out).toContain('We do not know whether coop.example took this order; its 1.89 USD counts against your budget until you tell us.');
    expect(listed.out).toContain(`steward orders settle ${milk.orderId} --not-taken`);
    const json = await run('--json');
    expect((JSON.parse(json.out) as Array<{ orderId: string }>).map((o) => o.orderId)).toEqual([milk.orderId, eggs.orderId]);

    for (const flags of [[], ['--taken', '--not-taken']]) {
      const refused = await run('settle', milk.orderId, ...flags);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain('exactly one of --taken or --not-taken');
    }
    expect(broker.steward.ledger.get(milk.reservationId)?.state).toBe('committed');

    const notTaken = await run('settle', milk.orderId, '--not-taken', '--note', 'no charge on my card');
    expect(notTaken).toMatchObject({ code: 0, out: `settled ${milk.orderId}: coop.example did not take it; 1.89 USD no longer counts against your budgets\n` });
    expect(broker.steward.ledger.get(milk.reservationId)?.state).toBe('voided');
    const taken = await run('settle', eggs.orderId, '--taken');
    expect(taken).toMatchObject({ code: 0, out: `settled ${eggs.orderId}: coop.example took it; 6.59 USD stays counted against your budgets\n` });
    expect(broker.steward.ledger.get(eggs.reservationId)?.state).toBe('committed');
    expect((await run()).out).toBe('no orders waiting to be settled\n');

    const twice = await run('settle', milk.orderId, '--taken');
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/^error ERR_CLI_BROKER_FAILED: .*answered 409 ERR_ORDER_ALREADY_SETTLED/);
    expect(broker.steward.ledger.get(milk.reservationId)?.state).toBe('voided');
    const missing = await run('settle', 'order_nope', '--taken');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('404 ERR_ORDER_NOT_FOUND');
  });

  it('needs the broker and its token', async () => {
    vi.stubEnv('STEWARD_TOKEN', 'not-the-token');
    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error ERR_CLI_TOKEN_REFUSED/);
    ctx = { ...ctx, brokerUrl: 'http://127.0.0.1:1' };
    const down = await run('settle', 'order_x', '--taken');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^error ERR_CLI_BROKER_UNREACHABLE/);
  });
});
