import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileWitnessStorage, MemoryWitnessStorage, Witness, openNote, toVerifier } from '../../src/index.ts';
import { ev, openLog, tempDb } from '../log/helpers.ts';

describe('Witness', () => {
  it('pins the key, then advances only with a valid consistency proof', () => {
    const { log } = openLog();
    const storage = new MemoryWitnessStorage();
    const w = new Witness({ storage });
    for (let i = 0; i < 5; i++) log.appendDurably(ev(i));
    const cp1 = log.checkpoint();
    expect(w.observe({ checkpoint: cp1.note, verifierKey: log.verifierKey! })).toMatchObject({
      status: 'first-seen',
      size: 5,
    });
    expect(w.observe({ checkpoint: cp1.note })).toMatchObject({ status: 'unchanged' });
    for (let i = 5; i < 13; i++) log.appendDurably(ev(i));
    const cp2 = log.checkpoint();
    expect(w.observe({ checkpoint: cp2.note, consistencyProof: log.consistencyProof(5, 13) })).toMatchObject({
      status: 'advanced',
      size: 13,
      previousSize: 5,
    });
    expect(w.state()?.size).toBe(13);
  });

  it('raises an alarm for a rewritten history and remembers it', () => {
    // The same broker key signs two different histories (a forked log).
    const path = tempDb();
    const a = openLog(path);
    for (let i = 0; i < 6; i++) a.log.appendDurably(ev(i));
    const honest = a.log.checkpoint();
    const forged = openLog(tempDb());
    for (let i = 0; i < 9; i++) forged.log.appendDurably(i === 2 ? ev(i, { summary: 'rewritten' }) : ev(i));
    const forgedCp = forged.log.checkpoint();
    const storage = new MemoryWitnessStorage();
    const w = new Witness({ storage });
    w.observe({ checkpoint: honest.note, verifierKey: a.log.verifierKey! });
    const code = expect.objectContaining({ code: 'ERR_AUDIT_HISTORY_REWRITTEN' });
    expect(() =>
      w.observe({ checkpoint: forgedCp.note, consistencyProof: forged.log.consistencyProof(6, 9) }),
    ).toThrow(code);
    expect(() => w.observe({ checkpoint: forgedCp.note })).toThrow(code);
    // The same size with another root is a fork too.
    const fork6 = openLog(tempDb());
    for (let i = 0; i < 6; i++) fork6.log.appendDurably(i === 0 ? ev(i, { summary: 'other' }) : ev(i));
    expect(() => w.observe({ checkpoint: fork6.log.checkpoint().note })).toThrow(code);
    // A shrunk log.
    const small = openLog(tempDb());
    for (let i = 0; i < 3; i++) small.log.appendDurably(ev(i));
    expect(() => w.observe({ checkpoint: small.log.checkpoint().note })).toThrow(code);
    const state = w.state()!;
    expect(state.size).toBe(6);
    expect(state.alarms.map((x) => x.reason)).toHaveLength(4);
  });

  it('refuses a checkpoint signed by another key', () => {
    const { log } = openLog();
    log.appendDurably(ev(0));
    const w = new Witness({ storage: new MemoryWitnessStorage() });
    w.observe({ checkpoint: log.checkpoint().note, verifierKey: log.verifierKey! });
    const other = generateKeyPairSync('ed25519');
    const o = openLog(tempDb(), { signer: { name: 'steward.test/audit', privateKey: other.privateKey } });
    o.log.appendDurably(ev(0));
    o.log.appendDurably(ev(1));
    expect(() =>
      w.observe({ checkpoint: o.log.checkpoint().note, consistencyProof: o.log.consistencyProof(1, 2) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_SIGNATURE_INVALID' }));
  });

  it('cosigns with the device key and keeps its memory in a 0600 file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-witness-'));
    const device = generateKeyPairSync('ed25519');
    const storage = new FileWitnessStorage(dir);
    const w = new Witness({ storage, signer: { name: 'person.device', privateKey: device.privateKey } });
    const { log } = openLog();
    log.appendDurably(ev(0));
    const r = w.observe({ checkpoint: log.checkpoint().note, verifierKey: log.verifierKey! });
    expect(openNote(r.cosigned!, [toVerifier('person.device', device.publicKey)]).verifiedBy).toEqual([
      'person.device',
    ]);
    expect(statSync(storage.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(storage.path, 'utf8')).size).toBe(1);
    storage.write('{not json');
    expect(() => w.state()).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_WITNESS_STATE_INVALID' }));
  });
});
