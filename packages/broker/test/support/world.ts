/**
 * A small in-process vendor world for engine tests: vendors with real Ed25519 keys that sign
 * offers and receipts with @steward/identity, scripted per test, behind a fake transport.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MIGRATIONS as IDENTITY_MIGRATIONS,
  ReplayStore,
  generateSigningKey,
  publishedJwk,
  signMessage,
  verifyMessage,
  type SigningKey,
} from '@steward/identity';
import { MIGRATIONS as POLICY_MIGRATIONS, SpendLedger, loadPolicy, type CompiledPolicy } from '@steward/policy';
import { FixedClock, type AuditEvent, type Flag, type Money, type SignedOffer } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { BrokerEngine, MIGRATIONS, type BrokerEngineOptions, type EnrolledVendor, type OutboundMessage, type ReceivedOffer, type VendorReply, type VendorTransport } from '../../src/index.ts';

export const BROKER_ID = 'steward:broker:test';
/** The terms every fake vendor serves at `/terms`, and the SHA-256 its offers sign (THREATS #36). */
export const TERMS_TEXT = 'Returns within 14 days. Delivery as quoted. Prices include tax.';
const TERMS = createHash('sha256').update(TERMS_TEXT, 'utf8').digest('base64url');
export const usd = (amountMinor: number): Money => ({ amountMinor, currency: 'USD' });

export interface FakeVendor {
  record: EnrolledVendor;
  key: SigningKey;
  /** Lines as [sku, name, quantity, unit price]. */
  lines: Array<[string, string, number, number]>;
  deliveryFee: number;
  /** Change what the vendor sends; return a reply to short-circuit. */
  onRfq?: (payload: Record<string, unknown>) => VendorReply | Record<string, unknown> | undefined;
  onOrder?: (order: Record<string, unknown>, token: string) => VendorReply | undefined;
  receiptTotal?: Money;
  /** What it serves at `/terms` (default {@link TERMS_TEXT}, which its offers hash). */
  termsText?: string;
  floorMinor?: number;
  offers: string[];
}

export function makeVendor(origin: string, name: string, options: Partial<FakeVendor> = {}): FakeVendor {
  const key = generateSigningKey();
  return {
    key,
    lines: [
      ['MILK-1L', 'Organic milk 1 L', 2, 489],
      ['EGGS-12', 'Free-range eggs, dozen', 1, 659],
      ['BREAD-SD', 'Sourdough loaf', 2, 525],
      ['CHICKEN-1KG', 'Chicken thighs 1 kg', 1, 1499],
      ['COFFEE-340', 'Coffee beans 340 g', 1, 1249],
    ],
    deliveryFee: 499,
    offers: [],
    ...options,
    record: {
      origin,
      displayName: name,
      a2aUrl: `${origin}/a2a`,
      categories: ['groceries'],
      status: 'active',
      keyThumbprints: [key.kid],
      publicJwks: [publishedJwk(key)],
      payoutId: `acct:${name.toLowerCase().replace(/\W+/g, '-')}`,
      verified: true,
      signedCard: true,
      verificationLevel: 'verified',
      registry: 'https://registry.test',
      declaredOwners: [],
      declaredAffiliations: [],
      isNew: false,
      ...options.record,
    },
  };
}

export interface World {
  store: Store;
  clock: FixedClock;
  engine: BrokerEngine;
  vendors: Map<string, FakeVendor>;
  audit: AuditEvent[];
  progress: string[];
  user: SigningKey;
  policy: { current: CompiledPolicy };
  ledger: SpendLedger;
  revokedOrigins: Set<string>;
  affiliated: Set<string>;
  pickFlags: Flag[];
  dir: string;
  /** The fake vendors' transport, also when a test replaced the engine's (to wrap it). */
  vendorTransport: VendorTransport;
}

export const defaultPolicy = (): string => readFileSync(new URL('../../../../policies/default.yaml', import.meta.url), 'utf8');

/** Overrides for the engine; a test transport may leave `fetchTerms` to the fake vendors. */
export type WorldOverrides = Omit<Partial<BrokerEngineOptions>, 'transport'> & {
  transport?: Pick<VendorTransport, 'exchange'> & Partial<VendorTransport>;
};

export function makeWorld(vendorList: FakeVendor[], overrides: WorldOverrides = {}, dbPath?: string): World {
  const dir = mkdtempSync(join(tmpdir(), 'steward-broker-'));
  const clock = new FixedClock(Date.parse('2026-11-25T15:00:00Z'));
  const store = openStore(dbPath ?? join(dir, 'steward.db'), { migrations: { identity: IDENTITY_MIGRATIONS, policy: POLICY_MIGRATIONS, broker: MIGRATIONS } });
  const vendors = new Map(vendorList.map((v) => [v.record.origin, v]));
  const audit: AuditEvent[] = [];
  const progress: string[] = [];
  const user = generateSigningKey();
  const broker = generateSigningKey();
  const policy = { current: loadPolicy(defaultPolicy(), 'default.yaml') };
  const ledger = new SpendLedger(store, { clock });
  const revokedOrigins = new Set<string>();
  const affiliated = new Set<string>();
  const pickFlags: Flag[] = [];
  const vendorReplay = new ReplayStore(store);

  const transport: VendorTransport = {
    fetchTerms: (record) => Promise.resolve(Buffer.from(vendors.get(record.origin)?.termsText ?? TERMS_TEXT, 'utf8')),
    async exchange(record: EnrolledVendor, message: OutboundMessage): Promise<VendorReply> {
      const v = vendors.get(record.origin)!;
      const brokerKeys = (kid: string) => (kid === broker.kid ? { kid, alg: broker.alg, publicKey: broker.publicKey, publicJwk: broker.publicJwk, owner: BROKER_ID } : kid === user.kid ? { kid, alg: user.alg, publicKey: user.publicKey, publicJwk: user.publicJwk, owner: BROKER_ID } : undefined);
      const verifyOpts = { audience: record.origin, resolveKey: brokerKeys, replay: vendorReplay, revocation: { isKeyRevoked: () => false, isOriginRevoked: () => false }, clock };
      if (message.steward === 'rfq') {
        const rfq = verifyMessage(message.jws, 'rfq', verifyOpts).payload;
        const custom = v.onRfq?.(rfq);
        if (custom && 'steward' in custom) return custom as VendorReply;
        const items = v.lines.map(([sku, name, quantity, unit], i) => ({ sku, name, quantity, unitPrice: usd(unit), lineTotal: usd(unit * quantity), requestIndex: i, condition: 'new' as const }));
        const fees = [{ kind: 'delivery' as const, label: 'Delivery', amount: usd(v.deliveryFee) }];
        const total = usd(items.reduce((s, i) => s + i.lineTotal.amountMinor, 0) + v.deliveryFee);
        const body = {
          type: 'offer' as const,
          offerId: `offer-${v.offers.length + 1}`,
          rfqId: rfq.rfqId,
          vendor: record.origin,
          round: 0,
          items,
          fees,
          total,
          billingPeriod: 'one_off' as const,
          expiresAt: Math.floor(clock.now() / 1000) + 900,
          termsHash: TERMS,
          sponsored: false,
          delivery: { start: '2026-11-28T09:00:00Z', end: '2026-11-28T12:00:00Z' },
          payee: { payoutId: record.payoutId },
          ...(custom ?? {}),
        } as Parameters<typeof signMessage<'offer'>>[1];
        const token = signMessage('offer', body, { key: v.key, iss: record.origin, aud: BROKER_ID, clock }).token;
        v.offers.push(token);
        return { steward: 'offer', jws: token };
      }
      if (message.steward === 'counter_offer') {
        const counter = verifyMessage(message.jws, 'counterOffer', verifyOpts).payload;
        const previous = JSON.parse(Buffer.from(v.offers.at(-1)!.split('.')[1]!, 'base64url').toString()) as SignedOffer;
        // The vendor gives up to its whole delivery fee, never going under its floor.
        const floor = v.floorMinor ?? previous.total.amountMinor;
        const target = Math.max(floor, counter.askTotal?.amountMinor ?? previous.total.amountMinor);
        const fee = previous.fees[0]!.amount.amountMinor;
        const reduction = Math.min(Math.max(0, previous.total.amountMinor - target), fee);
        const fees = [{ ...previous.fees[0]!, amount: usd(fee - reduction) }, ...previous.fees.slice(1)];
        const body = { ...previous, offerId: `offer-${v.offers.length + 1}`, round: counter.round, previousOfferId: counter.offerId, fees, total: usd(previous.total.amountMinor - reduction) } as Record<string, unknown>;
        for (const claim of ['iss', 'aud', 'iat', 'exp', 'jti']) delete body[claim];
        const token = signMessage('offer', body as Parameters<typeof signMessage<'offer'>>[1], { key: v.key, iss: record.origin, aud: BROKER_ID, clock }).token;
        v.offers.push(token);
        return { steward: 'offer', jws: token };
      }
      const order = verifyMessage(message.jws, 'order', verifyOpts);
      const custom = v.onOrder?.(order.payload, message.jws);
      if (custom) return custom;
      const receipt = {
        type: 'receipt' as const,
        receiptId: `rcpt-${order.payload.orderId}`,
        orderId: order.payload.orderId,
        orderHash: order.hash,
        status: 'accepted' as const,
        total: v.receiptTotal ?? order.payload.total,
      };
      return { steward: 'receipt', jws: signMessage('receipt', receipt, { key: v.key, iss: record.origin, aud: BROKER_ID, clock }).token };
    },
  };

  const engine = new BrokerEngine({
    store,
    clock,
    brokerId: BROKER_ID,
    keys: { broker, user },
    replay: new ReplayStore(store),
    revocation: { isKeyRevoked: () => false, isOriginRevoked: (o) => revokedOrigins.has(o) },
    vendors: { list: () => [...vendors.values()].map((v) => v.record), get: (o) => vendors.get(o)?.record },
    policy: () => policy.current,
    ledger,
    provenance: {
      flagOffers: ({ offers }: { offers: readonly ReceivedOffer[] }) =>
        offers
          .filter((o) => affiliated.has(o.offer.vendor))
          .map((o) => ({ kind: 'undisclosed_affiliation' as const, severity: 'critical' as const, summary: `${o.offer.vendor} is owned by your agent's maker and does not say so`, confidence: 0.95, vendor: o.offer.vendor, offerId: o.offer.offerId, evidence: [{ child: 'shop', parent: 'maker', relation: 'owns' as const, origin: 'registry' as const, source: 'test registry attestation' }] })),
      checkPick: () => pickFlags,
      impersonation: () => [], isAffiliated: (v) => affiliated.has(v.origin),
    },
    disclosure: {
      plan: () => ({ allowed: { name: 'Ada Lovelace', address: '12 Analytical Way, Springfield' }, ask: [], denied: [] }),
      record: () => undefined,
      scanOutbound: () => undefined,
    },
    audit: { append: (event) => void audit.push(event) },
    collectionWindowMs: 200,
    onProgress: (e) => progress.push(`${e.stage}: ${e.message}`),
    ...overrides,
    transport: overrides.transport ? { fetchTerms: (v, s) => transport.fetchTerms(v, s), ...overrides.transport } : transport,
  });
  return { store, clock, engine, vendors, audit, progress, user, policy, ledger, revokedOrigins, affiliated, pickFlags, dir, vendorTransport: transport };
}

export const groceryTask = {
  category: 'groceries',
  summary: 'groceries for the week under $80, delivered Saturday',
  items: [
    { description: 'milk', quantity: 2 },
    { description: 'eggs', quantity: 1 },
    { description: 'bread', quantity: 2 },
  ],
  budget: usd(8000),
  constraints: { deliveryDay: '2026-11-28' },
};

/** Money committed or held in the ledger, in USD minor units. */
export function spentUsd(world: World): number {
  return world.ledger.spent({ budgetId: 'test', currency: 'USD', sinceMs: 0, nowMs: world.clock.now() });
}
