import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  exportLog,
  MemoryWitnessStorage,
  parseVerifierKey,
  toVerifier,
  verifyExport,
  Witness,
} from '../../src/index.ts';
import { ev, KEY, openLog, SIGNER } from '../log/helpers.ts';

function exported(n = 12, witnessAt?: number) {
  const { log } = openLog();
  const device = generateKeyPairSync('ed25519');
  let witness: { checkpoint: string; witnessKey: string } | undefined;
  for (let i = 0; i < n; i++) {
    log.appendDurably(ev(i));
    if (witnessAt === i + 1) {
      const w = new Witness({
        storage: new MemoryWitnessStorage(),
        signer: { name: 'person.device', privateKey: device.privateKey },
      });
      w.observe({ checkpoint: log.checkpoint().note, verifierKey: log.verifierKey! });
      witness = { checkpoint: w.state()!.checkpoint, witnessKey: w.state()!.witnessKey! };
    }
  }
  log.checkpoint();
  let text = '';
  const header = exportLog(log, (c) => (text += c), witness ? { witness } : {});
  return { text, header, device };
}

const broker = toVerifier(SIGNER.name, KEY.publicKey);
const lines = (t: string) => t.split('\n');

describe('export', () => {
  it('verifies with only the broker key, as a verifier key or a bare key', async () => {
    const { text, header } = exported();
    expect(header).toMatchObject({ proves: 'broker-signed', treeSize: 12 });
    expect(await verifyExport(lines(text), broker)).toMatchObject({
      ok: true,
      proven: 'broker-signed',
      eventsChecked: 12,
    });
    expect(await verifyExport(lines(text), KEY.publicKey)).toMatchObject({ ok: true });
    expect(await verifyExport(lines(text), parseVerifierKey(header.verifierKey))).toMatchObject({ ok: true });
  });

  it('states and proves the witnessed claim only with the witness key', async () => {
    const { text, header, device } = exported(12, 7);
    expect(header).toMatchObject({ proves: 'witnessed', witness: { size: 7 } });
    expect(await verifyExport(lines(text), broker, device.publicKey)).toMatchObject({
      ok: true,
      proven: 'witnessed',
    });
    const without = await verifyExport(lines(text), broker);
    expect(without).toMatchObject({ ok: true, proven: 'broker-signed' });
    expect(without.note).toContain('not checked');
  });

  it('fails and names the place for a changed, dropped, reordered or truncated export', async () => {
    const { text } = exported();
    const l = lines(text);
    const changed = l.map((x, i) => (i === 5 ? x.replace('offer 4 received', 'offer 4 refunded') : x));
    expect(await verifyExport(changed, broker)).toMatchObject({ ok: false, problem: { line: 14 } });
    const dropped = l.filter((_, i) => i !== 3);
    expect(await verifyExport(dropped, broker)).toMatchObject({ ok: false, problem: { index: 2 } });
    const swapped = [...l];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(await verifyExport(swapped, broker)).toMatchObject({ ok: false, problem: { index: 1 } });
    expect(await verifyExport(l.slice(0, 8), broker)).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining('ends early') },
    });
    const other = generateKeyPairSync('ed25519');
    expect(await verifyExport(l, other.publicKey)).toMatchObject({ ok: false, problem: { line: 1 } });
  });
});
