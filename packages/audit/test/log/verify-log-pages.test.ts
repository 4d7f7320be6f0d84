import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import {
  canonicalEvent,
  Frontier,
  hashLeaf,
  MIGRATIONS,
  rootOfLeaves,
  toVerifier,
  verifyLog,
} from '../../src/index.ts';
import { ev, KEY, openLog, SIGNER, tempDb } from './helpers.ts';

// verifyLog checks a log in pages (the first of 256 events, then up to 2,048) with bulk queries
// and falls back to a row-by-row pass over a page only when something in it differs. These logs
// span several pages, with signed checkpoints inside and at the end of pages, so every tamper
// below is found by the fallback after the bulk check of its page failed, and must still be named
// exactly as a row-by-row scan names it.
const N = 1300;
const CHECKPOINTS = [300, 700, N];

async function fill(n: number): Promise<string> {
  const { log, store, path } = openLog(tempDb(), { groupCommit: { maxBatch: 256, maxDelayMs: 1 } });
  for (let start = 0; start < n;) {
    const stop = CHECKPOINTS.find((c) => c > start) ?? n;
    await Promise.all(
      Array.from({ length: stop - start }, (_, k) => {
        const i = start + k;
        return log.append(ev(i), i % 97 === 3 ? { payload: { email: `p${i}@example.test` } } : {});
      }),
    );
    log.checkpoint();
    start = stop;
  }
  log.close();
  store.close();
  return path;
}

function tamper(path: string, sql: string): void {
  const store = openStore(path);
  store.db.exec(sql);
  store.close();
}

function verify(path: string) {
  const store = openStore(path, { migrations: { audit: MIGRATIONS } });
  try {
    return verifyLog(store, { verifiers: [toVerifier(SIGNER.name, KEY.publicKey)] });
  } finally {
    store.close();
  }
}

/** Stored nodes of a tree of n leaves: ⌊n/2^L⌋ complete subtrees at each level L. */
function nodeCount(n: number): number {
  let total = 0;
  for (let w = 1; w <= n; w *= 2) total += Math.floor(n / w);
  return total;
}

describe('verifyLog over several pages', () => {
  it('passes and counts every leaf, node, checkpoint and payload exactly once', async () => {
    const path = await fill(N);
    const r = verify(path);
    expect(r.problem).toBeUndefined();
    expect(r).toMatchObject({
      ok: true,
      size: N,
      leavesChecked: N,
      nodesChecked: nodeCount(N),
      checkpointsChecked: CHECKPOINTS.length,
      payloadsChecked: Math.ceil((N - 3) / 97),
    });
    // The root is the one of the stored events computed in memory, and deep mode (which parses
    // every event too) agrees.
    const store = openStore(path, { migrations: { audit: MIGRATIONS } });
    const events = store.db.prepare('SELECT event FROM audit_leaves ORDER BY idx').pluck().all() as Buffer[];
    expect(r.root).toBe(rootOfLeaves(events).toString('base64'));
    const deep = verifyLog(store, { deep: true });
    store.close();
    expect(deep).toMatchObject({ ok: true, root: r.root, nodesChecked: r.nodesChecked });
  });

  it('names a changed byte in a later page', async () => {
    const path = await fill(N);
    tamper(
      path,
      "UPDATE audit_leaves SET event = CAST(replace(CAST(event AS TEXT), 'offer 1000 ', 'offer 1001 ') AS BLOB) WHERE idx = 1000",
    );
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 1000 });
  });

  it('names a row deleted at a page boundary', async () => {
    const path = await fill(N);
    tamper(path, 'DELETE FROM audit_leaves WHERE idx = 256');
    expect(verify(path).problem).toMatchObject({ kind: 'missing-leaf', index: 256 });
  });

  it('names the first of two rows swapped across a page boundary', async () => {
    const path = await fill(N);
    tamper(
      path,
      `UPDATE audit_leaves SET event = CASE idx WHEN 255 THEN (SELECT event FROM audit_leaves WHERE idx = 256)
         ELSE (SELECT event FROM audit_leaves WHERE idx = 255) END WHERE idx IN (255, 256)`,
    );
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 255 });
  });

  it('names where a truncated log stops', async () => {
    const path = await fill(N);
    tamper(path, 'DELETE FROM audit_leaves WHERE idx >= 900');
    expect(verify(path).problem).toMatchObject({ kind: 'missing-leaf', index: 900 });
  });

  it('names a changed stored leaf hash, a changed subtree hash spanning two pages, and a missing one', async () => {
    const path = await fill(N);
    tamper(path, 'UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 1100');
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 1100, level: 0 });
    const spanning = await fill(N);
    // Level 9, index 0 covers events 0–511: it completes in the second page.
    tamper(spanning, 'UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 9 AND idx = 0');
    expect(verify(spanning).problem).toMatchObject({ kind: 'node-hash', index: 0, level: 9 });
    const missing = await fill(N);
    tamper(missing, 'DELETE FROM audit_nodes WHERE level = 3 AND idx = 100');
    expect(verify(missing).problem).toMatchObject({ kind: 'missing-node', index: 800, level: 3 });
  });

  it('names a stored hash of the wrong length', async () => {
    const path = await fill(N);
    tamper(path, 'UPDATE audit_nodes SET hash = substr(hash, 1, 31) WHERE level = 1 AND idx = 600');
    expect(verify(path).problem).toMatchObject({ kind: 'node-hash', index: 1200, level: 1 });
  });

  it('catches a tampered frontier and a tampered root in the state', async () => {
    const path = await fill(N);
    tamper(path, 'UPDATE audit_state SET frontier = zeroblob(length(frontier))');
    expect(verify(path).problem).toMatchObject({ kind: 'state' });
    const p2 = await fill(N);
    tamper(p2, 'UPDATE audit_state SET root = zeroblob(32)');
    expect(verify(p2).problem).toMatchObject({ kind: 'state', index: N - 1 });
  });

  it('a history rewritten consistently is caught by the checkpoint inside the page that covers it', async () => {
    const path = await fill(N);
    // Event 650 replaced, and every stored node, the root and the frontier recomputed to match.
    const store = openStore(path);
    const events = store.db.prepare('SELECT event FROM audit_leaves ORDER BY idx').pluck().all() as Buffer[];
    events[650] = canonicalEvent(ev(650, { summary: 'nothing happened' })).bytes;
    const frontier = new Frontier();
    const insert = store.db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
    store.transaction(() => {
      store.db.prepare('UPDATE audit_leaves SET event = ? WHERE idx = 650').run(events[650]);
      store.db.exec('DELETE FROM audit_nodes');
      for (const e of events)
        for (const node of frontier.append(hashLeaf(e))) insert.run(node.level, node.index, node.hash);
      store.db
        .prepare('UPDATE audit_state SET root = ?, frontier = ?')
        .run(frontier.root(), Buffer.concat(frontier.hashes));
    });
    store.close();
    // 650 lies in the second page [256, 1300); the checkpoint at 300 still matches, the one at 700 does not.
    expect(verify(path).problem).toMatchObject({ kind: 'checkpoint', index: 699 });
  });

  it('names an event stored as text instead of bytes, even with the same bytes', async () => {
    const path = await fill(N);
    // A STRICT table refuses it, so first drop STRICT from the table's definition in the file,
    // blanking the word in place as an attacker with the file could.
    const file = readFileSync(path);
    const needle = Buffer.from('decision TEXT\n) STRICT');
    const at = file.indexOf(needle);
    expect(at).toBeGreaterThan(0);
    file.write(' '.repeat(6), at + needle.length - 6, 'latin1');
    writeFileSync(path, file);
    tamper(path, 'UPDATE audit_leaves SET event = CAST(event AS TEXT) WHERE idx = 500');
    expect(verify(path).problem).toMatchObject({ kind: 'malformed-event', index: 500 });
  });

  it('catches two rows whose rowids were swapped inside a B-tree page (bytes in order, labels not)', async () => {
    const path = await fill(N);
    // Relabel the cells of events k and k+1 in the table's leaf page: SQLite then visits them as
    // k+1, k, so the bytes still come out in the genuine order (every hash matches) while a read
    // of event k returns event k+1. Only the order of the idx values can tell.
    const file = readFileSync(path);
    const k = relabelAdjacent(file, 600);
    writeFileSync(path, file);
    expect(verify(path).problem).toMatchObject({ kind: 'missing-leaf', index: k });
  });

  it('catches two stored leaf hashes whose keys were swapped inside a B-tree page', async () => {
    const path = await fill(N);
    // The same relabelling in the node table: hashes 600 and 601 are visited in the genuine
    // order under keys 601, 600, so a proof asking for node 600 would get 601's hash.
    const file = readFileSync(path);
    relabelNodes(file, 600);
    writeFileSync(path, file);
    const r = verify(path);
    expect(r.ok).toBe(false);
    expect(r.problem?.index).toBe(600);
  });

  it('names a changed payload in a later page', async () => {
    const path = await fill(N);
    tamper(path, `UPDATE audit_payloads SET payload = '{"email":"evil@example.test"}' WHERE idx = 1167`);
    expect(verify(path).problem).toMatchObject({ kind: 'payload', index: 1167 });
  });
});

/** Reads an SQLite varint at `at`: [value, length]. */
function varint(b: Buffer, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = b[at + i]!;
    v = v * 128 + (c & 0x7f);
    if (c < 0x80) return [v, i + 1];
  }
  return [v * 256 + b[at + 8]!, 9];
}

/**
 * Finds the table leaf page of `audit_leaves` holding event `near` (by its summary text) and swaps
 * the rowids of two adjacent cells k, k+1 on it whose varints have the same length. Returns k.
 */
function relabelAdjacent(file: Buffer, near: number): number {
  const pageSize = file.readUInt16BE(16) === 1 ? 65536 : file.readUInt16BE(16);
  for (let page = 1; page * pageSize < file.length; page++) {
    const start = page * pageSize;
    if (file[start] !== 0x0d) continue;
    const cells = file.readUInt16BE(start + 3);
    const found: { rowid: number; at: number; len: number }[] = [];
    for (let c = 0; c < cells; c++) {
      const cell = start + file.readUInt16BE(start + 8 + 2 * c);
      const [, n1] = varint(file, cell);
      const [rowid, n2] = varint(file, cell + n1);
      found.push({ rowid, at: cell + n1, len: n2 });
    }
    const target = found.findIndex((f) => f.rowid === near);
    if (target < 0 || !file.subarray(start, start + pageSize).includes(`offer ${near} received`)) continue;
    const [a, b] = [found[target]!, found[target + 1]!];
    expect(b.rowid).toBe(a.rowid + 1);
    expect(b.len).toBe(a.len);
    const tmp = Buffer.from(file.subarray(a.at, a.at + a.len));
    file.copy(file, a.at, b.at, b.at + b.len);
    tmp.copy(file, b.at);
    return a.rowid;
  }
  throw new Error(`no leaf page holds event ${near}`);
}

/**
 * Swaps the idx values of the level-0 cells `idx` and `idx`+1 of the `audit_nodes` index B-tree
 * (WITHOUT ROWID: records (level, idx, hash)), when both sit on one leaf page.
 */
function relabelNodes(file: Buffer, idx: number): void {
  const pageSize = file.readUInt16BE(16) === 1 ? 65536 : file.readUInt16BE(16);
  for (let page = 1; page * pageSize < file.length; page++) {
    const start = page * pageSize;
    if (file[start] !== 0x0a) continue;
    const cells = file.readUInt16BE(start + 3);
    const found: { idx: number; at: number }[] = [];
    for (let c = 0; c < cells; c++) {
      const cell = start + file.readUInt16BE(start + 8 + 2 * c);
      const [, n1] = varint(file, cell);
      const record = cell + n1;
      const [headerSize, h0] = varint(file, record);
      const [tLevel, h1] = varint(file, record + h0);
      const [tIdx, h2] = varint(file, record + h0 + h1);
      const [tHash] = varint(file, record + h0 + h1 + h2);
      // level 0 is stored as serial type 8 (no bytes); idx as a 2-byte integer (type 2).
      if (tLevel !== 8 || tIdx !== 2 || tHash !== 12 + 2 * 32) continue;
      const at = record + headerSize;
      found.push({ idx: file.readUInt16BE(at), at });
    }
    const target = found.findIndex((f) => f.idx === idx);
    if (target < 0 || found[target + 1]?.idx !== idx + 1) continue;
    const [a, b] = [found[target]!, found[target + 1]!];
    file.writeUInt16BE(idx + 1, a.at);
    file.writeUInt16BE(idx, b.at);
    return;
  }
  throw new Error(`no leaf page holds node 0/${idx} and its neighbour`);
}
