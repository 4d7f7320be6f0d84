/**
 * The processes apps/broker/bench/http.ts forks (`child_process.fork`, execArgv `--import tsx`), one
 * per role, so the broker is measured alone in its own process, as deployed (issue 7): vendors are
 * other parties' machines and the client is the person's agent, so neither their CPU nor their
 * memory is the broker's. Each child answers {@link Call}s over IPC and exits when the bench
 * process goes away (IPC disconnect), so none is left behind.
 *
 * Roles (argv[2]):
 * - `broker <dataDir>`: `startBroker()` without demo world or web app; enrols vendors on request,
 *   runs quotes through the engine in its own process, reports its resources.
 * - `vendors`: the benign grocers (`startVendor()` for every grocery profile, no attack).
 * - `echo`: a bare fastify server whose `POST /a2a` returns the body (the transport baseline).
 * - `start-time <dataDir> <basePort>`: times `startBroker()` with the demo world and web app, on a
 *   fresh data dir and then on a restart.
 */
import { performance, monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import type { EnrolledVendor } from '@steward/broker';
import { buildJwks, importVerificationKey, signMessage, verifyMessage, type VerificationKey } from '@steward/identity';
import { startVendor, VENDOR_PROFILES, type JwksLike, type RunningVendor } from '@steward/vendors';
import { startBroker } from '../../src/start.ts';
import { A2aVendorTransport } from '../../src/transport.ts';
import {
  SPEC,
  type Answer,
  type BrokerReady,
  type Call,
  type EngineRun,
  type LoopDelay,
  type Usage,
  type VendorOrigins,
} from './http-shared.ts';

if (!process.send) {
  console.error('http-children.ts is started by apps/broker/bench/http.ts over IPC, not on its own');
  process.exit(2);
}
const send = (message: Answer, then?: () => void) => process.send!(message, undefined, {}, then);
// The bench process is gone (finished, failed or killed): nothing left to answer.
process.on('disconnect', () => process.exit(0));

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const usage = (): Usage => ({
  pid: process.pid,
  memory: process.memoryUsage(),
  maxRssKb: process.resourceUsage().maxRSS,
  cpuUs: process.cpuUsage(),
});

type Handler = (args: never) => unknown;

/** Answers the bench process's calls; `close` answers, then exits. */
function serve(ready: unknown, handlers: Record<string, Handler>): void {
  const all: Record<string, Handler> = { usage, gc: () => globalThis.gc?.(), ...handlers };
  process.on('message', (message: Call) => {
    void (async () => {
      let answer: Answer;
      try {
        const handler = all[message.op];
        if (!handler) throw new Error(`unknown op \`${message.op}\``);
        answer = { id: message.id, ok: true, value: (await handler(message.args as never)) ?? null };
      } catch (error) {
        answer = {
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        };
      }
      send(answer, message.op === 'close' ? () => process.exit(0) : undefined);
    })();
  });
  send({ ready });
}

const [role, ...args] = process.argv.slice(2);

if (role === 'broker') {
  const broker = await startBroker(
    // The person-facing API's per-client limit (600 a minute by default) is lifted: this measures capacity.
    {
      STEWARD_DATA_DIR: args[0]!,
      STEWARD_PORT: '0',
      STEWARD_ALLOW_PRIVATE_VENDORS: '1',
      STEWARD_RATE_LIMIT: '1000000',
    },
    quiet,
    // So is the per-vendor allowance (120 messages a minute, THREATS #33).
    { demo: false, web: false, vendorMessagesPerMinute: 1e9 },
  );
  const { steward } = broker;
  const newTask = () => steward.engine.createTask(SPEC).taskId;
  const quoting = steward.store.db.prepare("SELECT COUNT(*) AS n FROM broker_tasks WHERE status = 'quoting'");
  let eld: IntervalHistogram | undefined;
  // The signed relay: a second listener in this process doing only what every quote needs before
  // any policy, provenance, screening, state or audit: the person's request in, a signed request
  // for quotes out to each vendor (JWS + RFC 9421, the broker's own transport and keep-alive pool),
  // each offer's signature, claims and schema verified, replay recorded, the count answered. It is
  // the floor under the broker's numbers on this machine, measured in the same run.
  const relayTransport = new A2aVendorTransport({ signingKey: () => steward.keys.signingKey('broker'), allowPrivate: true });
  const relayKeys = new Map<string, Map<string, VerificationKey>>();
  const relayVendors = (): EnrolledVendor[] =>
    steward.vendors
      .list()
      .filter((v) => v.status === 'active')
      .map((v) => {
        if (!relayKeys.has(v.origin)) relayKeys.set(v.origin, new Map(v.keys.map((jwk) => { const k = importVerificationKey(jwk, v.origin); return [k.kid, k]; })));
        return { origin: v.origin, displayName: v.displayName, a2aUrl: v.card.url } as EnrolledVendor;
      });
  const relay = Fastify({ logger: false });
  let relayInflight = 0;
  relay.post('/relay', async () => {
    const brokerKey = steward.keys.signingKey('broker');
    relayInflight++;
    const offers = await Promise.all(
      relayVendors().map(async (vendor) => {
        const rfq = { type: 'rfq' as const, rfqId: randomUUID(), category: SPEC.category, currency: 'USD', items: SPEC.items, constraints: {}, respondBy: Math.floor(Date.now() / 1000) + 3 };
        const jws = signMessage('rfq', rfq, { key: brokerKey, iss: steward.brokerId, aud: vendor.origin }).token;
        const reply = await relayTransport.exchange(vendor, { steward: 'rfq', jws }, AbortSignal.timeout(5000));
        const keys = relayKeys.get(vendor.origin)!;
        verifyMessage(reply.jws, 'offer', { audience: steward.brokerId, resolveKey: (kid) => keys.get(kid), replay: steward.replay, revocation: { isKeyRevoked: () => false, isOriginRevoked: () => false } });
        return 1;
      }),
    ).finally(() => relayInflight--);
    return { offers: offers.length };
  });
  const relayUrl = await relay.listen({ host: '127.0.0.1', port: 0 });
  const ready: BrokerReady = {
    relayUrl: `${relayUrl}/relay`,
    url: broker.url,
    token: broker.token,
    brokerId: steward.brokerId,
    jwks: buildJwks(steward.keys.published()),
    pid: process.pid,
  };
  serve(ready, {
    enrol: async (origins: string[]) => {
      for (const origin of origins) await steward.enrolVendor(origin);
      return steward.vendors.list().filter((v) => v.status === 'active').length;
    },
    createTasks: (n: number) => Array.from({ length: n }, newTask),
    engineQuotes: async ({
      n,
      warmup,
      expectOffers,
    }: {
      n: number;
      warmup: number;
      expectOffers: number;
    }): Promise<EngineRun> => {
      for (let i = 0; i < warmup; i++) await steward.engine.requestQuotes(newTask());
      const timesMs: number[] = [];
      let offers = 0;
      let errors = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const s = performance.now();
        const got = (await steward.engine.requestQuotes(newTask())).length;
        timesMs.push(performance.now() - s);
        offers += got;
        if (got !== expectOffers) errors++;
      }
      return { timesMs, totalMs: performance.now() - t0, offers, errors, cpuUs: process.cpuUsage(cpu0) };
    },
    quoting: () => (quoting.get() as { n: number }).n + relayInflight,
    eldStart: () => {
      eld = monitorEventLoopDelay({ resolution: 5 });
      eld.enable();
    },
    eldStop: (): LoopDelay => {
      if (!eld) throw new Error('eldStart was not called');
      eld.disable();
      const out = { p99Ms: eld.percentile(99) / 1e6, maxMs: eld.max / 1e6 };
      eld = undefined;
      return out;
    },
    close: async () => {
      await relay.close();
      relayTransport.close();
      await broker.close();
    },
  });
} else if (role === 'vendors') {
  const running: RunningVendor[] = [];
  serve(null, {
    // Every grocery profile: without an `attack` each one behaves (Bargain Hub included).
    start: async ({ brokerId, jwks }: { brokerId: string; jwks: JwksLike }): Promise<VendorOrigins> => {
      const out: VendorOrigins = {};
      for (const profile of Object.values(VENDOR_PROFILES).filter((p) => p.category === 'groceries')) {
        const vendor = await startVendor({ profile, port: 0, brokerId, brokerJwks: () => jwks });
        running.push(vendor);
        out[profile.id] = vendor.origin;
      }
      return out;
    },
    close: async () => {
      for (const v of running) await v.close();
    },
  });
} else if (role === 'echo') {
  const echo = Fastify({ logger: false });
  echo.post('/a2a', async (req) => req.body);
  await echo.listen({ host: '127.0.0.1', port: 0 });
  serve(
    { url: `http://127.0.0.1:${(echo.server.address() as { port: number }).port}/a2a` },
    { close: () => echo.close() },
  );
} else if (role === 'start-time') {
  const [dir, port] = args;
  const answers = async (url: string) => {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    await res.arrayBuffer();
  };
  const timeStart = async () => {
    const t0 = performance.now();
    const broker = await startBroker({ STEWARD_DATA_DIR: dir!, STEWARD_PORT: '0' }, quiet, {
      demo: true,
      demoBasePort: Number(port),
      web: true,
    });
    const vendors = broker.demo?.vendors ?? [];
    await Promise.all([
      answers(`${broker.url}/healthz`),
      answers(`${broker.url}/`),
      ...vendors.map((v) => answers(`${v.origin}/.well-known/agent-card.json`)),
      answers(`${broker.demo!.registry.origin}/.well-known/jwks.json`),
    ]);
    const ms = performance.now() - t0;
    // performance.now() counts from this process's start: node, tsx and module loading included.
    const sinceProcessStartMs = performance.now();
    await broker.close();
    return { ms, sinceProcessStartMs, vendors: vendors.length };
  };
  const cold = await timeStart();
  const warm = await timeStart();
  serve({ cold, warm }, {});
} else {
  console.error(`unknown role \`${role}\``);
  process.exit(2);
}
