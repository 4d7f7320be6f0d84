import canonicalize from 'canonicalize';
import { AuditEvent } from '@steward/protocol';
import type { Database, Store } from '@steward/store';
import { digest } from '../internal/digest.ts';
import { isRun, readCounts } from '../internal/number-list.ts';
import { Frontier } from '../merkle/frontier.ts';
import { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf } from '../merkle/hash.ts';
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

  // A full scan gains nothing from a large page cache; keep it small so memory stays flat.
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('cache_size = -2000');
  const scan = new PageScan(db, cpRoots, options.deep === true);
  try {
    const [low, high] = db.prepare('SELECT min(idx), max(idx) FROM audit_leaves').raw().get() as [
      number | null,
      number | null,
    ];
    const end = high === null ? 0 : high + 1;
    let page = FIRST_PAGE;
    // Pages of leaves [at, to): checked in bulk first (one aggregate query for the leaves, one per
    // tree level for the stored nodes, compared as whole byte ranges); a page where anything at
    // all differs is rechecked row by row from the tree as it was before the page, which names the
    // first bad index exactly as a row-by-row scan of the whole log would.
    for (let at = 0; at < end || (at === 0 && low !== null);) {
      const to = Math.min(end, at + page);
      const bulk = at === 0 && low !== null && low < 0 ? undefined : scan.page(at, to);
      if (bulk) {
        report.leavesChecked += bulk.leaves;
        report.nodesChecked += bulk.nodes;
        report.checkpointsChecked += bulk.checkpoints;
        page = Math.max(
          MIN_PAGE,
          Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / Math.max(1, bulk.bytes / bulk.leaves))),
        );
      } else {
        const slow = checkRows(
          db,
          cpRoots,
          options.deep === true,
          at === 0 ? Number.MIN_SAFE_INTEGER : at,
          to,
          scan.tree(),
        );
        if (slow.problem) return fail(slow.problem);
        scan.reset(slow.tree);
        report.leavesChecked += slow.leaves;
        report.nodesChecked += slow.nodes;
        report.checkpointsChecked += slow.checkpoints;
      }
      at = to;
      if (to >= end) break;
    }
  } finally {
    db.pragma(`cache_size = ${Math.trunc(cacheSize)}`);
  }
  const tree = scan.tree();
  const frontier = new Frontier(tree.size, tree.stack);
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

/** The tree recomputed so far: its size and its compact range (largest subtree first). */
interface Tree {
  size: number;
  stack: Buffer[];
}

/** What one page contributed to the report. */
interface PageCount {
  leaves: number;
  nodes: number;
  checkpoints: number;
}

// Pages start small and grow to MAX_PAGE events, sized from the previous page so that one page of
// event bytes stays near PAGE_BYTES: memory is bounded by the page, not the log.
const FIRST_PAGE = 256;
const MIN_PAGE = 16;
const MAX_PAGE = 2048;
const PAGE_BYTES = 2 ** 20;

// Layout of the scan's work buffer: the 65-byte input of an interior hash (0x01 ‖ left ‖ right),
// then one 32-byte slot per level for the compact range carried from page to page, then, per
// page, the recomputed hashes of each level side by side.
const PAIR = 0;
const CARRY = 128;
const LEVELS = 64;
const PAGE_AT = CARRY + LEVELS * HASH_SIZE;

type LeafPage = [idxs: string | null, lengths: string | null, bytes: Buffer | null];
type NodePage = [idxs: string | null, hashes: Buffer | null];

/**
 * The bulk check of a page of leaves. One aggregate query returns the page's event bytes
 * concatenated, their lengths and their idx values in the order SQLite visited them (which must
 * be exactly at, at+1, …, with -1 marking a value that is not a BLOB: a row missing, of the wrong
 * type or visited out of order fails the page). The recomputed hashes of each tree level are
 * written side by side in one buffer and compared with the stored ones of that level, read the
 * same way, in one comparison. Any difference fails the page; the caller then rechecks it row by
 * row to name what and where.
 */
class PageScan {
  readonly #leafPage;
  readonly #nodePage;
  readonly #deep: boolean;
  readonly #cpSizes: number[];
  readonly #cpRoots: ReadonlyMap<number, { root: Buffer }>;
  #cpAt = 0;
  readonly #lengths = new Int32Array(MAX_PAGE);
  #work = Buffer.alloc(PAGE_AT + 4 * MAX_PAGE * HASH_SIZE);
  #pair = this.#work.subarray(PAIR, PAIR + 1 + 2 * HASH_SIZE);
  /** Where each level's carried hash is (the CARRY slot between pages; in the page inside one). */
  readonly #carry = new Int32Array(LEVELS);
  readonly #base = new Int32Array(LEVELS);
  readonly #fill = new Int32Array(LEVELS);
  #size = 0;
  /** Only on a UTF-8 database are a BLOB's bytes passed through `group_concat` unchanged. */
  readonly #enabled: boolean;

  constructor(db: Database, cpRoots: ReadonlyMap<number, { root: Buffer }>, deep: boolean) {
    this.#leafPage = db
      .prepare(
        `SELECT group_concat(iif(typeof(event) = 'blob', idx, -1)), group_concat(length(event)),
                CAST(group_concat(event, '') AS BLOB)
         FROM audit_leaves WHERE idx >= ? AND idx < ?`,
      )
      .raw();
    this.#nodePage = db
      .prepare(
        `SELECT group_concat(iif(typeof(hash) = 'blob', idx, -1)), CAST(group_concat(hash, '') AS BLOB)
         FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ?`,
      )
      .raw();
    this.#deep = deep;
    this.#cpRoots = cpRoots;
    this.#cpSizes = [...cpRoots.keys()].sort((a, b) => a - b);
    this.#enabled = db.pragma('encoding', { simple: true }) === 'UTF-8';
    this.#work[PAIR] = 0x01;
    for (let level = 0; level < LEVELS; level++) this.#carry[level] = CARRY + level * HASH_SIZE;
  }

  /** The tree so far, as copies. */
  tree(): Tree {
    const stack: Buffer[] = [];
    for (let level = LEVELS - 1; level >= 0; level--) {
      if (Math.floor(this.#size / 2 ** level) % 2 === 1)
        stack.push(Buffer.from(this.#hashAt(this.#carry[level]!)));
    }
    return { size: this.#size, stack };
  }

  /** Continues from a tree checked elsewhere. */
  reset(tree: Tree): void {
    let k = 0;
    for (let level = LEVELS - 1; level >= 0; level--) {
      this.#carry[level] = CARRY + level * HASH_SIZE;
      if (Math.floor(tree.size / 2 ** level) % 2 === 1)
        this.#work.set(tree.stack[k++]!, CARRY + level * HASH_SIZE);
    }
    this.#size = tree.size;
  }

  /** Checks leaves [at, to) on top of the tree so far (advancing it); undefined if anything differs. */
  page(at: number, to: number): (PageCount & { bytes: number }) | undefined {
    const count = to - at;
    if (!this.#enabled || count > MAX_PAGE || count < 1 || this.#size !== at) return undefined;
    const [idxs, lengthList, bytes] = this.#leafPage.get(at, to) as LeafPage;
    if (idxs === null || lengthList === null || bytes === null) return undefined;
    const lengths = this.#lengths;
    if (!isRun(idxs, at, count) || readCounts(lengthList, lengths) !== count) return undefined;

    // Level L of the tree completes nodes [⌊at/2^L⌋, ⌊to/2^L⌋) inside this page.
    const base = this.#base;
    const fill = this.#fill;
    let top = 0;
    let end = PAGE_AT;
    for (let level = 0; level < LEVELS && 2 ** level <= to; level++) {
      top = level;
      base[level] = end;
      fill[level] = 0;
      const w = 2 ** level;
      end += (Math.floor(to / w) - Math.floor(at / w)) * HASH_SIZE;
    }
    if (end > this.#work.length) {
      const grown = Buffer.alloc(Math.max(end, 2 * this.#work.length));
      this.#work.copy(grown, 0, 0, PAGE_AT);
      this.#work = grown;
      this.#pair = grown.subarray(PAIR, PAIR + 1 + 2 * HASH_SIZE);
    }
    const work = this.#work;
    const pair = this.#pair;
    const carry = this.#carry;

    const cps = this.#cpSizes;
    while (this.#cpAt < cps.length && cps[this.#cpAt]! <= at) this.#cpAt++;
    let nextCp = this.#cpAt < cps.length ? cps[this.#cpAt]! : -1;
    let checkpoints = 0;
    let size = at;
    let offset = bytes.byteOffset;
    const last = bytes.byteOffset + bytes.length;
    let ok = true;
    for (let k = 0; k < count; k++) {
      const length = lengths[k]!;
      if (offset + length > last) {
        ok = false;
        break;
      }
      const event = new Uint8Array(bytes.buffer, offset, length);
      offset += length;
      if (this.#deep && checkEventForm(size, Buffer.from(event.buffer, event.byteOffset, event.byteLength))) {
        ok = false;
        break;
      }
      // The leaf goes through hashLeaf, exactly as the raw-hashing baseline of the benchmark does.
      let at0 = base[0]! + fill[0]!;
      work.set(hashLeaf(event), at0);
      fill[0]! += HASH_SIZE;
      let level = 0;
      for (let pos = size; pos % 2 === 1; pos = (pos - 1) / 2) {
        // Left sibling: the hash just before in this level's run, or the one carried in.
        const left = carry[level]!;
        if (left === at0 - HASH_SIZE) work.copyWithin(PAIR + 1, left, at0 + HASH_SIZE);
        else {
          work.copyWithin(PAIR + 1, left, left + HASH_SIZE);
          work.copyWithin(PAIR + 1 + HASH_SIZE, at0, at0 + HASH_SIZE);
        }
        level++;
        at0 = base[level]! + fill[level]!;
        work.write(digest(pair), at0, HASH_SIZE, 'latin1');
        fill[level]! += HASH_SIZE;
      }
      carry[level] = at0;
      size++;
      if (size === nextCp) {
        if (!this.#root(size).equals(this.#cpRoots.get(size)!.root)) {
          ok = false;
          break;
        }
        checkpoints++;
        this.#cpAt++;
        nextCp = this.#cpAt < cps.length ? cps[this.#cpAt]! : -1;
      }
    }
    let nodes = 0;
    if (ok && offset === last) {
      for (let level = 0; level <= top; level++) {
        const w = 2 ** level;
        const lo = Math.floor(at / w);
        const hi = Math.floor(to / w);
        if (hi === lo) continue;
        const [nodeIdxs, stored] = this.#nodePage.get(level, lo, hi) as NodePage;
        const length = (hi - lo) * HASH_SIZE;
        const from = base[level]!;
        if (
          nodeIdxs === null ||
          stored === null ||
          fill[level] !== length ||
          stored.length !== length ||
          !isRun(nodeIdxs, lo, hi - lo) ||
          work.compare(stored, 0, length, from, from + length) !== 0
        ) {
          ok = false;
          break;
        }
        nodes += hi - lo;
      }
    } else ok = false;
    // Carry the compact range into its slots for the next page; on failure, back to as it was.
    for (let level = 0; level < LEVELS; level++) {
      const slot = CARRY + level * HASH_SIZE;
      if (ok && carry[level] !== slot) work.copyWithin(slot, carry[level]!, carry[level]! + HASH_SIZE);
      carry[level] = slot;
    }
    if (!ok) return undefined;
    this.#size = size;
    return { leaves: count, nodes, checkpoints, bytes: bytes.length };
  }

  #hashAt(at: number): Buffer {
    return this.#work.subarray(at, at + HASH_SIZE);
  }

  /** The root of the first `size` leaves from the carried hashes, smallest subtree first. */
  #root(size: number): Buffer {
    let acc: Buffer | undefined;
    for (let level = 0; level < LEVELS && 2 ** level <= size; level++) {
      if (Math.floor(size / 2 ** level) % 2 === 0) continue;
      const h = this.#hashAt(this.#carry[level]!);
      acc = acc ? hashChildren(h, acc) : Buffer.from(h);
    }
    return acc ?? EMPTY_ROOT;
  }
}

/**
 * The row-by-row check of leaves [from, to) on top of `start`: each row must be the next index,
 * its leaf hash and every subtree it completes must equal the stored ones, and the root must
 * equal every signed checkpoint it reaches. Reports the first problem.
 */
function checkRows(
  db: Database,
  cpRoots: ReadonlyMap<number, { root: Buffer }>,
  deep: boolean,
  from: number,
  to: number,
  start: Tree,
): PageCount & { tree: Tree; problem?: VerifyProblem } {
  const frontier = new Frontier(start.size, start.stack);
  const count: PageCount = { leaves: 0, nodes: 0, checkpoints: 0 };
  const done = (problem?: VerifyProblem) => ({
    ...count,
    tree: { size: frontier.size, stack: frontier.hashes },
    ...(problem ? { problem } : {}),
  });
  const rows = db
    .prepare(
      `SELECT l.idx, l.event, n.hash FROM audit_leaves l LEFT JOIN audit_nodes n ON n.level = 0 AND n.idx = l.idx
       WHERE l.idx >= ? AND l.idx < ? ORDER BY l.idx`,
    )
    .raw()
    .all(from, to) as [number, unknown, unknown][];
  const nodeAt = db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck();
  for (const [idx, event, storedLeaf] of rows) {
    const expected = frontier.size;
    if (idx !== expected) {
      return done({
        kind: 'missing-leaf',
        index: expected,
        message: `event ${expected} is missing (next stored is ${idx})`,
      });
    }
    if (!(event instanceof Uint8Array)) {
      return done({ kind: 'malformed-event', index: idx, message: `event ${idx} is not stored as bytes` });
    }
    if (deep) {
      const problem = checkEventForm(idx, Buffer.from(event.buffer, event.byteOffset, event.byteLength));
      if (problem) return done(problem);
    }
    for (const node of frontier.append(hashLeaf(event))) {
      const stored = node.level === 0 ? storedLeaf : nodeAt.get(node.level, node.index);
      const first = node.index * 2 ** node.level;
      if (stored === undefined || stored === null) {
        return done({
          kind: 'missing-node',
          index: first,
          level: node.level,
          message:
            node.level === 0
              ? `leaf hash of event ${idx} is missing`
              : `subtree hash at level ${node.level} index ${node.index} (events ${first}–${first + 2 ** node.level - 1}) is missing`,
        });
      }
      count.nodes++;
      if (!(stored instanceof Uint8Array) || !node.hash.equals(stored)) {
        return done({
          kind: node.level === 0 ? 'leaf-hash' : 'node-hash',
          index: first,
          level: node.level,
          message:
            node.level === 0
              ? `event ${idx} does not match its committed leaf hash: its bytes were changed or the row was swapped`
              : `subtree hash at level ${node.level} (events ${first}–${first + 2 ** node.level - 1}) differs from the recomputed one`,
          expected: b64(node.hash),
          actual: stored instanceof Uint8Array ? b64(stored) : typeof stored,
        });
      }
    }
    count.leaves++;
    const cp = cpRoots.get(frontier.size);
    if (cp) {
      count.checkpoints++;
      const root = frontier.root();
      if (!root.equals(cp.root)) {
        return done({
          kind: 'checkpoint',
          index: Math.max(0, frontier.size - 1),
          message: `the first ${frontier.size} events do not match the signed checkpoint at that size: history was rewritten`,
          expected: b64(cp.root),
          actual: b64(root),
        });
      }
    }
  }
  if (frontier.size < to) {
    const next = db.prepare('SELECT min(idx) FROM audit_leaves WHERE idx >= ?').pluck().get(frontier.size) as
      number | null;
    return done({
      kind: 'missing-leaf',
      index: frontier.size,
      message: `event ${frontier.size} is missing (next stored is ${next ?? 'none'})`,
    });
  }
  return done();
}
