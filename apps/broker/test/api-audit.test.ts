import { parseVerifierKey, verifyCheckpoint, verifyConsistency, verifyExport, verifyInclusion } from '@steward/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoBroker, type DemoBroker } from './helpers/demo-broker.ts';

let t: DemoBroker;

beforeAll(async () => {
  t = await startDemoBroker('api-audit');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

interface Entry {
  index: number;
  event: { type: string; summary: string; vendor?: string };
  leafHash: string;
  payloadState: string;
}
interface CheckpointView {
  note: string;
  size: number;
  rootHash: string;
  publicKey: { name: string; key: string };
}

const b64 = (s: string) => Buffer.from(s, 'base64');
const checkpointRoot = (cp: CheckpointView) => verifyCheckpoint(cp.note, [parseVerifierKey(cp.publicKey.key)], cp.note.split('\n')[0]);

describe('GET /api/audit', () => {
  it('refuses without the token', async () => {
    const res = await t.call('GET', '/api/audit', undefined, { token: null });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('ERR_AUTH_MISSING');
  });

  it('lists entries newest first, filters by type and text, and pages with a cursor', async () => {
    const all = await t.call<{ entries: Entry[]; nextCursor?: string }>('GET', '/api/audit?limit=200');
    expect(all.status).toBe(200);
    const indexes = all.json.entries.map((e) => e.index);
    expect(indexes.length).toBeGreaterThan(5);
    expect(indexes).toEqual([...indexes].sort((a, b) => b - a));

    const enrolled = await t.call<{ entries: Entry[] }>('GET', '/api/audit?type=vendor.enrolled');
    expect(enrolled.json.entries.length).toBe(t.broker.demo!.vendors.length);
    expect(enrolled.json.entries.every((e) => e.event.type === 'vendor.enrolled')).toBe(true);

    const vendor = t.broker.demo!.vendors[0]!.origin;
    const byVendor = await t.call<{ entries: Entry[] }>('GET', `/api/audit?vendor=${encodeURIComponent(vendor)}`);
    expect(byVendor.json.entries.length).toBeGreaterThan(0);
    expect(byVendor.json.entries.every((e) => e.event.vendor === vendor)).toBe(true);

    const text = await t.call<{ entries: Entry[] }>('GET', '/api/audit?q=policy');
    expect(text.json.entries.some((e) => e.event.type === 'policy.applied')).toBe(true);

    const first = await t.call<{ entries: Entry[]; nextCursor?: string }>('GET', '/api/audit?limit=2');
    expect(first.json.entries).toHaveLength(2);
    expect(first.json.nextCursor).toBeTypeOf('string');
    const second = await t.call<{ entries: Entry[] }>('GET', `/api/audit?limit=2&cursor=${encodeURIComponent(first.json.nextCursor!)}`);
    expect(second.json.entries[0]!.index).toBe(first.json.entries[1]!.index - 1);
  });

  it('answers 400 problem+json for bad filters', async () => {
    for (const q of ['type=not.a.type', 'limit=0', 'limit=abc', 'decision=maybe', 'from=yesterday', 'unknown=1']) {
      const res = await t.call('GET', `/api/audit?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json.code, q).toBe('ERR_REQUEST_INVALID');
    }
    const cursor = await t.call('GET', '/api/audit?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.json.code).toBe('ERR_AUDIT_CURSOR_INVALID');
  });
});

describe('GET /api/audit/:index', () => {
  it('returns one entry, its personal payload while present, and marks it erased after erasure', async () => {
    const log = t.broker.steward.audit;
    const receipt = log.appendDurably(
      { type: 'disclosure', at: new Date().toISOString(), actor: 'broker', summary: 'test disclosure with a payload' },
      { payload: { address: '1 Test Street' } },
    );
    const present = await t.call<Entry & { payload?: unknown; erased: boolean }>('GET', `/api/audit/${receipt.index}`);
    expect(present.status).toBe(200);
    expect(present.json).toMatchObject({ index: receipt.index, payload: { address: '1 Test Street' }, erased: false, payloadState: 'present' });
    log.erasePayload(receipt.index);
    const erased = await t.call<Entry & { payload?: unknown; erased: boolean }>('GET', `/api/audit/${receipt.index}`);
    expect(erased.json.erased).toBe(true);
    expect(erased.json.payload).toBeUndefined();
    expect(erased.body).not.toContain('1 Test Street');
  });

  it('answers 404 beyond the log and 400 for a non-number', async () => {
    const missing = await t.call('GET', '/api/audit/99999999');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('ERR_AUDIT_INDEX_OUT_OF_RANGE');
    const bad = await t.call('GET', '/api/audit/-1');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('proofs', () => {
  it('an entry proves against the checkpoint root, the log grows, and the two checkpoints are consistent', async () => {
    const cp1 = (await t.call<CheckpointView>('GET', '/api/audit/checkpoint')).json;
    const root1 = checkpointRoot(cp1);
    expect(root1.size).toBe(cp1.size);
    expect(root1.root.toString('base64')).toBe(cp1.rootHash);

    const p1 = (await t.call<{ index: number; treeSize: number; leafHash: string; proof: string[]; checkpoint: string }>('GET', '/api/audit/3/proof')).json;
    expect(p1.treeSize).toBe(cp1.size);
    expect(p1.checkpoint).toBe(cp1.note);
    verifyInclusion(p1.index, p1.treeSize, b64(p1.leafHash), p1.proof.map(b64), root1.root);
    // A proof for another leaf must not verify for this one.
    expect(() => verifyInclusion(4, p1.treeSize, b64(p1.leafHash), p1.proof.map(b64), root1.root)).toThrow();

    // The log grows; the proof of the newest entry makes the broker sign a fresh checkpoint.
    const receipt = t.broker.steward.audit.appendDurably({ type: 'task.created', at: new Date().toISOString(), actor: 'person', summary: 'a later event' });
    const p2 = (await t.call<{ index: number; treeSize: number; leafHash: string; proof: string[]; checkpoint: string }>('GET', `/api/audit/${receipt.index}/proof`)).json;
    expect(p2.treeSize).toBe(receipt.index + 1);
    const cp2 = (await t.call<CheckpointView>('GET', '/api/audit/checkpoint')).json;
    expect(cp2.size).toBe(p2.treeSize);
    const root2 = checkpointRoot(cp2);
    verifyInclusion(p2.index, p2.treeSize, b64(p2.leafHash), p2.proof.map(b64), root2.root);

    const c = await t.call<{ from: number; to: number; proof: string[] }>('GET', `/api/audit/consistency?from=${cp1.size}&to=${cp2.size}`);
    expect(c.status).toBe(200);
    verifyConsistency(cp1.size, cp2.size, c.json.proof.map(b64), root1.root, root2.root);
    // The same proof does not connect a different old root.
    expect(() => verifyConsistency(cp1.size, cp2.size, c.json.proof.map(b64), root2.root, root2.root)).toThrow();
  });

  it('refuses an inverted or out-of-range consistency request', async () => {
    const inverted = await t.call('GET', '/api/audit/consistency?from=5&to=2');
    expect(inverted.status).toBe(400);
    expect(inverted.json.code).toBe('ERR_REQUEST_INVALID');
    const beyond = await t.call('GET', '/api/audit/consistency?from=1&to=99999999');
    expect(beyond.status).toBe(404);
    expect(beyond.json.code).toBe('ERR_AUDIT_INDEX_OUT_OF_RANGE');
    const empty = await t.call<{ proof: string[] }>('GET', '/api/audit/consistency?from=0&to=3');
    expect(empty.status).toBe(200);
    expect(empty.json.proof).toEqual([]);
    const missing = await t.call('GET', '/api/audit/consistency');
    expect(missing.status).toBe(400);
  });

  it('POST /api/audit/verify recomputes the whole log', async () => {
    const res = await t.call<{ ok: boolean; size: number; problems: unknown[] }>('POST', '/api/audit/verify');
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(true);
    expect(res.json.problems).toEqual([]);
    expect(res.json.size).toBe(t.broker.steward.audit.size);
  });
});

describe('GET /api/audit/export', () => {
  it('streams JSON Lines over HTTP that verify with the broker key alone', async () => {
    const cp = (await t.call<CheckpointView>('GET', '/api/audit/checkpoint')).json;
    const res = await fetch(`${t.broker.url}/api/audit/export`, { headers: { authorization: `Bearer ${t.broker.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const lines = (await res.text()).split('\n').filter(Boolean);
    const report = await verifyExport(lines, parseVerifierKey(cp.publicKey.key));
    expect(report.ok).toBe(true);
    expect(report.eventsChecked).toBe(cp.size);
    // A tampered line fails.
    const tampered = lines.map((l, i) => (i === 2 ? l.replace(/"summary":"/, '"summary":"X') : l));
    expect((await verifyExport(tampered, parseVerifierKey(cp.publicKey.key))).ok).toBe(false);
  });

  it('refuses without the token', async () => {
    const res = await fetch(`${t.broker.url}/api/audit/export`);
    expect(res.status).toBe(401);
  });
});
