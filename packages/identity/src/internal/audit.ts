import type { AuditEvent, Clock } from '@steward/protocol';

/** Where identity changes are reported; the broker wires it to the audit log. */
export type AuditSink = (event: AuditEvent) => void;

/** Builds and sends one audit event; a missing sink sends nothing. */
export function emitAudit(sink: AuditSink | undefined, clock: Clock, event: Omit<AuditEvent, 'at'>): void {
  if (!sink) return;
  sink({ ...event, at: new Date(clock.now()).toISOString() });
}

/** Who caused an identity event. */
export type AuditActor = AuditEvent['actor'];
