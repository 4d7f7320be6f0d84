/**
 * Shared harness of the attack tests (THREATS.md): the real broker with the demo vendor world in
 * which Bargain Hub is hostile with one attack, driven through the person-facing HTTP API, and
 * the audit log read back after a flush.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AuditEvent, AuditEventType } from '@steward/protocol';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { HostileVendor } from '@steward/vendors';
import { afterAll, beforeAll, expect } from 'vitest';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** The collection window: generous for a loaded 2-core machine; quotes return as soon as every vendor answered. */
export const WINDOW_MS = 5000;

/** An offer as the API shows it (docs/api.md, OfferView). */
export interface OfferView {
  offerId: string;
  vendorOfferId: string;
  offerHash: string;
  termsHash: string;
  sameParty?: { vendors: string[]; offerIds: string[] };
  vendor: { origin: string; displayName: string; verified: boolean };
  items: Array<{ sku: string; name: string; quantity: number; lineTotal: { amountMinor: number; currency: string } }>;
  fees: { amountMinor: number; currency: string };
  total: { amountMinor: number; currency: string };
  billingPeriod: string;
  expiresAt: number;
  sponsored: boolean;
  round: number;
  constraintGaps: string[];
  flags: Array<{ kind: string; severity: string; summary: string }>;
  untrustedVendorText: string;
}

/** What placing an order answered. */
export interface OrderAnswer {
  status: 'ordered' | 'needs_approval' | 'denied' | 'failed';
  reasons: string[];
  approval?: { approvalId: string; summary: { total: { amountMinor: number; currency: string }; items: unknown[]; reasons: string[]; flags: Array<{ kind: string }> } };
  orderId?: string;
}

/** A running broker with a hostile Bargain Hub, and helpers to drive it. */
export interface AttackBed {
  broker: RunningBroker;
  /** The hostile vendor's origin. */
  hostile: string;
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  /** Creates a grocery task and collects quotes; returns the task id and the offers. */
  quote(spec?: Partial<GroceryTask>): Promise<{ taskId: string; offers: OfferView[] }>;
  /** Audit events of a task (oldest first), after a flush. */
  events(taskId: string, types?: readonly AuditEventType[]): AuditEvent[];
  /** Audit events of every task (oldest first), after a flush. */
  allEvents(types?: readonly AuditEventType[]): AuditEvent[];
  /** The hostile vendor's own handle (what it received, the callbacks it saw). */
  agent(): HostileVendor;
  /** Places an order for an offer; approves once if the broker asks. */
  orderApproving(taskId: string, offerId: string): Promise<{ first: OrderAnswer; final: OrderAnswer }>;
  close(): Promise<void>;
}

/** The demo grocers that are not hostile in any attack (Bargain Hub is the hostile one). */
export const BENIGN_GROCERS = ['Green Valley Co-op', 'MegaMart', 'QuickBasket'] as const;

/**
 * No false alarm: each benign grocer's offer is present, verified and carries none of `kinds`, and
 * none of their messages was refused in the task.
 */
export function expectBenignUnaffected(bed: AttackBed, taskId: string, offers: readonly OfferView[], kinds: readonly string[]): void {
  for (const name of BENIGN_GROCERS) {
    const offer = offers.find((o) => o.vendor.displayName === name && o.vendor.origin !== bed.hostile);
    expect(offer, `${name} has an offer`).toBeDefined();
    expect(offer!.vendor.verified).toBe(true);
    const hit = offer!.flags.filter((f) => kinds.includes(f.kind));
    expect(hit, `${name} wrongly flagged`).toEqual([]);
  }
  const refused = bed.events(taskId, ['message.rejected']).filter((e) => e.vendor !== bed.hostile);
  expect(refused.map((e) => e.summary)).toEqual([]);
}

/** The hostile vendor's offer in a list, if any. */
export function hostileOffer(bed: AttackBed, offers: readonly OfferView[]): OfferView | undefined {
  return offers.find((o) => o.vendor.origin === bed.hostile);
}

/** The refusals of the hostile vendor's messages in a task (`message.rejected`), with their codes. */
export function hostileRefusals(bed: AttackBed, taskId: string): Array<{ code: unknown; summary: string }> {
  return bed.events(taskId, ['message.rejected']).filter((e) => e.vendor === bed.hostile).map((e) => ({ code: e.data?.code, summary: e.summary }));
}

/** Registers a bed for the enclosing `describe`: started before its tests, closed after. */
export function useAttackBed(attack: string | undefined, options: BedOptions = {}): () => AttackBed {
  let bed: AttackBed | undefined;
  beforeAll(async () => {
    bed = await startAttackBed(attack, options);
  }, 60_000);
  afterAll(async () => {
    await bed?.close();
  });
  return () => {
    if (!bed) throw new Error('the attack bed did not start');
    return bed;
  };
}

/** The grocery task the attacks run against. */
export interface GroceryTask {
  category: 'groceries';
  summary: string;
  items: Array<{ description: string; quantity: number }>;
  budget: { amountMinor: number; currency: string };
  constraints: Record<string, unknown>;
}

export const GROCERY_TASK: GroceryTask = {
  category: 'groceries',
  summary: 'groceries for this week under $80',
  items: [
    { description: 'milk', quantity: 2 },
    { description: 'eggs', quantity: 1 },
    { description: 'bread', quantity: 1 },
    { description: 'bananas', quantity: 1 },
  ],
  budget: { amountMinor: 8000, currency: 'USD' },
  constraints: {},
};

export interface BedOptions {
  windowMs?: number;
  /** The per-vendor allowance of messages a minute (THREATS #33); the broker's default otherwise. */
  vendorMessagesPerMinute?: number;
  /**
   * Remove the demo person's phone number, so a small order needs no data-sharing approval (the
   * default policy asks before sharing the phone) and goes straight to the vendor.
   */
  withoutPhone?: boolean;
}

/** Starts the broker, the demo world and a hostile Bargain Hub doing `attack`. */
export async function startAttackBed(attack: string | undefined, options: BedOptions = {}): Promise<AttackBed> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-attack-'));
  let broker: RunningBroker;
  try {
    broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0' }, quiet, {
      demo: true,
      demoBasePort: 0,
      ...(attack ? { attack } : {}),
      collectionWindowMs: options.windowMs ?? WINDOW_MS,
      ...(options.vendorMessagesPerMinute === undefined ? {} : { vendorMessagesPerMinute: options.vendorMessagesPerMinute }),
      web: false,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (options.withoutPhone) broker.steward.profile.remove('phone');
  const hostileVendor = broker.demo?.vendors.find((v) => v.id === 'bargain-hub');
  if (!hostileVendor) throw new Error('the demo world has no Bargain Hub');
  const api: AttackBed['api'] = async (method, path, body) => {
    const res = await fetch(`${broker.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${broker.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as never };
  };
  const allEvents = (types?: readonly AuditEventType[]) => {
    broker.steward.audit.flush();
    return broker.steward.audit.query({ limit: 500, order: 'asc', ...(types ? { types } : {}) }).entries.map((e) => e.event);
  };
  return {
    broker,
    hostile: hostileVendor.origin,
    api,
    async quote(spec = {}) {
      const created = await api<{ taskId: string }>('POST', '/api/tasks', { ...GROCERY_TASK, ...spec });
      if (created.status !== 201) throw new Error(`task not created: ${JSON.stringify(created.json)}`);
      const quotes = await api<{ offers: OfferView[] }>('POST', `/api/tasks/${created.json.taskId}/quotes`);
      if (quotes.status !== 200) throw new Error(`quotes failed: ${JSON.stringify(quotes.json)}`);
      return { taskId: created.json.taskId, offers: quotes.json.offers };
    },
    events(taskId, types) {
      broker.steward.audit.flush();
      return broker.steward.audit.query({ taskId, limit: 500, order: 'asc', ...(types ? { types } : {}) }).entries.map((e) => e.event);
    },
    allEvents,
    agent() {
      const a = broker.demo?.running.get('bargain-hub')?.agent;
      if (!(a instanceof HostileVendor)) throw new Error('Bargain Hub is not hostile in this bed');
      return a;
    },
    async orderApproving(taskId, offerId) {
      const first = (await api<OrderAnswer>('POST', `/api/tasks/${taskId}/order`, { offerId })).json;
      if (first.status !== 'needs_approval') return { first, final: first };
      const final = (await api<OrderAnswer>('POST', `/api/approvals/${first.approval!.approvalId}`, { answer: 'approve' })).json;
      return { first, final };
    },
    async close() {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
