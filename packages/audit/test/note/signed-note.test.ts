import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cosignNote,
  formatVerifierKey,
  openNote,
  parseCheckpoint,
  parsePublicKeyInput,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  toVerifier,
  verifyCheckpoint,
} from '../../src/index.ts';

const v = JSON.parse(readFileSync(new URL('../vectors/merkle-rfc6962.json', import.meta.url), 'utf8'));
const ex = v.signed_note_example;

describe('C2SP signed note', () => {
  it('verifies the spec example with its verifier key', () => {
    const key = parseVerifierKey(ex.vkey);
    expect(key.name).toBe('example.com/foo');
    expect(key.keyId.toString('hex')).toBe('530d903a');
    expect(openNote(ex.note, [key])).toEqual({
      text: 'This is an example message.\n',
      verifiedBy: ['example.com/foo'],
    });
  });

  it('rejects the spec example with its text changed', () => {
    const tampered = ex.note.replace('example message', 'exampel message');
    expect(() => openNote(tampered, [parseVerifierKey(ex.vkey)])).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_SIGNATURE_INVALID' }),
    );
  });

  it('rejects a verifier key whose id does not match', () => {
    expect(() => parseVerifierKey(ex.vkey.replace('530d903a', '530d903b'))).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_KEY_INVALID' }),
    );
  });

  it('signs, verifies and cosigns; unknown signers alone do not verify', () => {
    const a = generateKeyPairSync('ed25519');
    const b = generateKeyPairSync('ed25519');
    const note = signNote('hello\n', { name: 'broker.test', privateKey: a.privateKey });
    const va = parseVerifierKey(formatVerifierKey('broker.test', a.publicKey));
    const vb = toVerifier('person.device', b.publicKey);
    expect(openNote(note, [va]).verifiedBy).toEqual(['broker.test']);
    expect(() => openNote(note, [vb])).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_SIGNATURE_INVALID' }),
    );
    const both = cosignNote(note, { name: 'person.device', privateKey: b.privateKey });
    expect(openNote(both, [va, vb]).verifiedBy).toEqual(['broker.test', 'person.device']);
  });

  it('refuses malformed notes with a code', () => {
    for (const bad of [
      'no newline',
      'text\n',
      'text\n\n',
      'text\n\n\u2014 name !!!\n',
      'te\u0007xt\n\n\u2014 a AAAAAAA=\n',
    ]) {
      expect(() => openNote(bad, [])).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_NOTE_MALFORMED' }));
    }
  });

  it('round-trips a checkpoint and rejects a changed size or root', () => {
    const k = generateKeyPairSync('ed25519');
    const signer = { name: 'steward.test/audit', privateKey: k.privateKey };
    const root = Buffer.alloc(32, 7);
    const note = signCheckpoint({ origin: 'steward.test/audit', size: 42, root }, signer);
    const ver = toVerifier(signer.name, k.publicKey);
    const cp = verifyCheckpoint(note, [ver], 'steward.test/audit');
    expect(cp.size).toBe(42);
    expect(cp.root.equals(root)).toBe(true);
    expect(() => verifyCheckpoint(note.replace('\n42\n', '\n43\n'), [ver])).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_SIGNATURE_INVALID' }),
    );
    expect(() => verifyCheckpoint(note, [ver], 'other')).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_CHECKPOINT_INVALID' }),
    );
    expect(() => parseCheckpoint('o\n01\nAAAA\n')).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_CHECKPOINT_INVALID' }),
    );
  });

  it('reads a public key as JWK, raw base64 or verifier key', () => {
    const k = generateKeyPairSync('ed25519');
    const jwk = JSON.stringify(k.publicKey.export({ format: 'jwk' }));
    const raw = Buffer.from(String(k.publicKey.export({ format: 'jwk' }).x), 'base64url');
    for (const input of [
      jwk,
      raw.toString('base64'),
      raw.toString('base64url'),
      formatVerifierKey('n', k.publicKey),
    ]) {
      expect(parsePublicKeyInput(input).publicKey.equals(k.publicKey)).toBe(true);
    }
    expect(() => parsePublicKeyInput('{"kty":"RSA"}')).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_KEY_INVALID' }),
    );
  });
});
