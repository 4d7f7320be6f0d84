/**
 * The broker over real HTTP on loopback (issue 7), measured as deployed: the broker runs alone in its
 * own process. The vendors (other parties' machines in reality) run in a second process, the bare
 * echo server in a third; this process is only the client (the person's agent) and the bare Ed25519
 * baseline. Children are forked from support/http-children.ts and talk over IPC. Everything is on
 * 127.0.0.1; the machine's cores are shared by all of them (see the load average notes).
 *
 * a. Latency, one vendor enrolled: a quote round trip through the engine in the broker's process and
 *    through the person API, next to a bare fastify echo round trip and a bare Ed25519 verify
 *    measured in the same run. Goal: ≥ 50% of 1 / (t_echo + t_verify). Broker CPU per quote.
 * b. Throughput of mediated offers over HTTP: three vendors enrolled (every quote gets three
 *    offers), C concurrent clients through the API; offers/s against the same sequential baseline.
 * c. Sustained load (`BENCH_LOAD_SECONDS`, default 60), four clients through the API: errors, the
 *    broker process's RSS from /proc every 250 ms, its peak. Goal: no errors, flat, under 300 MB.
 * d. Open loop at `BENCH_RATE` (500) req/s for `BENCH_RATE_SECONDS` (5), latency from each
 *    request's scheduled send time (a stall is not hidden), bounded: p99 added over the bare echo.
 *    Goal ≤ 5 ms. When the broker cannot keep up, the same at half its measured capacity.
 * Beside the broker, a floor measured in the same run: the signed relay in the broker's process
 *    (support/http-children.ts) does only the HTTP hops, the RFQ's signatures and the offer's
 *    verification with its replay record; no policy, provenance, screening, state or audit. In (a),
 *    (b) and (d), so a goal the floor itself misses on this machine is seen as such.
 * e. Start time: `startBroker()` with the demo world and web app until all answer, fresh data dir
 *    and restart, in a child of its own. Goal ≤ 5 s.
 *
 * Env: BENCH_LOAD_SECONDS (60), BENCH_RATE (500), BENCH_RATE_SECONDS (5), BENCH_QUOTES (400),
 * BENCH_THROUGHPUT_SECONDS (10), BENCH_CPU_PROF (a directory: CPU-profile the broker children).
 * Quick run: BENCH_LOAD_SECONDS=5 BENCH_RATE_SECONDS=2.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { verify as edVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateSigningKey, signMessage } from '@steward/identity';
import { measure, measureAsync, note, report, summarise } from '../../../test/bench/kit.ts';
import { freePortRange } from '../../../test/bench/ports.ts';
import {
  SPEC,
  type Answer,
  type BrokerReady,
  type EngineRun,
  type LoopDelay,
  type Usage,
  type VendorOrigins,
} from './support/http-shared.ts';

const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const QUOTES = Number(process.env.BENCH_QUOTES ?? 400);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 10);
const CHILDREN = fileURLToPath(new URL('./support/http-children.ts', import.meta.url));
/** The vendor every single-vendor case uses, and the three every quote asks in (b) and (c). */
const ONE = ['green-valley'];
const THREE = ['green-valley', 'quickbasket', 'megamart'];

const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `steward-bench-${name}-`));
  dirs.push(d);
  return d;
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const load = () =>
  `${loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')} on ${cpus().length} cores`;

// ---------- children ----------

const live = new Set<Child>();

/** A forked child of support/http-children.ts: `ready` is its first message, `call` a request over IPC. */
class Child<Ready = unknown> {
  readonly proc: ChildProcess;
  readonly ready: Promise<Ready>;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<void>;
  #next = 1;

  constructor(
    readonly role: string,
    args: string[] = [],
  ) {
    this.proc = fork(CHILDREN, [role, ...args], {
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each broker child, written when it exits.
      execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_CPU_PROF && role === 'broker' ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this);
    this.#exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.proc.on('message', (m: Answer) => {
        if ('ready' in m) return resolve(m.ready as Ready);
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(new Error(`${role} child: ${m.error}`));
      });
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        const error = new Error(`${role} child exited (${code ?? signal})`);
        reject(error);
        for (const p of this.#pending.values()) p.reject(error);
        this.#pending.clear();
      });
      this.proc.once('error', reject);
    });
    // Awaited where it matters; a child that dies first must not also crash this process unhandled.
    this.ready.catch(() => undefined);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Sends `op` and waits for the answer, at most `timeoutMs`. */
  call<T>(op: string, args?: unknown, timeoutMs = 180_000): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      if (!live.has(this) || !this.proc.connected)
        return reject(new Error(`${this.role} child is gone (\`${op}\`)`));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.role} child: \`${op}\` took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ id, op, args }, (error) => {
        if (error)
          this.#pending
            .get(id)
            ?.reject(new Error(`${this.role} child: cannot send \`${op}\`: ${error.message}`));
      });
    });
  }

  usage(): Promise<Usage> {
    return this.call<Usage>('usage');
  }

  /** Asks the child to close and exit; kills it if it has not within 10 s. */
  async close(): Promise<void> {
    if (!live.has(this)) return;
    await Promise.race([
      this.call('close', undefined, 10_000).catch(() => undefined),
      new Promise((r) => setTimeout(r, 10_000).unref()),
    ]);
    if (live.has(this)) {
      const gone = await Promise.race([
        this.#exited.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 2000).unref()),
      ]);
      if (!gone) this.proc.kill('SIGKILL');
    }
    await this.#exited;
  }
}

const killAll = () => {
  for (const c of live) c.proc.kill('SIGKILL');
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** A broker in its own process, and its vendors in another, enrolled as asked. */
interface World {
  broker: Child<BrokerReady>;
  vendors: Child;
  info: BrokerReady;
  origins: VendorOrigins;
}

async function startWorld(name: string, enrol: readonly string[]): Promise<World> {
  const broker = new Child<BrokerReady>('broker', [tempDir(name)]);
  const vendors = new Child('vendors');
  const info = await broker.ready;
  await vendors.ready;
  const origins = await vendors.call<VendorOrigins>('start', { brokerId: info.brokerId, jwks: info.jwks });
  const active = await broker.call<number>(
    'enrol',
    enrol.map((id) => origins[id]!),
  );
  if (active !== enrol.length) throw new Error(`enrolled ${active} vendors, wanted ${enrol.length}`);
  return { broker, vendors, info, origins };
}

/** VmRSS and VmHWM of a process, from /proc (bytes). */
function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// ---------- the client's side of the person API ----------

const firstFailures: string[] = [];
const fail = (what: string) => {
  if (firstFailures.length < 5) firstFailures.push(what);
};

/** Asks for quotes on `taskId` through the API: the number of offers, or -1 on an error answer. */
async function quoteViaApi(info: BrokerReady, taskId: string, signal?: AbortSignal): Promise<number> {
  const res = await fetch(`${info.url}/api/tasks/${taskId}/quotes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.token}` },
    ...(signal ? { signal } : {}),
  });
  const body = (await res.json()) as { offers?: unknown[] };
  if (res.status !== 200 || !Array.isArray(body.offers)) {
    fail(`${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return -1;
  }
  return body.offers.length;
}

/** One quote through the signed relay (the floor, see support/http-children.ts): offers, or -1. */
async function relayOnce(info: BrokerReady, signal?: AbortSignal): Promise<number> {
  const res = await fetch(info.relayUrl, { method: 'POST', ...(signal ? { signal } : {}) });
  const body = (await res.json()) as { offers?: number };
  if (res.status !== 200 || typeof body.offers !== 'number') {
    fail(`relay ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return -1;
  }
  return body.offers;
}

/** Creates a task and asks for its quotes through the API, as a person's agent does. */
async function taskAndQuote(info: BrokerReady): Promise<number> {
  const created = await fetch(`${info.url}/api/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(SPEC),
  });
  const body = (await created.json()) as { taskId?: string };
  if (created.status !== 201 || !body.taskId) {
    fail(`create ${created.status} ${JSON.stringify(body).slice(0, 300)}`);
    return -1;
  }
  return quoteViaApi(info, body.taskId);
}

interface ClosedLoop {
  seconds: number;
  calls: number;
  offers: number;
  errors: number;
}

/** `clients` concurrent loops of `once` for `seconds`; `once` answers a count (offers) or -1. */
async function closedLoop(
  clients: number,
  seconds: number,
  once: () => Promise<number>,
  expect: number,
): Promise<ClosedLoop> {
  const end = performance.now() + seconds * 1000;
  const out = { calls: 0, offers: 0, errors: 0 };
  const worker = async () => {
    while (performance.now() < end) {
      out.calls++;
      try {
        const n = await once();
        if (n > 0) out.offers += n;
        if (n !== expect) {
          out.errors++;
          if (n >= 0) fail(`${n} offers instead of ${expect} (a vendor missed the collection window)`);
        }
      } catch (error) {
        fail(String(error));
        out.errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  return { ...out, seconds: (performance.now() - t0) / 1000 };
}

interface OpenLoop {
  sent: number;
  done: number;
  errors: number;
  timedOut: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  achievedPerSec: number;
}

/** Sends `rate`/s for `seconds` on a fixed schedule; latency counts from each scheduled send time. */
async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number, signal: AbortSignal) => Promise<boolean>,
): Promise<OpenLoop> {
  // One controller per request: fetch listens on its signal, and thousands of listeners on one
  // shared signal would trip Node's leak warning.
  const controllers: AbortController[] = [];
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lat: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      send(i, (controllers[i] = new AbortController()).signal).then(
        (ok) => {
          if (ok) lat.push((performance.now() - due) * 1000);
          else errors++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  // Bounded in time: anything not back 15 s after the last send is aborted and counts as timed out.
  const done = Promise.all(inflight).then(() => true);
  const inTime = await Promise.race([
    done,
    new Promise<false>((r) => setTimeout(() => r(false), 15_000).unref()),
  ]);
  const elapsed = (performance.now() - start) / 1000;
  const finished = lat.length;
  const failed = errors;
  if (!inTime) {
    for (const c of controllers) c.abort();
    await done;
  }
  lat.length = finished;
  lat.sort((x, y) => x - y);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return {
    sent: count,
    done: finished,
    errors: failed,
    timedOut: count - finished - failed,
    p50Us: q(0.5),
    p99Us: q(0.99),
    maxUs: lat[lat.length - 1] ?? NaN,
    achievedPerSec: finished / elapsed,
  };
}


/** Waits until the broker (and its relay) has no quote running (aborted client requests leave theirs going). */
async function drain(world: World): Promise<number> {
  const t0 = performance.now();
  while ((await world.broker.call<number>('quoting')) > 0 && performance.now() - t0 < 60_000)
    await new Promise((r) => setTimeout(r, 100));
  return performance.now() - t0;
}

// ---------- the run ----------

async function main(): Promise<void> {
  note(`machine load average (1/5/15 min) at the start: ${load()}`);

  // e. Start time first, while nothing else of this bench runs; in its own child so the web bundle
  // and the demo world it loads weigh on nothing below.
  const timing = new Child<
    Record<'cold' | 'warm', { ms: number; sinceProcessStartMs: number; vendors: number }>
  >('start-time', [tempDir('start'), String(await freePortRange(8))]);
  const { cold, warm } = await timing.ready;
  await timing.close();

  // Bare baselines: Ed25519 verify in this process, the echo in its own.
  const vendorKey = generateSigningKey();
  const usd = (n: number) => ({ amountMinor: n, currency: 'USD' });
  const offerTokens = Array.from(
    { length: 5000 },
    (_, i) =>
      signMessage(
        'offer',
        {
          type: 'offer',
          offerId: `offer-${i}`,
          rfqId: 'rfq-bench',
          vendor: 'https://coop.bench',
          round: 0,
          items: [
            {
              sku: 'MILK-1L',
              name: 'Organic milk 1 L',
              quantity: 2,
              unitPrice: usd(489),
              lineTotal: usd(978),
              condition: 'new',
            },
          ],
          fees: [{ kind: 'delivery', label: 'Delivery', amount: usd(499) }],
          total: usd(1477),
          billingPeriod: 'one_off',
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
          termsHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
          sponsored: false,
          payee: { payoutId: 'acct:bench' },
          delivery: { start: '2026-11-28T09:00:00Z', end: '2026-11-28T12:00:00Z' },
        },
        { key: vendorKey, iss: 'https://coop.bench', aud: 'steward:broker:bench' },
      ).token,
  );
  let v = 0;
  const verifySample = measure(
    'bare Ed25519 verify (node:crypto, this process)',
    () => {
      const t = offerTokens[v++ % offerTokens.length]!;
      const dot = t.lastIndexOf('.');
      if (
        !edVerify(
          null,
          Buffer.from(t.slice(0, dot)),
          vendorKey.publicKey,
          Buffer.from(t.slice(dot + 1), 'base64url'),
        )
      )
        throw new Error('verify');
    },
    20_000,
  );

  const echo = new Child<{ url: string }>('echo');
  const echoUrl = (await echo.ready).url;
  // About the size of the A2A request that carries a signed RFQ.
  const echoBody = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'SendMessage',
    params: {
      message: {
        messageId: 'm',
        role: 'ROLE_USER',
        parts: [{ data: { steward: 'rfq', jws: offerTokens[0]! } }],
      },
    },
  });
  const echoKeepAlive = (signal?: AbortSignal) =>
    fetch(echoUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: echoBody,
      ...(signal ? { signal } : {}),
    }).then((r) => r.json());
  const echoNewConnection = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        echoUrl,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echoBody) },
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve());
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(echoBody);
    });
  // The broker keeps one keep-alive connection pool per vendor, so keep-alive is the like-for-like
  // transport baseline; a new connection per request is shown for reference.
  const echoKa = await measureAsync(
    'bare fastify echo round trip (keep-alive fetch, echo in its own process)',
    () => echoKeepAlive(),
    3000,
    300,
  );
  const echoNc = await measureAsync(
    'bare fastify echo round trip (new connection)',
    echoNewConnection,
    3000,
    300,
  );
  const tEcho = echoKa.medianUs;
  const tVerify = verifySample.medianUs;
  const ideal = 1e6 / (tEcho + tVerify);

  // ----- a and d: one vendor -----
  const one = await startWorld('one', ONE);
  const { info } = one;
  const eng = await one.broker.call<EngineRun>('engineQuotes', { n: 30, warmup: 0, expectOffers: 1 }); // warm the JIT and the connection pool
  if (eng.errors > 0) fail(`warm-up: ${eng.errors} quotes without the one offer`);
  const vCpu0 = await one.vendors.usage();
  const engine = await one.broker.call<EngineRun>('engineQuotes', { n: QUOTES, warmup: 70, expectOffers: 1 });
  const vCpu1 = await one.vendors.usage();
  const engineSample = summarise(
    'mediated offer: quote round trip to one vendor (engine in the broker process, over HTTP to the vendor)',
    engine.timesMs,
    engine.totalMs,
  );

  const apiN = Math.floor(QUOTES / 2);
  const apiTasks = await one.broker.call<string[]>('createTasks', apiN + 50);
  let a = 0;
  let apiErrors = 0;
  const viaApiOnce = async () => {
    if ((await quoteViaApi(info, apiTasks[a++]!)) !== 1) apiErrors++;
  };
  for (let i = 0; i < 50; i++) await viaApiOnce();
  const [bApi0, vApi0] = await Promise.all([one.broker.usage(), one.vendors.usage()]);
  const viaApi = await measureAsync(
    'mediated offer through the person API (client → broker → vendor)',
    viaApiOnce,
    apiN,
    0,
  );
  const [bApi1, vApi1] = await Promise.all([one.broker.usage(), one.vendors.usage()]);
  for (let i = 0; i < 50; i++) await relayOnce(info);
  const [bRelay0, vRelay0] = await Promise.all([one.broker.usage(), one.vendors.usage()]);
  let relayErrors = 0;
  const relaySample = await measureAsync(
    'floor: signed relay (client → relay → vendor: signatures, verification and replay record only)',
    async () => {
      if ((await relayOnce(info)) !== 1) relayErrors++;
    },
    apiN,
    0,
  );
  const [bRelay1, vRelay1] = await Promise.all([one.broker.usage(), one.vendors.usage()]);

  report(
    'a. latency: one quote round trip to one vendor, sequential',
    {
      name: 'ideal: 1 / (t_echo keep-alive + t_verify), medians',
      iterations: 0,
      medianUs: tEcho + tVerify,
      p99Us: NaN,
      opsPerSec: ideal,
    },
    [echoKa, echoNc, verifySample, engineSample, viaApi, relaySample],
  );
  const relayRate = 1e6 / relaySample.medianUs;
  const engRate = 1e6 / engineSample.medianUs;
  const apiRate = 1e6 / viaApi.medianUs;
  note(
    `t_echo ${ms(tEcho)} (keep-alive), ${ms(echoNc.medianUs)} (new connection); t_verify ${tVerify.toFixed(1)} µs; ideal 1/(t_echo + t_verify) = ${ideal.toFixed(0)}/s`,
  );
  note(
    `latency ratio, engine in the broker process: 1/median ${ms(engineSample.medianUs)} = ${engRate.toFixed(0)}/s = ${pct(engRate / ideal)} of the ideal (goal ≥ 50%: ${goal(engRate / ideal >= 0.5)})`,
  );
  note(
    `latency ratio, through the person API (one more HTTP hop than the ideal counts): 1/median ${ms(viaApi.medianUs)} = ${apiRate.toFixed(0)}/s = ${pct(apiRate / ideal)} of the ideal (goal ≥ 50%: ${goal(apiRate / ideal >= 0.5)})`,
  );
  note(
    `CPU per quote, broker process: ${(cpuMs(engine.cpuUs) / QUOTES).toFixed(2)} ms through the engine, ${((cpuMs(bApi1.cpuUs) - cpuMs(bApi0.cpuUs)) / apiN).toFixed(2)} ms through the API; vendor process: ${((cpuMs(vCpu1.cpuUs) - cpuMs(vCpu0.cpuUs)) / (QUOTES + 70)).toFixed(2)} ms, ${((cpuMs(vApi1.cpuUs) - cpuMs(vApi0.cpuUs)) / apiN).toFixed(2)} ms`,
  );
  note(
    `floor, the signed relay (the same two HTTP hops, RFQ signing, transport and offer verification, nothing else): 1/median ${ms(relaySample.medianUs)} = ${relayRate.toFixed(0)}/s = ${pct(relayRate / ideal)} of the ideal; CPU per quote ${((cpuMs(bRelay1.cpuUs) - cpuMs(bRelay0.cpuUs)) / apiN).toFixed(2)} ms in the broker process, ${((cpuMs(vRelay1.cpuUs) - cpuMs(vRelay0.cpuUs)) / apiN).toFixed(2)} ms in the vendor's; the broker API takes ${(viaApi.medianUs / relaySample.medianUs).toFixed(2)}× the relay's time`,
  );
  note(
    `errors (a quote without its one offer): ${engine.errors} through the engine, ${apiErrors} through the API, ${relayErrors} through the relay`,
  );

  // d. Open loop, same world. The echo first, then the broker.
  const echoLoad = await openLoop(RATE, RATE_SECONDS, (_i, signal) => echoKeepAlive(signal).then(() => true));
  const rateTasks = await one.broker.call<string[]>('createTasks', Math.round(RATE * RATE_SECONDS));
  await one.broker.call('eldStart');
  const brokerLoad = await openLoop(
    RATE,
    RATE_SECONDS,
    async (i, signal) => (await quoteViaApi(info, rateTasks[i]!, signal)) === 1,
  );
  const eld = await one.broker.call<LoopDelay>('eldStop');
  const brokerDrainMs = await drain(one);
  const relayLoad = await openLoop(RATE, RATE_SECONDS, async (_i, signal) => (await relayOnce(info, signal)) === 1);
  console.log(
    `\n## d. open loop at ${RATE} req/s for ${RATE_SECONDS} s (latency from scheduled send time; one vendor)`,
  );
  console.log('| case | sent | ok | errors | timed out | p50 ms | p99 ms | max ms | completed/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const row = (name: string, r: OpenLoop) =>
    console.log(
      `| ${name} | ${r.sent} | ${r.done} | ${r.errors} | ${r.timedOut} | ${(r.p50Us / 1000).toFixed(2)} | ${(r.p99Us / 1000).toFixed(2)} | ${(r.maxUs / 1000).toFixed(2)} | ${r.achievedPerSec.toFixed(0)} |`,
    );
  row('bare fastify echo', echoLoad);
  row('quote through the broker API to one vendor', brokerLoad);
  row('floor: the signed relay to one vendor', relayLoad);
  const sustained =
    brokerLoad.achievedPerSec >= RATE * 0.95 && brokerLoad.errors === 0 && brokerLoad.timedOut === 0;
  const addedP99 = brokerLoad.p99Us - echoLoad.p99Us;
  note(
    `broker event-loop delay during its run: p99 ${eld.p99Ms.toFixed(1)} ms, max ${eld.maxMs.toFixed(1)} ms (its own process now)`,
  );
  note(
    `p99 added latency at ${RATE} req/s: ${ms(addedP99)} (broker p99 ${ms(brokerLoad.p99Us)} − echo p99 ${ms(echoLoad.p99Us)}) (goal ≤ 5 ms: ${goal(sustained && addedP99 <= 5000)}); the broker ${sustained ? 'kept up with' : 'could NOT keep up with'} the offered rate (${brokerLoad.achievedPerSec.toFixed(0)}/s completed)`,
  );
  note(`the broker drained its backlog in ${(brokerDrainMs / 1000).toFixed(1)} s`);
  await drain(one);
  const relayKept = relayLoad.achievedPerSec >= RATE * 0.95 && relayLoad.errors === 0 && relayLoad.timedOut === 0;
  note(
    `floor at ${RATE} req/s: the signed relay adds p99 ${ms(relayLoad.p99Us - echoLoad.p99Us)} and ${relayKept ? 'kept up' : 'could NOT keep up'} (${relayLoad.achievedPerSec.toFixed(0)}/s completed)`,
  );
  if (!sustained) {
    // Half the closed-loop sequential capacity measured through the API in (a).
    const half = Math.max(10, Math.floor((apiRate * 0.5) / 10) * 10);
    const tasks2 = await one.broker.call<string[]>('createTasks', Math.round(half * RATE_SECONDS));
    const echo2 = await openLoop(half, RATE_SECONDS, (_i, signal) => echoKeepAlive(signal).then(() => true));
    await one.broker.call('eldStart');
    const broker2 = await openLoop(
      half,
      RATE_SECONDS,
      async (i, signal) => (await quoteViaApi(info, tasks2[i]!, signal)) === 1,
    );
    const eld2 = await one.broker.call<LoopDelay>('eldStop');
    row(`bare fastify echo at ${half} req/s`, echo2);
    row(`quote through the broker API at ${half} req/s (half its sequential capacity)`, broker2);
    const ok2 = broker2.errors + broker2.timedOut === 0 && broker2.achievedPerSec >= half * 0.95;
    note(
      `at ${half} req/s: p99 added ${ms(broker2.p99Us - echo2.p99Us)} (${ok2 ? 'kept up' : 'did NOT keep up'}); broker event-loop delay max ${eld2.maxMs.toFixed(1)} ms`,
    );
    await drain(one);
  }
  await Promise.all([one.broker.close(), one.vendors.close()]);

  // ----- c and b: three vendors, a fresh broker -----
  const three = await startWorld('three', THREE);
  const rssIdle = procMemory(three.broker.pid).rss;
  const expect = THREE.length;
  const warmUp = await closedLoop(4, 2, () => taskAndQuote(three.info), expect);
  if (warmUp.errors > 0) fail(`warm-up: ${warmUp.errors} errors`);
  await three.broker.call('gc');

  // c. Sustained load, before the heavier throughput runs so the peak belongs to it.
  const pid = three.broker.pid;
  const samples: number[] = [];
  const memStart = procMemory(pid);
  const sampler = setInterval(() => samples.push(procMemory(pid).rss), 250);
  const [bLoad0, vLoad0] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
  const sustainedRun = await closedLoop(4, LOAD_SECONDS, () => taskAndQuote(three.info), expect);
  const [bLoad1, vLoad1] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
  clearInterval(sampler);
  const memEnd = procMemory(pid);
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const firstTenth = avg(samples.slice(0, tenth));
  const lastTenth = avg(samples.slice(-tenth));
  const sampledPeak = Math.max(memStart.rss, ...samples, memEnd.rss);
  const peak = Math.max(sampledPeak, memEnd.hwm, bLoad1.maxRssKb * 1024);
  console.log(
    `\n## c. sustained load: ${sustainedRun.seconds.toFixed(0)} s, 4 clients, each creating a task and asking for quotes through the API (3 vendors)`,
  );
  note(
    `${sustainedRun.calls} task+quote round trips (${(sustainedRun.calls / sustainedRun.seconds).toFixed(0)}/s), ${sustainedRun.offers} offers, ${sustainedRun.errors} errors (an answer short of 3 offers counts) (goal none: ${goal(sustainedRun.errors === 0)})`,
  );
  note(
    `broker process RSS (VmRSS, /proc every 250 ms, ${samples.length} samples): idle after start and enrolment ${mb(rssIdle)}; load start ${mb(memStart.rss)}, end ${mb(memEnd.rss)}, sampled peak ${mb(sampledPeak)}; mean of first tenth ${mb(firstTenth)}, last tenth ${mb(lastTenth)}; VmHWM ${mb(memEnd.hwm)}, maxRSS ${mb(bLoad1.maxRssKb * 1024)} (lifetime peaks: start, warm-up and this load)`,
  );
  note(
    `goal flat (last tenth ≤ 1.25 × first) and peak < 300 MB: ${goal(peak < 300 * 2 ** 20 && lastTenth <= firstTenth * 1.25)}; broker heap used at the end ${mb(bLoad1.memory.heapUsed)}; vendors process RSS ${mb(vLoad1.memory.rss)}`,
  );
  const loadBrokerCpu = cpuMs(bLoad1.cpuUs) - cpuMs(bLoad0.cpuUs);
  note(
    `CPU per quote (task creation included): broker ${(loadBrokerCpu / sustainedRun.calls).toFixed(2)} ms (${pct(loadBrokerCpu / 1000 / sustainedRun.seconds)} of one core), vendors ${((cpuMs(vLoad1.cpuUs) - cpuMs(vLoad0.cpuUs)) / sustainedRun.calls).toFixed(2)} ms for 3 offers`,
  );

  // b. Throughput of mediated offers.
  console.log(
    `\n## b. throughput of mediated offers over HTTP: 3 vendors, C concurrent clients through the API, ${THROUGHPUT_SECONDS} s each`,
  );
  console.log(
    '| case | quotes | offers | errors | quotes/s | offers/s | vs 1/(t_echo + t_verify) | broker CPU ms/quote | broker CPU use | vendors CPU ms/quote |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const echoConcurrent: string[] = [];
  const throughputRatios: string[] = [];
  for (const c of [4, 8]) {
    const [b0, v0] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
    const r = await closedLoop(c, THROUGHPUT_SECONDS, () => taskAndQuote(three.info), expect);
    const [b1, v1] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
    const offersPerSec = r.offers / r.seconds;
    const bCpu = cpuMs(b1.cpuUs) - cpuMs(b0.cpuUs);
    console.log(
      `| C = ${c} | ${r.calls} | ${r.offers} | ${r.errors} | ${(r.calls / r.seconds).toFixed(0)} | ${offersPerSec.toFixed(0)} | ${pct(offersPerSec / ideal)} | ${(bCpu / r.calls).toFixed(2)} | ${pct(bCpu / 1000 / r.seconds)} of a core | ${((cpuMs(v1.cpuUs) - cpuMs(v0.cpuUs)) / r.calls).toFixed(2)} |`,
    );
    throughputRatios.push(`C = ${c}: ${offersPerSec.toFixed(0)} offers/s = ${pct(offersPerSec / ideal)}`);
    const e = await closedLoop(c, 3, async () => ((await echoKeepAlive()) ? 1 : -1), 1);
    echoConcurrent.push(`C = ${c}: ${(e.calls / e.seconds).toFixed(0)}/s`);
    const [rb0, rv0] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
    const fl = await closedLoop(c, THROUGHPUT_SECONDS, () => relayOnce(three.info), expect);
    const [rb1, rv1] = await Promise.all([three.broker.usage(), three.vendors.usage()]);
    const flPerSec = fl.offers / fl.seconds;
    const rbCpu = cpuMs(rb1.cpuUs) - cpuMs(rb0.cpuUs);
    console.log(
      `| floor: signed relay, C = ${c} | ${fl.calls} | ${fl.offers} | ${fl.errors} | ${(fl.calls / fl.seconds).toFixed(0)} | ${flPerSec.toFixed(0)} | ${pct(flPerSec / ideal)} | ${(rbCpu / fl.calls).toFixed(2)} | ${pct(rbCpu / 1000 / fl.seconds)} of a core | ${((cpuMs(rv1.cpuUs) - cpuMs(rv0.cpuUs)) / fl.calls).toFixed(2)} |`,
    );
  }
  note(
    `what is compared: concurrent throughput (offers received in quote answers per second, C clients at once, each quote asking 3 vendors) against a sequential baseline (1/(t_echo + t_verify) = ${ideal.toFixed(0)}/s, one request at a time); ${throughputRatios.join('; ')}; the weaker latency ratio of (a) stands beside it: ${pct(engRate / ideal)} engine, ${pct(apiRate / ideal)} API`,
  );
  note(
    'like for like: each broker quote is two API calls (create the task, ask for quotes), as a person\'s agent makes them; each relay quote is one call with no task',
  );
  note(
    `for scale, the bare echo's own concurrent throughput (keep-alive, same clients): ${echoConcurrent.join(', ')}`,
  );
  await Promise.all([three.broker.close(), three.vendors.close()]);
  await echo.close();

  console.log(
    '\n## e. start time (startBroker() → broker /healthz, web app /, every demo vendor card and the registry answering)',
  );
  note(
    `fresh data dir: ${(cold.ms / 1000).toFixed(2)} s; restart on the same dir: ${(warm.ms / 1000).toFixed(2)} s (${cold.vendors} vendors) (goal ≤ 5 s: ${goal(Math.max(cold.ms, warm.ms) <= 5000)})`,
  );
  note(
    `fresh data dir counted from the process's start (node, tsx and module loading included, as \`pnpm start\` runs it after its checks): ${(cold.sinceProcessStartMs / 1000).toFixed(2)} s (goal ≤ 5 s: ${goal(cold.sinceProcessStartMs <= 5000)})`,
  );
  if (firstFailures.length > 0) note(`first failures: ${firstFailures.join(' | ')}`);
  note(`machine load average (1/5/15 min) at the end: ${load()}`);
}

try {
  await main();
} catch (error) {
  console.error(error);
  if (firstFailures.length > 0) console.error(`first failures: ${firstFailures.join(' | ')}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...live].map((c) => c.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
