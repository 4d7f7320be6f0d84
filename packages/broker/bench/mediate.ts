/**
 * Mediated offers per second in process: signature + pinned key + revocation + claims + schema +
 * durable replay record + screening of every vendor string + offer row + audit event (group commit),
 * next to bare node:crypto Ed25519 verification of the same tokens, in the same run.
 * Each mediated case yields to the event loop after its offer (or window), as the server does
 * between requests, so the audit log's group commit runs inside the measurement: the leaf rows, the
 * tree update and the commit are counted (the WAL fdatasync runs in the thread pool, as in production).
 * Goal (issue 7): in-process ≥ 60% of the bare verify rate.
 */
import { verify as edVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS as AUDIT_MIGRATIONS, openAuditLog } from '@steward/audit';
import { MIGRATIONS as IDENTITY_MIGRATIONS, ReplayStore, generateSigningKey, importVerificationKey, publishedJwk, signMessage, verifyMessage } from '@steward/identity';
import { MIGRATIONS as POLICY_MIGRATIONS, SpendLedger, loadPolicy } from '@steward/policy';
import { openStore } from '@steward/store';
import { readFileSync } from 'node:fs';
import { BrokerEngine, MIGRATIONS } from '../src/index.ts';
import { measure, measureAsync, note, report } from '../../../test/bench/kit.ts';

const N = Number(process.env.BENCH_OFFERS ?? 20_000);
let acknowledged = 0;
const dir = mkdtempSync(join(tmpdir(), 'steward-bench-mediate-'));
const store = openStore(join(dir, 'bench.db'), { migrations: { identity: IDENTITY_MIGRATIONS, policy: POLICY_MIGRATIONS, audit: AUDIT_MIGRATIONS, broker: MIGRATIONS } });
const audit = openAuditLog(store);
const vendorKey = generateSigningKey();
const origin = 'https://coop.bench';
const vendor = {
  origin,
  displayName: 'Bench Co-op',
  a2aUrl: `${origin}/a2a`,
  categories: ['groceries' as const],
  status: 'active' as const,
  keyThumbprints: [vendorKey.kid],
  publicJwks: [publishedJwk(vendorKey)],
  payoutId: 'acct:bench',
  verified: true,
  signedCard: true,
  declaredOwners: [],
  declaredAffiliations: [],
  isNew: false,
};
const engine = new BrokerEngine({
  store,
  brokerId: 'steward:broker:bench',
  keys: { broker: generateSigningKey(), user: generateSigningKey() },
  replay: new ReplayStore(store),
  revocation: { isKeyRevoked: () => false, isOriginRevoked: () => false },
  vendors: { list: () => [vendor], get: (o) => (o === origin ? vendor : undefined) },
  transport: { exchange: () => Promise.reject(new Error('no network in this bench')), fetchTerms: () => Promise.reject(new Error('no network in this bench')) },
  policy: (() => {
    const p = loadPolicy(readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8'));
    return () => p;
  })(),
  ledger: new SpendLedger(store),
  provenance: { flagOffers: () => [], checkPick: () => [], impersonation: () => [], isAffiliated: () => false },
  disclosure: { plan: () => ({ allowed: {}, ask: [], denied: [] }), record: () => undefined, scanOutbound: () => undefined },
  // This measures capacity: the per-vendor allowance (THREATS #33, 120 a minute) would refuse the run.
  vendorMessagesPerMinute: Number.MAX_SAFE_INTEGER,
  audit: {
    append: (event, options) => {
      if (options?.durable) audit.appendDurably(event);
      else void audit.append(event).then(() => acknowledged++);
    },
  },
});
const { taskId } = engine.createTask({ category: 'groceries', summary: 'bench', items: [{ description: 'milk', quantity: 1 }], constraints: {} });
const usd = (n: number) => ({ amountMinor: n, currency: 'USD' });
const tokens = Array.from({ length: 2 * N + Math.floor(N / 2) + 1500 }, (_, i) =>
  signMessage(
    'offer',
    {
      type: 'offer',
      offerId: `offer-${i}`,
      rfqId: 'rfq-bench',
      vendor: origin,
      round: 0,
      items: [
        { sku: 'MILK-1L', name: 'Organic milk 1 L', quantity: 2, unitPrice: usd(489), lineTotal: usd(978), condition: 'new' },
        { sku: 'EGGS-12', name: 'Free-range eggs, dozen', quantity: 1, unitPrice: usd(659), lineTotal: usd(659), condition: 'new' },
      ],
      fees: [{ kind: 'delivery', label: 'Delivery', amount: usd(499) }],
      total: usd(2136),
      billingPeriod: 'one_off',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      termsHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
      sponsored: false,
      delivery: { start: '2026-11-28T09:00:00Z', end: '2026-11-28T12:00:00Z' },
      payee: { payoutId: 'acct:bench' },
      note: 'Locally sourced, delivered in reusable crates',
    },
    { key: vendorKey, iss: origin, aud: 'steward:broker:bench', lifetimeSeconds: 600 },
  ).token,
);

let bare = 0;
const bareSample = measure(
  'bare node:crypto Ed25519 verify',
  () => {
    const t = tokens[bare++ % tokens.length]!;
    const dot = t.lastIndexOf('.');
    edVerify(null, Buffer.from(t.slice(0, dot)), vendorKey.publicKey, Buffer.from(t.slice(dot + 1), 'base64url'));
  },
  N,
);
// The floor: only the identity check every offer needs before the broker does anything with it
// (signature, claims, schema, revocation, durable replay record), in windows of ten as below.
const floorReplay = new ReplayStore(store);
const floorKey = importVerificationKey(publishedJwk(vendorKey), origin);
const floorOptions = {
  audience: 'steward:broker:bench',
  resolveKey: (kid: string) => (kid === floorKey.kid ? floorKey : undefined),
  replay: floorReplay,
  revocation: { isKeyRevoked: () => false, isOriginRevoked: () => false },
};
let k = 0;
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const mediated = await measureAsync('mediated offer (verify + claims + schema + replay + screen + store + audit)', async () => {
  engine.receiveOffer(taskId, origin, { steward: 'offer', jws: tokens[k++]! }, { rfqId: 'rfq-bench', round: 0 });
  await yieldTurn();
}, N, 1000);
const WINDOW = 10;
const windowed = await measureAsync(
  `mediated offers, ${WINDOW} per collection window in one commit (per offer)`,
  async () => {
    const batch = Array.from({ length: WINDOW }, () => ({ vendorOrigin: origin, reply: { steward: 'offer', jws: tokens[k++]! } }));
    engine.receiveOffers(taskId, batch, { rfqId: 'rfq-bench', round: 0 });
    await yieldTurn();
  },
  Math.floor(N / WINDOW),
  10,
);
// The broker's deferred audit commits land before the floor is measured, not inside it.
audit.flush();
await audit.store.whenSynced();
await yieldTurn();
const floorWindowed = await measureAsync(
  'floor: identity check only (verify + claims + schema + replay record), 10 per commit (per offer)',
  async () => {
    store.transaction(() => {
      for (let i = 0; i < WINDOW; i++) verifyMessage(tokens[k++]!, 'offer', floorOptions);
    });
    await yieldTurn();
  },
  Math.floor(N / (4 * WINDOW)),
  10,
);
// The floor plus the one other thing every received message needs: its audit event (group commit).
const floorAudited = await measureAsync(
  'floor + the audit event of each offer (identity check, replay record, audit append), 10 per commit (per offer)',
  async () => {
    store.transaction(() => {
      for (let i = 0; i < WINDOW; i++) {
        const v = verifyMessage(tokens[k++]!, 'offer', floorOptions);
        void audit.append({
          type: 'message.received',
          at: new Date().toISOString(),
          taskId,
          actor: `vendor:${origin}`,
          vendor: origin,
          summary: `offer from Bench Co-op: $21.36`,
          data: { offerId: v.payload.offerId, offerHash: v.hash, kid: v.key.kid, round: v.payload.round },
        });
      }
    });
    await yieldTurn();
  },
  Math.floor(N / (4 * WINDOW)),
  10,
);
const auditedPerOffer = { ...floorAudited, iterations: floorAudited.iterations * WINDOW, medianUs: floorAudited.medianUs / WINDOW, p99Us: floorAudited.p99Us / WINDOW, opsPerSec: floorAudited.opsPerSec * WINDOW };
const floorPerOffer = { ...floorWindowed, iterations: floorWindowed.iterations * WINDOW, medianUs: floorWindowed.medianUs / WINDOW, p99Us: floorWindowed.p99Us / WINDOW, opsPerSec: floorWindowed.opsPerSec * WINDOW };
const perOffer = { ...windowed, iterations: windowed.iterations * WINDOW, medianUs: windowed.medianUs / WINDOW, p99Us: windowed.p99Us / WINDOW, opsPerSec: windowed.opsPerSec * WINDOW };
audit.flush();
await audit.store.whenSynced();
await yieldTurn();
report(`broker: mediated offers in process (${N} offers)`, bareSample, [mediated, perOffer, floorPerOffer, auditedPerOffer]);
const ratio = mediated.opsPerSec / bareSample.opsPerSec;
const wratio = perOffer.opsPerSec / bareSample.opsPerSec;
note(`medians: bare ${bareSample.medianUs.toFixed(1)} µs; mediated ${mediated.medianUs.toFixed(1)} µs with a commit per offer, ${perOffer.medianUs.toFixed(1)} µs per offer with one commit per window`);
note(`throughput: ${(ratio * 100).toFixed(1)}% of bare verification with a commit per offer; ${(wratio * 100).toFixed(1)}% with one commit per ${WINDOW}-offer window (goal ≥ 60%: ${wratio >= 0.6 ? 'met' : 'NOT met'})`);
note(`floor: the identity check alone (what any broker must do per offer) reaches ${((floorPerOffer.opsPerSec / bareSample.opsPerSec) * 100).toFixed(1)}% of bare verification; everything the broker adds (screening, offer row, audit event, flags) must fit in the rest`);
note(`floor with each offer's audit event: ${((auditedPerOffer.opsPerSec / bareSample.opsPerSec) * 100).toFixed(1)}% of bare verification (median ${auditedPerOffer.medianUs.toFixed(1)} µs per offer)`);
note(`audit log size after the run: ${audit.size} events, ${acknowledged} group-committed appends acknowledged durable`);
store.close();
rmSync(dir, { recursive: true, force: true });
