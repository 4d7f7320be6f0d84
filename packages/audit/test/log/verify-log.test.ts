import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS, openAuditLog, toVerifier, verifyLog } from '../../src/index.ts';
import { ev, KEY, openLog, SIGNER, tempDb } from './helpers.ts';

/** A closed log file of `n` events with a checkpoint at `n`. */
function makeLog(n = 20): string {
  const { log, store, path } = openLog();
  for (let i = 0; i < n; i++) log.appendDurably(ev(i), i === 2 ? { payload: { email: 'a@b.example' } } : {});
  log.checkpoint();
  log.close();
  store.close();
  return path;
}

function tamper(path: string, sql: string, ...params: unknown[]): void {
  const store = openStore(path);
  store.db.prepare(sql).run(...params);
  store.close();
}

function verify(path: string) {
  const store = openStore(path, { migrations: { audit: MIGRATIONS } });
  try {
    return verifyLog(store, { verifiers: [toVerifier(SIGNER.name, KEY.publicKey)], deep: true });
  } finally {
    store.close();
  }
}

describe('verifyLog', () => {
  it('passes on an untouched log and checks everything', () => {
    const r = verify(makeLog());
    expect(r).toMatchObject({
      ok: true,
      size: 20,
      leavesChecked: 20,
      checkpointsChecked: 1,
      payloadsChecked: 1,
      checkpointKeys: 'given',
    });
    expect(r.nodesChecked).toBe(20 + 10 + 5 + 2 + 1);
  });

  it('names the index when one byte of an event changes', () => {
    const path = makeLog();
    tamper(
      path,
      "UPDATE audit_leaves SET event = CAST(replace(CAST(event AS TEXT), 'offer 7 ', 'offer 8 ') AS BLOB) WHERE idx = 7",
    );
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 7 });
  });

  it('names the index when a row is deleted', () => {
    const path = makeLog();
    tamper(path, 'DELETE FROM audit_leaves WHERE idx = 5');
    expect(verify(path).problem).toMatchObject({ kind: 'missing-leaf', index: 5 });
  });

  it('names the first index when two rows are swapped', () => {
    const path = makeLog();
    const store = openStore(path);
    const get = store.db.prepare('SELECT event FROM audit_leaves WHERE idx = ?').pluck();
    const a = get.get(3);
    const b = get.get(12);
    const set = store.db.prepare('UPDATE audit_leaves SET event = ? WHERE idx = ?');
    store.transaction(() => {
      set.run(b, 3);
      set.run(a, 12);
    });
    store.close();
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 3 });
  });

  it('names the first missing index when the log is truncated', () => {
    const path = makeLog();
    tamper(path, 'DELETE FROM audit_leaves WHERE idx >= 15');
    expect(verify(path).problem).toMatchObject({ kind: 'missing-leaf', index: 15 });
  });

  it('catches truncation even when the state was rolled back with it (the signed checkpoint remembers)', () => {
    const path = makeLog(16);
    // Build a shorter, self-consistent log of the same first 8 events and put its tables in place.
    const short = openLog(tempDb());
    for (let i = 0; i < 8; i++)
      short.log.appendDurably(ev(i), i === 2 ? { payload: { email: 'a@b.example' } } : {});
    short.log.close();
    short.store.close();
    const store = openStore(path);
    store.db.exec(`ATTACH '${short.path}' AS s`);
    store.transaction(() => {
      store.db.exec(`DELETE FROM audit_leaves; INSERT INTO audit_leaves SELECT * FROM s.audit_leaves;
        DELETE FROM audit_nodes; INSERT INTO audit_nodes SELECT * FROM s.audit_nodes;
        UPDATE audit_state SET size = (SELECT size FROM s.audit_state), root = (SELECT root FROM s.audit_state), frontier = (SELECT frontier FROM s.audit_state);
        DELETE FROM audit_payloads; INSERT INTO audit_payloads SELECT * FROM s.audit_payloads;`);
    });
    store.db.exec('DETACH s');
    store.close();
    expect(verify(path).problem).toMatchObject({ kind: 'checkpoint', index: 8 });
  });

  it('catches a history rewritten consistently (leaves, nodes and state) by the signed checkpoint', () => {
    const path = makeLog(8);
    const forged = openLog(tempDb(), { origin: 'steward.test/audit' });
    for (let i = 0; i < 8; i++)
      forged.log.appendDurably(
        i === 4 ? ev(i, { summary: 'nothing happened' }) : ev(i),
        i === 2 ? { payload: { email: 'a@b.example' } } : {},
      );
    forged.log.close();
    forged.store.close();
    const store = openStore(path);
    store.db.exec(`ATTACH '${forged.path}' AS s`);
    store.transaction(() => {
      store.db.exec(`DELETE FROM audit_leaves; INSERT INTO audit_leaves SELECT * FROM s.audit_leaves;
        DELETE FROM audit_nodes; INSERT INTO audit_nodes SELECT * FROM s.audit_nodes;
        UPDATE audit_state SET root = (SELECT root FROM s.audit_state), frontier = (SELECT frontier FROM s.audit_state);
        DELETE FROM audit_payloads; INSERT INTO audit_payloads SELECT * FROM s.audit_payloads;`);
    });
    store.db.exec('DETACH s');
    store.close();
    const r = verify(path);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ kind: 'checkpoint', index: 7 });
    expect(r.problem?.message).toContain('rewritten');
  });

  it('names the index when a byte of the SQLite file itself is flipped', () => {
    const path = makeLog();
    const bytes = readFileSync(path);
    // Stale copies of a row can linger in unused page space after B-tree balancing; flip the
    // same byte in every copy so the live one is hit for sure.
    const needle = Buffer.from('offer 11 received');
    let hits = 0;
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      bytes[at + 7] = '2'.charCodeAt(0);
      hits++;
    }
    expect(hits).toBeGreaterThan(0);
    writeFileSync(path, bytes);
    expect(verify(path).problem).toMatchObject({ kind: 'leaf-hash', index: 11 });
  });

  it('names a changed subtree hash and a changed payload', () => {
    const path = makeLog();
    tamper(path, 'UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1');
    expect(verify(path).problem).toMatchObject({ kind: 'node-hash', index: 4, level: 2 });
    const p2 = makeLog();
    tamper(p2, `UPDATE audit_payloads SET payload = '{"email":"evil@x.example"}' WHERE idx = 2`);
    expect(verify(p2).problem).toMatchObject({ kind: 'payload', index: 2 });
  });

  it('refuses a checkpoint signed by another key', () => {
    const path = makeLog();
    const store = openStore(path, { migrations: { audit: MIGRATIONS } });
    const other = toVerifier(SIGNER.name, generateKeyPairSync('ed25519').publicKey);
    const r = verifyLog(store, { verifiers: [other] });
    store.close();
    expect(r.problem).toMatchObject({ kind: 'checkpoint', index: 19 });
  });

  it('a broker refuses to open a log rewritten behind its back; the log stays readable without a signer', () => {
    const path = makeLog(8);
    const forged = openLog(tempDb(), { origin: 'steward.test/audit' });
    for (let i = 0; i < 8; i++)
      forged.log.appendDurably(i === 4 ? ev(i, { summary: 'nothing happened' }) : ev(i));
    forged.log.close();
    forged.store.close();
    const store = openStore(path);
    store.db.exec(`ATTACH '${forged.path}' AS s`);
    store.transaction(() => {
      store.db.exec(`DELETE FROM audit_leaves; INSERT INTO audit_leaves SELECT * FROM s.audit_leaves;
        DELETE FROM audit_nodes; INSERT INTO audit_nodes SELECT * FROM s.audit_nodes;
        UPDATE audit_state SET root = (SELECT root FROM s.audit_state), frontier = (SELECT frontier FROM s.audit_state);`);
    });
    store.db.exec('DETACH s');
    store.close();
    expect(() => openLog(path)).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_CHECKPOINT_INCONSISTENT' }),
    );
    const reader = openStore(path, { migrations: { audit: MIGRATIONS } });
    expect(openAuditLog(reader).size).toBe(8);
    reader.close();
  });
});
