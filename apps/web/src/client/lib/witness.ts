import { decodeHash, encodeBase64, ProofError, verifyConsistency } from './merkle.ts';

/** `GET /api/audit/checkpoint` as the contract gives it. */
export interface CheckpointView {
  note: string;
  size: number;
  rootHash: string;
  publicKey: { name: string; key: string };
}

/** What this browser remembers between visits: the last checkpoint it checked, the pinned key. */
export interface WitnessMemory {
  size: number;
  rootHash: string;
  /** The log's key as first seen (trust on first use); a different key later is an alarm. */
  keyName: string;
  key: string;
  seenAt: string;
  /** A failed check is remembered until the person clears it, so a reload does not hide it. */
  alarm?: string;
}

/** Where the witness keeps its memory (localStorage in the browser, a map in tests). */
export interface WitnessStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The outcome the page shows. */
export type WitnessOutcome =
  | { state: 'first-seen'; size: number; rootHash: string; signature: SignatureCheck }
  | { state: 'consistent'; size: number; rootHash: string; fromSize: number; signature: SignatureCheck }
  | { state: 'alarm'; reason: string; size: number; rootHash: string; remembered?: WitnessMemory };

/** Whether the checkpoint's signature was checked in this browser, and how it went. */
export type SignatureCheck = 'verified' | 'unsupported';

const MEMORY_KEY = 'steward.witness.v1';

/** Reads the remembered checkpoint, if any (a corrupt entry counts as none and is reported). */
export function readMemory(store: WitnessStore): WitnessMemory | undefined {
  const raw = store.getItem(MEMORY_KEY);
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<WitnessMemory>;
    if (typeof value.size === 'number' && typeof value.rootHash === 'string' && typeof value.key === 'string' && typeof value.keyName === 'string') {
      return value as WitnessMemory;
    }
  } catch {
    // fall through
  }
  return undefined;
}

function writeMemory(store: WitnessStore, memory: WitnessMemory): void {
  store.setItem(MEMORY_KEY, JSON.stringify(memory));
}

/** Forgets the remembered checkpoint and any alarm (the person decides to start over). */
export function forgetMemory(store: WitnessStore): void {
  store.removeItem(MEMORY_KEY);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The raw Ed25519 key from a verifier key string `name+hex+base64(0x01‖key)` or raw base64. */
function rawKey(key: string): Uint8Array<ArrayBuffer> {
  const vkey = /^[^+\s]+\+[0-9a-f]{8}\+([A-Za-z0-9+/]+={0,2})$/.exec(key.trim());
  if (vkey) {
    const bytes = decodeBase64(vkey[1]!);
    if (bytes.length !== 33 || bytes[0] !== 1) throw new ProofError('the log key is not an ed25519 key');
    return bytes.slice(1);
  }
  const bytes = decodeBase64(key.replace(/-/g, '+').replace(/_/g, '/'));
  if (bytes.length !== 32) throw new ProofError('the log key is not 32 bytes');
  return bytes;
}

/**
 * Checks the signed note: its body says this size and root, and (where WebCrypto has Ed25519) a
 * signature line by the pinned key verifies over the body.
 * @see https://github.com/C2SP/C2SP/blob/main/signed-note.md
 */
export async function checkNote(cp: CheckpointView, keyName: string, key: string): Promise<SignatureCheck> {
  const split = cp.note.lastIndexOf('\n\n');
  if (split < 0) throw new ProofError('the checkpoint note has no signature');
  const text = cp.note.slice(0, split + 1);
  const lines = text.split('\n');
  if (lines.length < 4 || lines[1] !== String(cp.size)) throw new ProofError('the checkpoint note does not state this size');
  const noteRoot = decodeHash(lines[2]!);
  if (encodeBase64(noteRoot) !== encodeBase64(decodeHash(cp.rootHash))) throw new ProofError('the checkpoint note does not state this root');
  const raw = rawKey(key);
  let publicKey: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
  try {
    publicKey = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return 'unsupported';
  }
  const sigLines = cp.note.slice(split + 2, -1).split('\n');
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m || m[1] !== keyName) continue;
    const blob = decodeBase64(m[2]!);
    if (blob.length !== 68) continue;
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, blob.slice(4), new TextEncoder().encode(text));
    if (ok) return 'verified';
  }
  throw new ProofError(`no valid signature by \`${keyName}\` on the checkpoint`);
}

/** How the witness reaches the API. */
export interface WitnessApi {
  checkpoint(): Promise<CheckpointView>;
  consistency(from: number, to: number): Promise<{ from: number; to: number; proof: string[] }>;
}

/**
 * The browser as a witness of the audit log: on each visit it fetches the current checkpoint,
 * checks its signature with the key pinned on first use, asks for a consistency proof from the
 * checkpoint it saw last and verifies it here. Only a verified checkpoint replaces the memory;
 * a failure is remembered as an alarm.
 */
export async function witnessLog(api: WitnessApi, store: WitnessStore, now: () => Date = () => new Date()): Promise<WitnessOutcome> {
  const cp = await api.checkpoint();
  const before = readMemory(store);
  const alarm = (reason: string): WitnessOutcome => {
    if (before) writeMemory(store, { ...before, alarm: reason });
    const outcome: WitnessOutcome = { state: 'alarm', reason, size: cp.size, rootHash: cp.rootHash };
    if (before) outcome.remembered = before;
    return outcome;
  };
  if (before?.alarm) return alarm(before.alarm);
  try {
    if (before && (before.key !== cp.publicKey.key || before.keyName !== cp.publicKey.name)) {
      return alarm(`the log's signing key changed from \`${before.keyName}\` to \`${cp.publicKey.name}\``);
    }
    const signature = await checkNote(cp, cp.publicKey.name, cp.publicKey.key);
    const remember = (): void =>
      writeMemory(store, { size: cp.size, rootHash: cp.rootHash, keyName: cp.publicKey.name, key: cp.publicKey.key, seenAt: now().toISOString() });
    if (!before || before.size === 0) {
      remember();
      return { state: 'first-seen', size: cp.size, rootHash: cp.rootHash, signature };
    }
    if (cp.size < before.size) return alarm(`the log shrank from ${before.size} to ${cp.size} entries`);
    let proof: Uint8Array[] = [];
    if (cp.size > before.size) {
      const answer = await api.consistency(before.size, cp.size);
      if (answer.from !== before.size || answer.to !== cp.size) return alarm('the consistency proof is for other sizes');
      proof = answer.proof.map(decodeHash);
    }
    await verifyConsistency(before.size, cp.size, proof, decodeHash(before.rootHash), decodeHash(cp.rootHash));
    remember();
    return { state: 'consistent', size: cp.size, rootHash: cp.rootHash, fromSize: before.size, signature };
  } catch (error) {
    if (error instanceof ProofError) return alarm(error.message);
    throw error;
  }
}
