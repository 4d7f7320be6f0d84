/**
 * A silent "rug pull" must be impossible: when an enrolled vendor's keys or card change behind the
 * same origin, the broker's periodic refresh suspends it until the person confirms, and logs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildJwks, generateSigningKey } from '@steward/identity';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { VENDOR_PROFILES, startVendor, type RunningVendor } from '@steward/vendors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let broker: RunningBroker;
let vendor: RunningVendor | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-drift-'));
  broker = await startBroker(
    {
      STEWARD_DATA_DIR: dir,
      STEWARD_PORT: '0',
      STEWARD_ALLOW_PRIVATE_VENDORS: '1',
      STEWARD_VENDOR_REFRESH_SECONDS: '0',
    },
    new Writable({ write: (_c, _e, cb) => cb() }),
    { demo: false, web: false },
  );
}, 60_000);

afterAll(async () => {
  await vendor?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = () => ({
  brokerId: broker.steward.brokerId,
  brokerJwks: () => buildJwks(broker.steward.keys.published()),
});

describe('vendor drift', () => {
  it('suspends a vendor whose key changed behind the same origin, logs it, and stops contacting it', async () => {
    vendor = await startVendor({
      profile: VENDOR_PROFILES['green-valley'],
      port: 0,
      key: generateSigningKey(),
      ...common(),
    });
    const origin = vendor.origin;
    await broker.steward.enrolVendor(origin);
    expect(broker.steward.vendors.get(origin).status).toBe('active');
    expect(await broker.steward.refreshVendors()).toEqual([]);

    // Same origin, same port, a different key: what an attacker who took over the host would serve.
    const port = Number(new URL(origin).port);
    await vendor.close();
    vendor = await startVendor({
      profile: VENDOR_PROFILES['green-valley'],
      port,
      key: generateSigningKey(),
      ...common(),
    });
    const changes = await broker.steward.refreshVendors();
    expect(changes).toEqual([{ origin, kinds: expect.arrayContaining(['keys']), status: 'suspended' }]);
    expect(broker.steward.vendors.get(origin).status).toBe('suspended');

    broker.steward.audit.flush();
    const types = broker.steward.audit.query({ vendor: origin, limit: 50 }).entries.map((e) => e.event.type);
    expect(types).toContain('vendor.suspended');

    const { taskId } = broker.steward.engine.createTask({
      category: 'groceries',
      summary: 'milk',
      items: [{ description: 'milk', quantity: 1 }],
      constraints: {},
    });
    expect(broker.steward.engine.findVendors(taskId).map((v) => v.vendor.origin)).not.toContain(origin);
  }, 60_000);
});

describe('demo world restarts', () => {
  it('restarts on the same data dir with demo ports picked afresh (regression: UNIQUE constraint on the registry key)', async () => {
    const rdir = mkdtempSync(join(tmpdir(), 'steward-demo-restart-'));
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    try {
      const first = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, {
        demo: true,
        demoBasePort: 0,
        web: false,
      });
      await first.close();
      const second = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, {
        demo: true,
        demoBasePort: 0,
        web: false,
      });
      expect(second.steward.registries.list().map((r) => r.id)).toEqual([second.demo!.registry.origin]);
      await second.close();
    } finally {
      rmSync(rdir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('orders left signed by a crash', () => {
  it('counts their money against the budget after a restart instead of letting the reservation lapse', async () => {
    const rdir = mkdtempSync(join(tmpdir(), 'steward-unsettled-'));
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    try {
      const first = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, {
        demo: true,
        demoBasePort: 0,
        web: false,
      });
      const engine = first.steward.engine;
      const { taskId } = engine.createTask({
        category: 'groceries',
        summary: 'milk',
        items: [{ description: 'milk', quantity: 1 }],
        constraints: {},
      });
      const [offer] = await engine.requestQuotes(taskId);
      // What a crash between signing and the receipt leaves behind: a signed order with money held.
      const policy = first.steward.policies.active().policy;
      const { reservation } = first.steward.ledger.decideAndReserve(policy, {
        action: 'order',
        category: 'groceries',
        amount: offer!.total,
        flags: [],
        time: new Date().toISOString(),
        vendor: {
          origin: offer!.vendor.origin,
          verified: true,
          signedCard: true,
          enrolled: true,
          new: false,
        },
        counters: { ordersToday: 0, roundsSoFar: 0, vendorsContacted: 1, toolCalls: 1 },
      });
      expect(reservation).toBeDefined();
      first.steward.store.db
        .prepare(
          "INSERT INTO broker_orders (order_id, task_id, offer_hash, vendor, jws, order_hash, reservation_id, status, created_at, updated_at) VALUES ('order_crash', ?, ?, ?, 'x.y.z', 'h', ?, 'signed', ?, ?)",
        )
        .run(
          taskId,
          offer!.offerHash,
          offer!.vendor.origin,
          reservation!.reservationId,
          new Date().toISOString(),
          new Date().toISOString(),
        );
      first.steward.store.db.prepare("UPDATE broker_tasks SET status = 'ordering' WHERE task_id = ?").run(taskId);
      await first.close();

      const second = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, {
        demo: false,
        web: false,
      });
      const state = second.steward.store.db
        .prepare('SELECT state FROM policy_ledger WHERE reservation_id = ?')
        .get(reservation!.reservationId) as { state: string };
      expect(state.state).toBe('committed');
      const order = second.steward.store.db
        .prepare("SELECT status, status_reason FROM broker_orders WHERE order_id = 'order_crash'")
        .get() as { status: string; status_reason: string };
      expect(order.status).toBe('signed');
      expect(order.status_reason).toContain('outcome unknown');
      // The task left mid-order says so, as at runtime.
      expect(second.steward.engine.task(taskId).status).toBe('failed');
      second.steward.audit.flush();
      expect(
        second.steward.audit
          .query({ limit: 500 })
          .entries.some(
            (e) => e.event.type === 'ledger.committed' && e.event.summary.includes('order_crash'),
          ),
      ).toBe(true);
      await second.close();
    } finally {
      rmSync(rdir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the broker's own agent card", () => {
  it('is signed for loopback names only on a loopback broker (DNS rebinding)', async () => {
    const port = new URL(broker.url).port;
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port, path: '/.well-known/agent-card.json', headers: { host } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    const ok = await get(`127.0.0.1:${port}`);
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { url: string }).url).toContain(`127.0.0.1:${port}`);
    const rebound = await get(`attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('attacker.example:');
  });
});
