import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { buildVectors } from '../scripts/generate-vectors.ts';
import {
  parseVerifierKey,
  rootOfLeaves,
  toVerifier,
  verifyCheckpoint,
  verifyConsistency,
  verifyExport,
  verifyInclusion,
} from '../src/index.ts';

const text = readFileSync(new URL('./vectors/steward-audit-vectors.json', import.meta.url), 'utf8');
const v = JSON.parse(text);
const hex = (s: string) => Buffer.from(s, 'hex');
const sha256 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

describe('Steward audit vectors (normative, docs/audit-format.md)', () => {
  it('are what the generator produces today', () => {
    expect(JSON.parse(JSON.stringify(buildVectors()))).toEqual(v);
    expect(v.source).toContain('generate-vectors.ts');
  });

  it('leaves are SHA-256(0x00 ‖ RFC 8785 canonical event), computed independently', () => {
    for (const e of v.events) {
      expect(canonicalize(e.event)).toBe(e.canonical);
      expect(sha256(Buffer.from([0]), Buffer.from(e.canonical, 'utf8')).toString('hex')).toBe(e.leafHash);
    }
  });

  it('roots, inclusion and consistency proofs agree', () => {
    const leaves = v.events.map((e: { canonical: string }) => Buffer.from(e.canonical, 'utf8'));
    const n = leaves.length;
    for (let s = 0; s <= n; s++)
      expect(rootOfLeaves(leaves.slice(0, s)).toString('hex')).toBe(v.rootsBySize[String(s)]);
    for (const p of v.inclusionProofs)
      verifyInclusion(
        p.index,
        p.treeSize,
        hex(v.events[p.index].leafHash),
        p.proof.map(hex),
        hex(v.rootsBySize[String(n)]),
      );
    for (const p of v.consistencyProofs)
      verifyConsistency(
        p.size1,
        p.size2,
        p.proof.map(hex),
        hex(v.rootsBySize[String(p.size1)]),
        hex(v.rootsBySize[String(p.size2)]),
      );
  });

  it('checkpoints verify with the verifier key and with the bare JWK', () => {
    const byVkey = parseVerifierKey(v.key.verifierKey);
    const byJwk = toVerifier(v.key.name, createPublicKey({ key: v.key.publicJwk, format: 'jwk' }));
    for (const c of v.checkpoints) {
      for (const k of [byVkey, byJwk]) {
        const cp = verifyCheckpoint(c.note, [k], v.origin);
        expect(cp.size).toBe(c.size);
        expect(cp.root.toString('hex')).toBe(v.rootsBySize[String(c.size)]);
      }
    }
  });

  it('the payload commitment is base64url(SHA-256(salt ‖ canonical payload)) and is in the event', () => {
    const p = v.payloadCommitment;
    const c = sha256(hex(p.saltHex), Buffer.from(canonicalize(p.payload)!, 'utf8')).toString('base64url');
    expect(c).toBe(p.commitment);
    expect(v.events[p.index].event.payloadCommitment).toBe(c);
  });

  it('the export verifies with only the public key', async () => {
    const r = await verifyExport(
      v.export.split('\n'),
      createPublicKey({ key: v.key.publicJwk, format: 'jwk' }),
    );
    expect(r).toMatchObject({ ok: true, proven: 'broker-signed', eventsChecked: v.events.length });
  });

  it('every must-fail case fails', async () => {
    const key = parseVerifierKey(v.key.verifierKey);
    for (const bad of v.mustFail) {
      if (bad.checkpoint) expect(() => verifyCheckpoint(bad.checkpoint, [key], v.origin), bad.what).toThrow();
      if (bad.export) expect((await verifyExport(bad.export.split('\n'), key)).ok, bad.what).toBe(false);
    }
  });
});
