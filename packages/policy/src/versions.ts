import { createTwoFilesPatch } from 'diff';
import { systemClock, type AuditEvent, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import type { CompiledPolicy } from './compile.ts';
import { PolicyError } from './errors.ts';
import { loadPolicy } from './load.ts';

/** One applied policy version, as kept in the database. */
export interface PolicyVersionEntry {
  /** Position in the history, 1, 2, 3… */
  seq: number;
  /** Content hash of the source. */
  version: string;
  name: string;
  file: string;
  message: string;
  /** `rollback` when this entry restored an older version. */
  kind: 'apply' | 'rollback';
  /** For a rollback: the entry it restored. */
  restoredSeq?: number;
  /** A shadow file: evaluated alongside the active policy, never enforced. */
  shadow: boolean;
  appliedAt: string;
}

/** What applying or rolling back produced: the new entry, the compiled policy and the audit event to append. */
export interface PolicyChange {
  entry: PolicyVersionEntry;
  previous?: PolicyVersionEntry;
  policy: CompiledPolicy;
  /** The broker appends this to the audit log (`policy.applied` or `policy.rolled_back`). */
  event: AuditEvent;
}

interface Row {
  seq: number;
  version: string;
  name: string;
  file: string;
  source: string;
  message: string;
  kind: 'apply' | 'rollback';
  restored_seq: number | null;
  shadow: number;
  applied_at: string;
}

const toEntry = (r: Row): PolicyVersionEntry => ({
  seq: r.seq,
  version: r.version,
  name: r.name,
  file: r.file,
  message: r.message,
  kind: r.kind,
  ...(r.restored_seq === null ? {} : { restoredSeq: r.restored_seq }),
  shadow: r.shadow === 1,
  appliedAt: r.applied_at,
});

/** A reference to a version: its sequence number, or its content hash (a unique prefix of 6+ characters). */
export type VersionRef = number | string;

/**
 * Applied policy versions in SQLite: apply (validate first; a broken policy never becomes
 * active), history, diff, rollback (an apply of an old version, recorded as such).
 * @see docs/policies.md
 */
export class PolicyVersions {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, options: { clock?: Clock } = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
  }

  #row(ref: VersionRef): Row {
    const db = this.#store.db;
    let row: Row | undefined;
    if (typeof ref === 'number') {
      row = db.prepare('SELECT * FROM policy_versions WHERE seq = ?').get(ref) as Row | undefined;
    } else if (/^\d+$/.test(ref)) {
      row = db.prepare('SELECT * FROM policy_versions WHERE seq = ?').get(Number(ref)) as Row | undefined;
    } else if (ref.length >= 6) {
      const rows = db
        .prepare("SELECT * FROM policy_versions WHERE version LIKE ? || '%' ESCAPE '\\' ORDER BY seq DESC")
        .all(ref.replace(/[%_\\]/g, (c) => `\\${c}`)) as Row[];
      const versions = new Set(rows.map((r) => r.version));
      if (versions.size === 1) row = rows[0];
    }
    if (!row)
      throw new PolicyError('ERR_POLICY_VERSION_NOT_FOUND', `no policy version \`${String(ref)}\``, {
        details: { ref: String(ref) },
      });
    return row;
  }

  #latest(shadow: boolean): Row | undefined {
    return this.#store
      .statement('SELECT * FROM policy_versions WHERE shadow = ? ORDER BY seq DESC LIMIT 1')
      .get(shadow ? 1 : 0) as Row | undefined;
  }

  #insert(
    policy: CompiledPolicy,
    message: string,
    kind: 'apply' | 'rollback',
    restoredSeq: number | undefined,
  ): PolicyChange {
    return this.#store.durably(() => {
      const previous = this.#latest(policy.shadow);
      const appliedAt = new Date(this.#clock.now()).toISOString();
      const info = this.#store
        .statement(
          'INSERT INTO policy_versions (version, name, file, source, message, kind, restored_seq, shadow, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          policy.version,
          policy.name,
          policy.file,
          policy.source,
          message,
          kind,
          restoredSeq ?? null,
          policy.shadow ? 1 : 0,
          appliedAt,
        );
      const entry = toEntry({
        seq: Number(info.lastInsertRowid),
        version: policy.version,
        name: policy.name,
        file: policy.file,
        source: policy.source,
        message,
        kind,
        restored_seq: restoredSeq ?? null,
        shadow: policy.shadow ? 1 : 0,
        applied_at: appliedAt,
      });
      const prev = previous ? toEntry(previous) : undefined;
      const event: AuditEvent = {
        type: kind === 'apply' ? 'policy.applied' : 'policy.rolled_back',
        at: appliedAt,
        actor: 'person',
        policyVersion: policy.version,
        summary:
          kind === 'apply'
            ? `${policy.shadow ? 'shadow ' : ''}policy \`${policy.name}\` applied (version ${entry.seq})`
            : `policy rolled back to version ${restoredSeq ?? '?'} as version ${entry.seq}`,
        data: {
          seq: entry.seq,
          version: policy.version,
          name: policy.name,
          message: message.slice(0, 500),
          shadow: policy.shadow,
          previousVersion: prev?.version ?? null,
          previousSeq: prev?.seq ?? null,
          ...(restoredSeq === undefined ? {} : { restoredSeq }),
        },
      };
      return { entry, ...(prev ? { previous: prev } : {}), policy, event };
    });
  }

  /** Validates `source` and, only if it is valid, records it as the active (or shadow) policy. */
  apply(source: string, options: { file?: string; message: string }): PolicyChange {
    const policy = loadPolicy(source, options.file ?? '<policy>');
    return this.#insert(policy, options.message, 'apply', undefined);
  }

  /** Re-applies an older version, recorded as a rollback. */
  rollback(ref: VersionRef, message = 'rollback'): PolicyChange {
    const row = this.#row(ref);
    const policy = loadPolicy(row.source, row.file);
    return this.#insert(policy, message, 'rollback', row.seq);
  }

  /** The versions, newest first. */
  history(limit = 50): PolicyVersionEntry[] {
    return (
      this.#store.statement('SELECT * FROM policy_versions ORDER BY seq DESC LIMIT ?').all(limit) as Row[]
    ).map(toEntry);
  }

  /** One version with its source. */
  get(ref: VersionRef): PolicyVersionEntry & { source: string } {
    const row = this.#row(ref);
    return { ...toEntry(row), source: row.source };
  }

  /** The active (enforced) policy, compiled; throws `ERR_POLICY_NO_ACTIVE` when none was applied. */
  active(): { entry: PolicyVersionEntry; policy: CompiledPolicy } {
    const row = this.#latest(false);
    if (!row)
      throw new PolicyError(
        'ERR_POLICY_NO_ACTIVE',
        'no policy has been applied yet; run `steward policy apply policies/default.yaml`',
      );
    return { entry: toEntry(row), policy: this.#compiled(row) };
  }

  /** The shadow policy applied after the active one, if any. */
  shadow(): { entry: PolicyVersionEntry; policy: CompiledPolicy } | undefined {
    const row = this.#latest(true);
    const active = this.#latest(false);
    if (!row || (active && active.seq > row.seq)) return undefined;
    return { entry: toEntry(row), policy: this.#compiled(row) };
  }

  // Compiled policies by content hash and file: the broker asks for the active policy at every
  // decision, and recompiling the YAML each time cost milliseconds. The row is still read each
  // time, so a version applied by another process (the CLI) takes effect at the next decision.
  readonly #cache = new Map<string, CompiledPolicy>();
  #compiled(row: Row): CompiledPolicy {
    const key = `${row.version}\u0000${row.file}`;
    let policy = this.#cache.get(key);
    if (!policy) {
      policy = loadPolicy(row.source, row.file);
      if (this.#cache.size >= 16) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(key, policy);
    }
    return policy;
  }

  /** A unified text diff of two versions' YAML, or of a version and a candidate source. */
  diff(from: VersionRef, to: VersionRef | { source: string; file?: string }): string {
    const a = this.#row(from);
    const b =
      typeof to === 'object'
        ? { source: to.source, seq: undefined, file: to.file ?? 'candidate' }
        : this.#row(to);
    return diffSources(
      a.source,
      b.source,
      `version ${a.seq}`,
      b.seq === undefined ? b.file : `version ${b.seq}`,
    );
  }
}

/** A unified diff of two policy sources. */
export function diffSources(
  before: string,
  after: string,
  beforeName = 'before',
  afterName = 'after',
): string {
  return createTwoFilesPatch(beforeName, afterName, before, after, undefined, undefined, { context: 3 });
}
