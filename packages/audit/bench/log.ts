/**
 * Audit log throughput: appends/s (one durable append at a time, and group-committed), full
 * verification and export rate over a log of AUDIT_BENCH_EVENTS events (default 1,000,000), next
 * to raw SHA-256 leaf hashing of the same bytes in the same run, and the peak RSS.
 * Quick run: AUDIT_BENCH_EVENTS=100000 pnpm bench audit
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { AuditEvent } from '@steward/protocol';
import { openStore } from '@steward/store';
import { canonicalEvent, exportLog, hashLeaf, MIGRATIONS, openAuditLog, verifyLog } from '../src/index.ts';
import { measure, note, report, type Sample } from '../../../test/bench/kit.ts';

if (process.argv[2] === '--verify-export') {
  const [, , , dbPath, count] = process.argv;
  const vstore = openStore(dbPath!, { migrations: { audit: MIGRATIONS } });
  // Baseline in this process, right before verify: raw leaf hashing of stored event bytes.
  const sample = vstore.db
    .prepare('SELECT event FROM audit_leaves ORDER BY idx LIMIT 10000')
    .pluck()
    .all() as Buffer[];
  let j = 0;
  const rawHere = measure('raw', () => hashLeaf(sample[j++ % sample.length]!), 200_000, 20_000);
  const v0 = performance.now();
  const result = verifyLog(vstore);
  const verifyMs = performance.now() - v0;
  if (!result.ok || result.size !== Number(count))
    throw new Error(`bench log does not verify: ${JSON.stringify(result.problem)}`);
  const vlog = openAuditLog(vstore);
  let bytes = 0;
  const e0 = performance.now();
  exportLog(vlog, (c) => void (bytes += c.length));
  const exportMs = performance.now() - e0;
  vlog.close();
  vstore.close();
  process.stdout.write(
    JSON.stringify({
      verifyMs,
      exportMs,
      bytes,
      rawOpsPerSec: rawHere.opsPerSec,
      rssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  process.exit(0);
}

const N = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const CHUNK = 4096;
const dir = mkdtempSync(join(tmpdir(), 'steward-audit-bench-'));
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function event(i: number): AuditEvent {
  return {
    type: i % 10 === 0 ? 'decision' : 'message.received',
    at: new Date(Date.UTC(2026, 10, 25) + i * 1000).toISOString(),
    actor: 'vendor:https://shop.example',
    vendor: i % 3 === 0 ? 'https://shop.example' : 'https://other.example',
    taskId: `task-${i % 97}`,
    ...(i % 10 === 0 ? { decision: 'allow' as const, policyVersion: 'v12' } : {}),
    summary: `offer ${i} received from shop: 3 items, total 48.97 USD, delivery Saturday`,
    data: { offerId: `off-${i}`, items: 3, totalMinor: 4897, currency: 'USD' },
  };
}

/** A throughput sample from per-chunk timings (median per event inside a chunk). */
function chunkSample(
  name: string,
  perChunkMs: number[],
  perChunk: number,
  totalMs: number,
  count: number,
): Sample {
  const sorted = [...perChunkMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    name,
    iterations: count,
    medianUs: (at(0.5) * 1000) / perChunk,
    p99Us: (at(0.99) * 1000) / perChunk,
    opsPerSec: count / (totalMs / 1000),
  };
}

const { privateKey } = generateKeyPairSync('ed25519');
const signer = { name: 'bench.steward/audit', privateKey };

// Baseline: raw SHA-256 leaf hashing (0x00 ‖ bytes) of the same canonical events.
const sampleBytes = Array.from({ length: 10_000 }, (_, i) => canonicalEvent(event(i)).bytes);
const avgBytes = Math.round(sampleBytes.reduce((s, b) => s + b.length, 0) / sampleBytes.length);
let k = 0;
const raw = measure(
  'raw SHA-256 leaf hash (baseline)',
  () => hashLeaf(sampleBytes[k++ % sampleBytes.length]!),
  200_000,
  20_000,
);

// Single durable appends (synchronous=FULL, one fsync each).
{
  const store = openStore(join(dir, 'single.db'), { migrations: { audit: MIGRATIONS } });
  const log = openAuditLog(store, { signer });
  let i = 0;
  const single = measure('append, one durable event at a time', () => log.appendDurably(event(i++)), 300, 20);
  report('durable single appends vs raw hashing', raw, [single]);
  log.close();
  store.close();
}

// Group-committed appends: N events, acknowledged per batch once durable.
const path = join(dir, 'group.db');
const store = openStore(path, { migrations: { audit: MIGRATIONS } });
const log = openAuditLog(store, { signer, groupCommit: { maxBatch: 1024, maxDelayMs: 2 } });
const chunkMs: number[] = [];
const t0 = performance.now();
for (let start = 0; start < N; start += CHUNK) {
  const c0 = performance.now();
  const ps: Promise<unknown>[] = [];
  for (let i = start; i < Math.min(N, start + CHUNK); i++) ps.push(log.append(event(i)));
  await Promise.all(ps);
  chunkMs.push(performance.now() - c0);
}
const appendMs = performance.now() - t0;
const group = chunkSample(
  'append, group-committed (Merkle update, FTS, durable)',
  chunkMs,
  CHUNK,
  appendMs,
  N,
);
log.checkpoint();
const rssAfterAppend = rssMb();
log.close();
store.close();

// Full verification and export run in a child process of their own, so their peak RSS is theirs alone.
const child = spawnSync(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(import.meta.url), '--verify-export', path, String(N)],
  {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
if (child.status !== 0) throw new Error(`verify/export child failed: ${child.stdout}`);
const res = JSON.parse(child.stdout) as {
  verifyMs: number;
  exportMs: number;
  bytes: number;
  rawOpsPerSec: number;
  rssMb: number;
};
const verify = chunkSample(
  'full verify (recompute leaves, nodes, root, checkpoint)',
  [res.verifyMs],
  N,
  res.verifyMs,
  N,
);
const exp = chunkSample('export JSONL (streamed)', [res.exportMs], N, res.exportMs, N);
const bytes = res.bytes;

report(`log of ${N.toLocaleString('en-US')} events (avg ${avgBytes} B canonical event)`, raw, [
  group,
  verify,
  exp,
]);
const verifyRatio = verify.opsPerSec / res.rawOpsPerSec;
note(
  `group commit: ${Math.round(group.opsPerSec).toLocaleString('en-US')} events/s — goal ≥ 20,000: ${group.opsPerSec >= 20_000 ? 'met' : 'NOT met'}`,
);
note(
  `verify: ${Math.round(verify.opsPerSec).toLocaleString('en-US')} events/s = ${(verifyRatio * 100).toFixed(1)}% of raw leaf hashing measured in the same process just before (${Math.round(res.rawOpsPerSec).toLocaleString('en-US')}/s) — goal ≥ 50%: ${verifyRatio >= 0.5 ? 'met' : 'NOT met'}`,
);
note(
  `machine load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores (other work shares them; absolute rates scale with it)`,
);
note(
  `peak RSS of verify + export of ${N.toLocaleString('en-US')} events (own process): ${res.rssMb} MB — goal < 150 MB: ${res.rssMb < 150 ? 'met' : 'NOT met'}; the appending process peaked at ${rssAfterAppend} MB`,
);
note(
  `database: ${(statSync(path).size / 1e6).toFixed(0)} MB for ${N.toLocaleString('en-US')} events; export ${(bytes / 1e6).toFixed(0)} MB`,
);
rmSync(dir, { recursive: true, force: true });
