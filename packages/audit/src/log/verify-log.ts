import canonicalize from 'canonicalize';
import { AuditEvent } from '@steward/protocol';
import type { Store } from '@steward/store';
import { Frontier } from '../merkle/frontier.ts';
import { hashLeaf } from '../merkle/hash.ts';
import { verifyCheckpoint } from '../note/checkpoint.ts';
import { parseVerifierKey, type NoteVerifier } from '../note/keys.ts';
import { payloadCommitment } from './event.ts';

/** What kind of damage a full verification found. */
export type VerifyProblemKind =
  | 'missing-state'
  | 'missing-leaf'
  | 'extra-leaf'
  | 'leaf-hash'
  | 'missing-node'
  | 'node-hash'
  | 'malformed-event'
  | 'state'
  | 'checkpoint'
  | 'payload';

/** The first thing found wrong, naming the first bad index where one can be named. */
export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** The first leaf index known to be bad (for a subtree or checkpoint: the first leaf it covers). */
  index: number;
  message: string;
  /** What the recomputation expected and what is stored (base64 hashes or values). */
  expected?: string;
  actual?: string;
  level?: number;
}

/** The outcome of {@link verifyLog}. */
export interface VerifyReport {
  ok: boolean;
  /** The size the stored state claims. */
  size: number;
  leavesChecked: number;
  nodesChecked: number;
  checkpointsChecked: number;
  payloadsChecked: number;
  /** base64 root recomputed from the leaves. */
  root: string;
  /** Whose key checked the checkpoints: keys given by the caller, or keys stored in the database. */
  checkpointKeys: 'given' | 'stored' | 'none';
  problem?: VerifyProblem;
}

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /** The broker's public key(s) the person trusts; without them the stored verifier keys are used. */
  verifiers?: readonly NoteVerifier[];
  /** Also parse every event with the strict schema and check it is in canonical form. */
  deep?: boolean;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/**
 * Recomputes the whole log from the stored event bytes, streaming (constant memory): every leaf
 * hash, every stored subtree hash, the persisted root and frontier, every signed checkpoint and
 * every payload commitment. Stops at the first problem and names the first bad index.
 * @see RFC 9162 §2.1
 */
export function verifyLog(store: Store, options: VerifyLogOptions = {}): VerifyReport {
  const db = store.db;
  const state = db.prepare('SELECT origin, size, root, frontier FROM audit_state WHERE id = 1').get() as
    { origin: string; size: number; root: Buffer; frontier: Buffer } | undefined;
  const report: VerifyReport = {
    ok: false,
    size: state?.size ?? 0,
    leavesChecked: 0,
    nodesChecked: 0,
    checkpointsChecked: 0,
    payloadsChecked: 0,
    root: '',
    checkpointKeys: 'none',
  };
  const fail = (problem: VerifyProblem): VerifyReport => ({ ...report, ok: false, problem });
  if (!state) return fail({ kind: 'missing-state', index: 0, message: 'the audit state row is missing' });

  const checkpoints = db
    .prepare('SELECT size, root, note, verifier_key FROM audit_checkpoints ORDER BY size')
    .all() as {
    size: number;
    root: Buffer;
    note: string;
    verifier_key: string;
  }[];
  const given = options.verifiers && options.verifiers.length > 0 ? options.verifiers : undefined;
  report.checkpointKeys = given ? 'given' : checkpoints.length > 0 ? 'stored' : 'none';
  const cpRoots = new Map<number, { root: Buffer; note: string }>();
  for (const cp of checkpoints) {
    let parsed;
    try {
      const verifiers = given ?? [parseVerifierKey(cp.verifier_key)];
      parsed = verifyCheckpoint(cp.note, verifiers, state.origin);
    } catch (error) {
      return fail({
        kind: 'checkpoint',
        index: Math.max(0, cp.size - 1),
        message: `checkpoint at size ${cp.size} does not verify: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    if (parsed.size !== cp.size || !parsed.root.equals(cp.root)) {
      return fail({
        kind: 'checkpoint',
        index: Math.max(0, cp.size - 1),
        message: `checkpoint row at size ${cp.size} differs from its signed note`,
      });
    }
    cpRoots.set(cp.size, { root: parsed.root, note: cp.note });
  }

  const frontier = new Frontier();
  // A full scan gains nothing from a large page cache; keep it small so memory stays flat.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -2000');
  // Rows are read a page at a time with range queries: one crossing into SQLite per page, and
  // memory bounded by the page size whatever the log's size.
  // Each leaf comes with its stored leaf hash (level 0) in one range query; the higher levels are
  // read level by level, each in idx order as the recomputation completes them.
  const leafPage = db
    .prepare(
      `SELECT l.idx, l.event, n.hash FROM audit_leaves l LEFT JOIN audit_nodes n ON n.level = 0 AND n.idx = l.idx
       WHERE l.idx > ? ORDER BY l.idx LIMIT ?`,
    )
    .raw();
  const nodePage = db
    .prepare('SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx > ? ORDER BY idx LIMIT ?')
    .raw();
  const levels: Paged<[number, Buffer]>[] = [];
  const levelIter = (level: number): Paged<[number, Buffer]> =>
    (levels[level] ??= new Paged((after, limit) => nodePage.all(level, after, limit) as [number, Buffer][]));
  const leaves = new Paged((after, limit) => leafPage.all(after, limit) as [number, Buffer, Buffer | null][]);
  try {
    const checkRoot = (): VerifyProblem | undefined => {
      const cp = cpRoots.get(frontier.size);
      if (!cp) return undefined;
      report.checkpointsChecked++;
      const root = frontier.root();
      if (root.equals(cp.root)) return undefined;
      return {
        kind: 'checkpoint',
        index: Math.max(0, frontier.size - 1),
        message: `the first ${frontier.size} events do not match the signed checkpoint at that size: history was rewritten`,
        expected: b64(cp.root),
        actual: b64(root),
      };
    };
    for (let next = leaves.next(); next; next = leaves.next()) {
      const [idx, event, storedLeaf] = next;
      const expected = frontier.size;
      if (idx !== expected) {
        return fail({
          kind: 'missing-leaf',
          index: expected,
          message: `event ${expected} is missing (next stored is ${idx})`,
        });
      }
      if (options.deep) {
        const problem = checkEventForm(idx, event);
        if (problem) return fail(problem);
      }
      const completed = frontier.append(hashLeaf(event));
      for (const node of completed) {
        const row: [number, Buffer | null] | undefined =
          node.level === 0 ? (storedLeaf ? [idx, storedLeaf] : undefined) : levelIter(node.level).next();
        const first = node.index * 2 ** node.level;
        if (!row || row[0] !== node.index) {
          return fail({
            kind: 'missing-node',
            index: first,
            level: node.level,
            message:
              node.level === 0
                ? `leaf hash of event ${idx} is missing`
                : `subtree hash at level ${node.level} index ${node.index} (events ${first}–${first + 2 ** node.level - 1}) is missing`,
          });
        }
        const stored = row[1]!;
        report.nodesChecked++;
        if (!stored.equals(node.hash)) {
          return fail({
            kind: node.level === 0 ? 'leaf-hash' : 'node-hash',
            index: first,
            level: node.level,
            message:
              node.level === 0
                ? `event ${idx} does not match its committed leaf hash: its bytes were changed or the row was swapped`
                : `subtree hash at level ${node.level} (events ${first}–${first + 2 ** node.level - 1}) differs from the recomputed one`,
            expected: b64(node.hash),
            actual: b64(stored),
          });
        }
      }
      report.leavesChecked++;
      const cpProblem = checkRoot();
      if (cpProblem) return fail(cpProblem);
    }
  } finally {
    levels.length = 0;
    db.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
  }
  const count = frontier.size;
  const root = frontier.root();
  report.root = b64(root);
  if (count < state.size) {
    return fail({
      kind: 'missing-leaf',
      index: count,
      message: `the log was truncated: ${state.size} events recorded, ${count} stored`,
    });
  }
  if (count > state.size) {
    return fail({
      kind: 'extra-leaf',
      index: state.size,
      message: `${count - state.size} event(s) were added behind the log's back from index ${state.size}`,
    });
  }
  if (!root.equals(state.root) || !Buffer.concat(frontier.hashes).equals(state.frontier)) {
    return fail({
      kind: 'state',
      index: Math.max(0, count - 1),
      message: 'the persisted root or frontier differs from the recomputed tree',
      expected: b64(root),
      actual: b64(state.root),
    });
  }
  for (const cp of checkpoints) {
    if (cp.size > count) {
      return fail({
        kind: 'checkpoint',
        index: count,
        message: `a signed checkpoint covers ${cp.size} events but only ${count} are stored: the log was truncated`,
      });
    }
  }
  const payloads = db
    .prepare(
      `SELECT p.idx, p.salt, p.payload, l.event FROM audit_payloads p LEFT JOIN audit_leaves l ON l.idx = p.idx
       WHERE p.erased_at IS NULL ORDER BY p.idx`,
    )
    .raw()
    .iterate() as Iterable<[number, Buffer | null, string | null, Buffer | null]>;
  for (const [idx, salt, payload, event] of payloads) {
    let ok = false;
    try {
      const committed = (
        JSON.parse((event ?? Buffer.alloc(0)).toString('utf8')) as { payloadCommitment?: string }
      ).payloadCommitment;
      ok = salt !== null && payload !== null && committed === payloadCommitment(salt, JSON.parse(payload));
    } catch {
      ok = false;
    }
    if (!ok)
      return fail({
        kind: 'payload',
        index: idx,
        message: `the stored payload of event ${idx} does not match the commitment in the event`,
      });
    report.payloadsChecked++;
  }
  return { ...report, ok: true };
}

function checkEventForm(idx: number, bytes: Buffer): VerifyProblem | undefined {
  const text = bytes.toString('utf8');
  try {
    const parsed = AuditEvent.safeParse(JSON.parse(text));
    if (!parsed.success)
      return {
        kind: 'malformed-event',
        index: idx,
        message: `event ${idx} does not match the audit event schema`,
      };
    if (canonicalize(JSON.parse(text)) !== text)
      return {
        kind: 'malformed-event',
        index: idx,
        message: `event ${idx} is not in RFC 8785 canonical form`,
      };
  } catch {
    return { kind: 'malformed-event', index: idx, message: `event ${idx} is not valid JSON` };
  }
  return undefined;
}

const PAGE = 256;

/** Rows of one ordered range query (first column the idx), fetched a page at a time. */
class Paged<Row extends [number, ...unknown[]]> {
  readonly #fetch: (after: number, limit: number) => Row[];
  #rows: Row[] = [];
  #at = 0;
  #after = -1;
  #done = false;

  constructor(fetch: (after: number, limit: number) => Row[]) {
    this.#fetch = fetch;
  }

  next(): Row | undefined {
    if (this.#at >= this.#rows.length) {
      if (this.#done) return undefined;
      this.#rows = this.#fetch(this.#after, PAGE);
      this.#at = 0;
      if (this.#rows.length < PAGE) this.#done = true;
      if (this.#rows.length === 0) return undefined;
      this.#after = this.#rows[this.#rows.length - 1]![0];
    }
    return this.#rows[this.#at++];
  }
}
