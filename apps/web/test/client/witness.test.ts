import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openAuditLog, type AuditLog } from '@steward/audit';
import type { AuditEvent } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetMemory, readMemory, witnessLog, type WitnessApi, type WitnessStore } from '../../src/client/lib/witness.ts';

const KEY = generateKeyPairSync('ed25519');
const SIGNER = { name: 'steward.test/audit', privateKey: KEY.privateKey };
const opened: Store[] = [];

function openLog(signer = SIGNER): AuditLog {
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'steward-web-witness-')), 'steward.db'), { migrations: { audit: MIGRATIONS } });
  opened.push(store);
  return openAuditLog(store, { origin: 'steward.test/audit', signer });
}

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function ev(i: number, what = 'offer'): AuditEvent {
  return { type: 'message.received', at: new Date(Date.UTC(2026, 10, 25, 10, 0, i % 60)).toISOString(), actor: 'broker', summary: `${what} ${i}` };
}

async function grow(log: AuditLog, n: number, what = 'offer'): Promise<void> {
  for (let i = 0; i < n; i++) await log.append(ev(i, what));
}

function apiOf(get: () => AuditLog): WitnessApi {
  return {
    checkpoint: async () => {
      const cp = get().checkpoint();
      return { note: cp.note, size: cp.size, rootHash: cp.root, publicKey: { name: cp.keyName, key: cp.verifierKey } };
    },
    consistency: async (from, to) => ({ from, to, proof: get().consistencyProof(from, to) }),
  };
}

function memoryStore(): WitnessStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('the browser witness', () => {
  it('remembers the first checkpoint, then accepts growth proven consistent', async () => {
    const log = openLog();
    await grow(log, 5);
    const store = memoryStore();
    const first = await witnessLog(apiOf(() => log), store);
    expect(first).toMatchObject({ state: 'first-seen', size: 5, signature: 'verified' });
    await grow(log, 7, 'more');
    const second = await witnessLog(apiOf(() => log), store);
    expect(second).toMatchObject({ state: 'consistent', fromSize: 5, size: 12, signature: 'verified' });
    expect(readMemory(store)?.size).toBe(12);
    const third = await witnessLog(apiOf(() => log), store);
    expect(third).toMatchObject({ state: 'consistent', fromSize: 12, size: 12 });
  });

  it('raises an alarm when the history was rewritten under the same key, and keeps it', async () => {
    let log = openLog();
    await grow(log, 6);
    const store = memoryStore();
    await witnessLog(apiOf(() => log), store);
    log = openLog();
    await grow(log, 9, 'forged');
    const outcome = await witnessLog(apiOf(() => log), store);
    expect(outcome.state).toBe('alarm');
    if (outcome.state !== 'alarm') return;
    expect(outcome.remembered?.size).toBe(6);
    // the memory still holds the last good checkpoint, and the alarm survives a reload
    expect(readMemory(store)).toMatchObject({ size: 6 });
    const again = await witnessLog(apiOf(() => log), store);
    expect(again.state).toBe('alarm');
    forgetMemory(store);
    expect((await witnessLog(apiOf(() => log), store)).state).toBe('first-seen');
  });

  it('raises an alarm when the log shrinks', async () => {
    let log = openLog();
    await grow(log, 8);
    const store = memoryStore();
    await witnessLog(apiOf(() => log), store);
    log = openLog();
    await grow(log, 3);
    const outcome = await witnessLog(apiOf(() => log), store);
    expect(outcome).toMatchObject({ state: 'alarm', reason: expect.stringMatching(/shrank from 8 to 3/) });
  });

  it('raises an alarm when the signing key changes', async () => {
    const store = memoryStore();
    const log = openLog();
    await grow(log, 3);
    await witnessLog(apiOf(() => log), store);
    const other = openLog({ name: 'steward.test/audit', privateKey: generateKeyPairSync('ed25519').privateKey });
    await grow(other, 4);
    const outcome = await witnessLog(apiOf(() => other), store);
    expect(outcome).toMatchObject({ state: 'alarm', reason: expect.stringMatching(/signing key changed/) });
  });

  it('refuses a checkpoint whose JSON does not match its signed note, or whose signature is bad', async () => {
    const log = openLog();
    await grow(log, 4);
    const honest = apiOf(() => log);
    const lying: WitnessApi = { ...honest, checkpoint: async () => ({ ...(await honest.checkpoint()), size: 5 }) };
    expect(await witnessLog(lying, memoryStore())).toMatchObject({ state: 'alarm', reason: expect.stringMatching(/does not state this size/) });
    const badSig: WitnessApi = {
      ...honest,
      checkpoint: async () => {
        const cp = await honest.checkpoint();
        // flip one character of the signature
        const i = cp.note.length - 5;
        const c = cp.note[i] === 'A' ? 'B' : 'A';
        return { ...cp, note: cp.note.slice(0, i) + c + cp.note.slice(i + 1) };
      },
    };
    expect(await witnessLog(badSig, memoryStore())).toMatchObject({ state: 'alarm', reason: expect.stringMatching(/no valid signature/) });
  });

  it('refuses a consistency proof for other sizes than asked', async () => {
    const log = openLog();
    await grow(log, 4);
    const store = memoryStore();
    await witnessLog(apiOf(() => log), store);
    await grow(log, 4, 'more');
    const honest = apiOf(() => log);
    const shifty: WitnessApi = { ...honest, consistency: async (_from, to) => ({ from: 1, to, proof: log.consistencyProof(1, to) }) };
    expect(await witnessLog(shifty, store)).toMatchObject({ state: 'alarm', reason: expect.stringMatching(/other sizes/) });
  });
});
