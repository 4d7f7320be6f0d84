import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@steward/store';
import { MIGRATIONS, openAuditLog } from '@steward/audit';
import { useCliHarness } from './support/harness.ts';

const h = useCliHarness('audit');
const run = h.run;
const key = generateKeyPairSync('ed25519');
const signer = { name: 'steward.test/audit', privateKey: key.privateKey };
const jwk = JSON.stringify(key.publicKey.export({ format: 'jwk' }));

/** The broker's side: append `n` events to the database and sign a checkpoint. */
function brokerAppends(from: number, n: number, sign = true): void {
  const store = openStore(h.ctx.dbPath, { migrations: { audit: MIGRATIONS } });
  const log = openAuditLog(store, { origin: 'steward.test/audit', signer });
  for (let i = from; i < from + n; i++) {
    log.appendDurably({
      type: 'decision',
      at: '2026-11-25T10:00:00Z',
      actor: 'broker',
      decision: 'allow',
      summary: `decision ${i}`,
    });
  }
  if (sign) log.checkpoint();
  log.close();
  store.close();
}

describe('steward audit', () => {
  it('verify passes, then names the first bad event after tampering', async () => {
    brokerAppends(0, 9);
    const ok = await run('verify', '--key', jwk);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('ok: 9 events');
    const store = openStore(h.ctx.dbPath);
    store.db
      .prepare(
        "UPDATE audit_leaves SET event = CAST(replace(CAST(event AS TEXT), 'decision 6', 'decision 7') AS BLOB) WHERE idx = 6",
      )
      .run();
    store.close();
    const bad = await run('verify');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('error ERR_AUDIT_VERIFY_FAILED');
    expect(bad.out).toContain('FAILED at event 6 (leaf-hash)');
    expect(bad.out).toMatch(/recomputed .*\n {2}stored /);
  });

  it('prove prints a proof bundle; an index past the checkpoint is refused', async () => {
    brokerAppends(0, 5);
    const r = await run('prove', '3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: 'steward-audit-proof/1', index: 3, treeSize: 5 });
    expect((await run('prove', '3')).out).toContain('event 3: decision');
    expect((await run('prove', '5')).err).toContain('error ERR_AUDIT_INDEX_OUT_OF_RANGE');
    brokerAppends(5, 1, false);
    const unsigned = await run('prove', '5');
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain('error ERR_AUDIT_NO_CHECKPOINT');
  });

  it('export then verify-export with only the public key; a tampered export fails', async () => {
    brokerAppends(0, 7);
    await run('witness', '--key', jwk);
    brokerAppends(7, 3);
    const file = join(h.dir, 'export.jsonl');
    const e = await run('export', '--out', file);
    expect(e.code).toBe(0);
    expect(e.out).toContain('exported 10 events');
    expect(e.out).toContain('(witnessed)');
    const keyFile = join(h.dir, 'broker.jwk');
    writeFileSync(keyFile, jwk);
    const v = await run('verify-export', file, '--key', keyFile);
    expect(v.code).toBe(0);
    expect(v.out).toContain('ok: 10 events');
    expect(v.out).toContain('proven: broker-signed (the export claims witnessed)');
    const raw = Buffer.from(String(key.publicKey.export({ format: 'jwk' }).x), 'base64url').toString(
      'base64',
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace('decision 4', 'decision 9'));
    const bad = await run('verify-export', file, '--key', raw);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('ERR_AUDIT_EXPORT_INVALID');
  });

  it('witness remembers, accepts growth, and raises an alarm for a rewritten log', async () => {
    brokerAppends(0, 4);
    expect((await run('witness', '--key', jwk)).out).toContain('remembered the checkpoint of 4 events');
    brokerAppends(4, 2);
    expect((await run('witness')).out).toContain('grew from 4 to 6 events');
    // The broker's database is replaced by a different history signed with the same key.
    rmSync(h.ctx.dbPath);
    rmSync(`${h.ctx.dbPath}-wal`, { force: true });
    rmSync(`${h.ctx.dbPath}-shm`, { force: true });
    brokerAppends(100, 8);
    const alarm = await run('witness');
    expect(alarm.code).toBe(1);
    expect(alarm.err).toContain('error ERR_AUDIT_HISTORY_REWRITTEN');
    expect(JSON.parse(readFileSync(join(h.ctx.homeDir, 'witness.json'), 'utf8')).alarms).toHaveLength(1);
  });
});
