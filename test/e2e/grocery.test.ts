/**
 * The main job, end to end over real HTTP on 127.0.0.1: the broker with its real SQLite file and
 * the demo vendor world (each vendor a real A2A server with its own keys), driven through the
 * person-facing API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { verifyLog } from '@steward/audit';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let broker: RunningBroker;
let dir: string;

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${broker.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-e2e-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0' }, quiet, { demo: true, demoBasePort: 0, collectionWindowMs: 3000, web: false });
}, 60_000);

afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Offer {
  offerId: string;
  offerHash: string;
  vendor: { origin: string; displayName: string; verified: boolean };
  total: { amountMinor: number; currency: string };
  flags: Array<{ kind: string; summary: string }>;
  constraintGaps: string[];
}

describe('grocery task end to end', () => {
  it('negotiates with several vendors, flags the undisclosed affiliate, asks, orders after approval, commits the ledger and keeps a verifiable log', async () => {
    const created = await api<{ taskId: string }>('POST', '/api/tasks', {
      category: 'groceries',
      summary: 'groceries for this week under $80',
      items: [
        { description: 'milk', quantity: 2 },
        { description: 'eggs', quantity: 1 },
        { description: 'bread', quantity: 1 },
        { description: 'bananas', quantity: 1 },
        { description: 'chicken', quantity: 1 },
        { description: 'coffee', quantity: 1 },
      ],
      budget: { amountMinor: 8000, currency: 'USD' },
      constraints: {},
    });
    expect(created.status).toBe(201);
    const taskId = created.json.taskId;

    const quotes = await api<{ offers: Offer[] }>('POST', `/api/tasks/${taskId}/quotes`);
    expect(quotes.status).toBe(200);
    const offers = quotes.json.offers;
    const vendors = new Set(offers.map((o) => o.vendor.displayName));
    expect(vendors.size).toBeGreaterThanOrEqual(3);
    const quick = offers.find((o) => o.vendor.displayName.includes('QuickBasket'));
    expect(quick, `offers: ${[...vendors].join(', ')}`).toBeDefined();
    expect(quick!.flags.map((f) => f.kind), JSON.stringify(quick!.flags, null, 1)).toContain('undisclosed_affiliation');
    // No false alarms on the honest shops: the co-op carries no conflict or staleness flag.
    const coop = offers.find((o) => o.vendor.displayName.includes("Co-op"));
    expect(coop?.flags ?? [], JSON.stringify(coop?.flags)).toEqual([]);
    for (const o of offers) expect(o.vendor.verified).toBe(true);

    const unflagged = offers.filter((o) => !o.flags.some((f) => f.kind === 'undisclosed_affiliation' || f.kind === 'affiliated_counterparty'));
    const pick = [...unflagged].sort((a, b) => a.total.amountMinor - b.total.amountMinor)[0]!;
    const rec = await api<{ flags: unknown[] }>('POST', `/api/tasks/${taskId}/recommend`, { offerId: pick.offerId });
    expect(rec.status).toBe(200);

    const first = await api<{ status: string; approval?: { approvalId: string; summary: { total: { amountMinor: number } } } }>('POST', `/api/tasks/${taskId}/order`, { offerId: pick.offerId });
    expect(first.status).toBe(200);
    expect(first.json.status).toBe('needs_approval');
    expect(first.json.approval!.summary.total.amountMinor).toBe(pick.total.amountMinor);

    const pending = await api<{ approvals: Array<{ approvalId: string }> }>('GET', '/api/approvals');
    expect(pending.json.approvals.map((a) => a.approvalId)).toContain(first.json.approval!.approvalId);

    const done = await api<{ status: string; orderId?: string; reasons: string[]; detail?: string }>('POST', `/api/approvals/${first.json.approval!.approvalId}`, { answer: 'approve' });
    expect(done.json.reasons, JSON.stringify(done.json)).toBeDefined();
    expect(done.json.reasons.join(" ")).not.toMatch(/refused/);
    expect(done.json.status, JSON.stringify(done.json)).toBe('ordered');

    const order = broker.steward.store.db.prepare('SELECT status, offer_hash, receipt_jws, jws FROM broker_orders WHERE order_id = ?').get(done.json.orderId) as { status: string; offer_hash: string; receipt_jws: string; jws: string };
    // The signed order carries a payment token bound to it, never the card itself.
    const signedOrder = JSON.parse(Buffer.from(order.jws.split('.')[1]!, 'base64url').toString()) as { paymentToken?: string; orderId: string };
    expect(signedOrder.paymentToken).toBeDefined();
    const token = JSON.parse(Buffer.from(signedOrder.paymentToken!.split('.')[1]!, 'base64url').toString()) as { orderId: string; payee: unknown };
    expect(token.orderId).toBe(signedOrder.orderId);
    expect(order.jws).not.toContain('4242');
    expect(JSON.stringify(token)).not.toContain('4242');
    expect(order.status).toBe('accepted');
    expect(order.offer_hash).toBe(pick.offerHash);
    expect(order.receipt_jws.split('.')).toHaveLength(3);
    const committed = broker.steward.store.db.prepare("SELECT SUM(amount_minor) AS total FROM policy_ledger WHERE state = 'committed'").get() as { total: number };
    expect(committed.total).toBe(pick.total.amountMinor);

    broker.steward.audit.flush();
    const types = broker.steward.audit.query({ limit: 500 }).entries.map((e) => e.event.type);
    for (const t of ['task.created', 'message.received', 'flag', 'approval.requested', 'approval.granted', 'order.signed', 'receipt.received', 'ledger.committed']) {
      expect(types, t).toContain(t);
    }
    const report = verifyLog(broker.steward.store);
    expect(report.ok).toBe(true);
  }, 60_000);
});

async function chat(text: string, conversationId?: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${broker.url}/api/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${broker.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text, ...(conversationId ? { conversationId } : {}) }),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const body = await res.text();
  return body
    .split('\n\n')
    .map((chunk) => chunk.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

describe('delegating by chat (offline rules mode)', () => {
  it('turns a sentence into a task, negotiates, reaches an approval and orders once approved', async () => {
    const events = await chat('buy groceries for this week under $80: milk, eggs, bread, bananas');
    expect(events[0]).toMatchObject({ type: 'conversation', mode: 'offline-rules' });
    const done = events.find((e) => e.type === 'done');
    expect(done, JSON.stringify(events.map((e) => [e.type, e.text]))).toBeDefined();
    expect(events.every((e) => e.mode === 'offline-rules')).toBe(true);
    expect(typeof done!.approvalId, JSON.stringify(events.map((e) => [e.type, e.text ?? e.outcome]))).toBe("string");
    expect(done!.approvalId).toMatch(/^ap_/);
    const approved = await api<{ status: string }>('POST', `/api/approvals/${String(done!.approvalId)}`, { answer: 'approve' });
    expect(approved.json.status).toBe('ordered');
  }, 60_000);

  it('asks a clarifying question for what it cannot complete, and keeps the conversation', async () => {
    const events = await chat('book a table at 7pm tomorrow');
    const question = events.find((e) => e.type === 'question');
    expect(question?.text).toMatch(/how many|people|party/i);
    const conversationId = String(events[0]!.conversationId);
    const stored = await api<{ messages: unknown[] }>('GET', `/api/conversations/${conversationId}`);
    expect(stored.json.messages.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('restart after a broker key rotation', () => {
  it('reopens the log and extends checkpoints signed by the previous key', async () => {
    const rdir = mkdtempSync(join(tmpdir(), 'steward-rotate-'));
    try {
      const first = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, { demo: false, web: false });
      first.steward.audit.checkpoint();
      first.steward.keys.rotate('broker', { publishAheadSeconds: 0, overlapSeconds: 60 });
      await first.close();
      const second = await startBroker({ STEWARD_DATA_DIR: rdir, STEWARD_PORT: '0' }, quiet, { demo: false, web: false });
      second.steward.engine.createTask({ category: 'general', summary: 'a phone charger', items: [{ description: 'charger', quantity: 1 }], constraints: {} });
      second.steward.audit.flush();
      const checkpoint = second.steward.audit.checkpoint();
      expect(checkpoint.size).toBeGreaterThan(0);
      expect(verifyLog(second.steward.store).ok).toBe(true);
      await second.close();
    } finally {
      rmSync(rdir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('earlier conversations', () => {
  it('lists conversations newest first, titled by the first words', async () => {
    await chat('book a table for 2 at 8pm tomorrow near the river');
    const list = await api<{ conversations: Array<{ conversationId: string; title: string; updatedAt: string }> }>('GET', '/api/conversations');
    expect(list.status).toBe(200);
    expect(list.json.conversations[0]!.title).toContain('book a table for 2');
    expect(list.json.conversations.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
