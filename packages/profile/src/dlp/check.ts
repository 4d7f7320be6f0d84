import { Id, type DataClass } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import { emitEvents, isoNow, readValues, type VaultContext } from '../internal/context.ts';
import { canonicalOrigin } from '../disclosure/relay.ts';
import { DLP_DEFAULT_CLASSES, findLeaks, type LeakFinding } from './scan.ts';

/** Where an outbound message is going, for the audit event. */
export interface OutboundContext {
  vendor: string;
  taskId?: string;
  /** What the message is (e.g. `order`, `rfq`), for the log. */
  messageType?: string;
  /** Classes to screen; default {@link DLP_DEFAULT_CLASSES}. */
  classes?: readonly DataClass[];
}

/** A clean scan. */
export interface ScanResult {
  ok: true;
  checkedValues: number;
}

/**
 * Screens an outbound message against every profile value not in `allowed`. On a match it audits
 * `disclosure.blocked` (classes, labels, paths, never values) and throws `ERR_PROFILE_DLP_BLOCKED`.
 */
export function checkOutbound(ctx: VaultContext, message: unknown, allowed: Iterable<string>, context: OutboundContext): ScanResult {
  const vendor = canonicalOrigin(context.vendor);
  if (context.taskId !== undefined && !Id.safeParse(context.taskId).success) {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', 'task id must be an identifier of letters, digits and ._:-', { details: { field: 'taskId' } });
  }
  const secrets = readValues(ctx);
  const classes = context.classes ?? DLP_DEFAULT_CLASSES;
  let findings: LeakFinding[];
  try {
    findings = findLeaks(message, secrets, allowed, classes);
  } catch (error) {
    if (error instanceof ProfileError) {
      emitEvents(ctx, [
        {
          type: 'disclosure.blocked',
          at: isoNow(ctx),
          actor: 'broker',
          ...(context.taskId === undefined ? {} : { taskId: context.taskId }),
          vendor,
          decision: 'deny',
          summary: `blocked a message to ${vendor}: it could not be screened for personal data`,
          data: { stage: 'dlp', code: error.code, ...(context.messageType ? { messageType: context.messageType } : {}) },
        },
      ]);
    }
    throw error;
  }
  if (findings.length === 0) return { ok: true, checkedValues: secrets.filter((x) => classes.includes(x.dataClass)).length };
  const dataClasses = [...new Set(findings.map((f) => f.dataClass))];
  const paths = [...new Set(findings.flatMap((f) => f.paths))].slice(0, 50);
  emitEvents(ctx, [
    {
      type: 'disclosure.blocked',
      at: isoNow(ctx),
      actor: 'broker',
      ...(context.taskId === undefined ? {} : { taskId: context.taskId }),
      vendor,
      decision: 'deny',
      summary: `blocked a message to ${vendor}: it carried ${dataClasses.join(', ')} beyond what the policy allowed`,
      data: {
        stage: 'dlp',
        code: 'ERR_PROFILE_DLP_BLOCKED',
        findings: findings.slice(0, 20).map((f) => ({ dataClass: f.dataClass, label: f.label, method: f.method, paths: f.paths.slice(0, 10) })),
        ...(context.messageType ? { messageType: context.messageType } : {}),
      },
    },
  ]);
  throw new ProfileError('ERR_PROFILE_DLP_BLOCKED', `the message to \`${vendor}\` carries personal data the policy did not allow (${dataClasses.join(', ')})`, {
    details: { vendor, dataClasses, paths },
  });
}
