import { AuditEvent, parseStrict, type Clock, type DataClass } from '@steward/protocol';
import type { Store } from '@steward/store';
import { ProfileError } from '../errors.ts';
import type { AuditSink, DecidePort, SignerPort } from '../ports.ts';
import { open, valueAad, type ProfileKeys } from './crypto.ts';

/** Everything the profile's operations share; built once by `openProfile`. */
export interface VaultContext {
  readonly store: Store;
  readonly keys: ProfileKeys;
  readonly clock: Clock;
  readonly audit: AuditSink | undefined;
  readonly decide: DecidePort | undefined;
  readonly sign: SignerPort | undefined;
  readonly relayDomain: string;
}

/** A decrypted profile value. */
export interface StoredValue {
  valueId: string;
  dataClass: DataClass;
  label: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

interface ValueRow {
  value_id: string;
  data_class: string;
  label: string;
  nonce: Buffer;
  ciphertext: Buffer;
  created_at: string;
  updated_at: string;
}

/** The clock's time as an ISO 8601 string. */
export function isoNow(ctx: VaultContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

/** The clock's time as epoch seconds. */
export function epochNow(ctx: VaultContext): number {
  return Math.floor(ctx.clock.now() / 1000);
}

function decryptRow(ctx: VaultContext, row: ValueRow): StoredValue {
  const value = open(ctx.keys.enc, row.nonce, row.ciphertext, valueAad(row.value_id, row.data_class), row.value_id);
  return {
    valueId: row.value_id,
    dataClass: row.data_class as DataClass,
    label: row.label,
    value,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every stored value (optionally of one class), decrypted, ordered by class then label. */
export function readValues(ctx: VaultContext, dataClass?: DataClass): StoredValue[] {
  const rows = (
    dataClass === undefined
      ? ctx.store.statement('SELECT * FROM profile_values ORDER BY data_class, label').all()
      : ctx.store.statement('SELECT * FROM profile_values WHERE data_class = ? ORDER BY label').all(dataClass)
  ) as ValueRow[];
  return rows.map((r) => decryptRow(ctx, r));
}

/**
 * Finds the one value meant by (class, label). Without a label: the only value of the class, else
 * the one labelled `primary`; otherwise `ERR_PROFILE_VALUE_AMBIGUOUS`.
 */
export function resolveValue(ctx: VaultContext, dataClass: DataClass, label?: string): StoredValue | undefined {
  const values = readValues(ctx, dataClass);
  if (label !== undefined) return values.find((v) => v.label === label);
  if (values.length <= 1) return values[0];
  const primary = values.find((v) => v.label === 'primary');
  if (primary) return primary;
  throw new ProfileError(
    'ERR_PROFILE_VALUE_AMBIGUOUS',
    `the profile holds several \`${dataClass}\` values (${values.map((v) => v.label).join(', ')}); name one by its label`,
    { details: { dataClass, labels: values.map((v) => v.label) } },
  );
}

function sinkOf(ctx: VaultContext, type: string): AuditSink {
  if (!ctx.audit) {
    throw new ProfileError('ERR_PROFILE_AUDIT_FAILED', 'no audit sink is configured; personal data does not leave off the record', {
      details: { type },
    });
  }
  return ctx.audit;
}

function deliver(sink: AuditSink, events: readonly AuditEvent[]): void {
  for (const event of events) {
    try {
      sink(event);
    } catch (cause) {
      throw new ProfileError('ERR_PROFILE_AUDIT_FAILED', `the audit sink refused a \`${event.type}\` event; nothing was done`, {
        cause,
        details: { type: event.type },
      });
    }
  }
}

/** Validates events and hands them to the sink; a missing or failing sink throws `ERR_PROFILE_AUDIT_FAILED`. */
export function emitEvents(ctx: VaultContext, events: readonly AuditEvent[]): void {
  if (events.length === 0) return;
  const sink = sinkOf(ctx, events[0]?.type ?? 'event');
  deliver(sink, events.map((e) => parseStrict(AuditEvent, e, 'audit event')));
}

/** What a write returns for {@link writeAudited}: its result, its events, and how to take it back. */
export interface AuditedWrite<T> {
  result: T;
  events: AuditEvent[];
  undo: () => void;
}

/**
 * Runs `write` in one transaction (durable if asked), then hands its events to the audit sink
 * outside that transaction, so that a sink writing to the same database never has its rows rolled
 * back under it. If the sink fails, `undo` takes the write back in a new transaction and
 * `ERR_PROFILE_AUDIT_FAILED` is thrown: nothing stays unaudited (at worst the log records an
 * event whose effect was then undone, which over-reports and is safe).
 */
export function writeAudited<T>(ctx: VaultContext, options: { durable: boolean; auditRequired: boolean }, write: () => AuditedWrite<T>): T {
  if (options.auditRequired) sinkOf(ctx, 'write');
  const run = <R>(fn: () => R): R => (options.durable ? ctx.store.durably(fn) : ctx.store.transaction(fn));
  const done = run(() => {
    const out = write();
    return { ...out, events: out.events.map((e) => parseStrict(AuditEvent, e, 'audit event')) };
  });
  if (!ctx.audit || done.events.length === 0) return done.result;
  try {
    deliver(ctx.audit, done.events);
  } catch (error) {
    try {
      run(done.undo);
    } catch {
      // The sink's failure is what the caller must see; a failed undo leaves an over-reporting row.
    }
    throw error;
  }
  return done.result;
}
