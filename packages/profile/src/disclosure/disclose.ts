import { createHash } from 'node:crypto';
import { DataClass, Decision, Id, Purpose, parseStrict, type AuditEvent, type Effect } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import type { ShareDataRequest, VendorRef } from '../ports.ts';
import { hmacB64u, randomId } from '../internal/crypto.ts';
import { emitEvents, isoNow, resolveValue, writeAudited, type VaultContext } from '../internal/context.ts';
import { checkLabel } from '../internal/values.ts';
import { minimumRefusal } from './minimum.ts';
import { canonicalOrigin, recordRelay, relayAddressFor } from './relay.ts';

/** One field a vendor asks for: a class, optionally which labelled value and a purpose of its own. */
export interface FieldRequest {
  dataClass: DataClass;
  /** Which value of the class (`home`, `work`); default: the only one, else `primary`. */
  label?: string;
  /** Overrides the request's purpose for this field (e.g. `delivery` for the address in an order). */
  purpose?: Purpose;
}

/** A request to share personal data with one vendor. */
export interface DisclosureRequest {
  vendor: VendorRef;
  purpose: Purpose;
  taskId?: string;
  fields: readonly (DataClass | FieldRequest)[];
  /**
   * The person's approval of the fields that needed asking: its id and either the `subjectHash` of
   * this package's approval request, or the data classes the person approved in the broker's own
   * approval (e.g. an order approval's `dataToShare`). It must cover every field the policy asks about,
   * and releases data once.
   */
  approval?: { approvalId: string; subjectHash: string } | { approvalId: string; dataClasses: readonly DataClass[] };
}

/** A field released to the vendor. */
export interface DisclosedField {
  dataClass: DataClass;
  label: string;
  purpose: Purpose;
  /** What the vendor receives: the real value, or the vendor's relay address for a relayed email. */
  value: string;
  form: 'value' | 'relay';
  effect: 'allow' | 'approved';
  policyVersion: string;
  determiningRules: string[];
  /** Keyed HMAC of what was released (the ledger keeps this, never the value). */
  fieldHash: string;
}

/** A field that needs the person's approval before it can leave. */
export interface AskField {
  dataClass: DataClass;
  label: string;
  purpose: Purpose;
  reasons: string[];
  policyVersion: string;
}

/** Why a field was refused. */
export type RefusalCode = 'missing' | 'minimum' | 'denied' | 'redacted' | 'policy_error';

/** A field refused, with a reason a person understands and what would change it. */
export interface RefusedField {
  dataClass: DataClass;
  label: string | null;
  purpose: Purpose;
  code: RefusalCode;
  reason: string;
  remedies: string[];
  policyVersion: string | null;
}

/** The approval the broker should ask the person for: exactly the fields that need asking. */
export interface DataShareApprovalRequest {
  kind: 'data_share';
  vendor: string;
  taskId?: string;
  dataToShare: DataClass[];
  fields: AskField[];
  /** SHA-256 (base64url) over vendor, task and the exact fields, purposes and policy versions. */
  subjectHash: string;
  reasons: string[];
}

/** The outcome of {@link disclose}. */
export interface DisclosureResult {
  /** `needs_approval`: nothing was released; ask the person, then call again with `approval`. */
  status: 'complete' | 'partial' | 'refused' | 'needs_approval';
  disclosureId: string;
  vendor: string;
  /** Released values by class, ready for `Order.disclosed`. */
  disclosed: Partial<Record<DataClass, string>>;
  fields: DisclosedField[];
  ask: AskField[];
  refused: RefusedField[];
  approvalRequest?: DataShareApprovalRequest;
  /** Exactly the released strings, for `scanOutbound`. */
  allowedValues: string[];
}

interface Checked {
  vendor: VendorRef & { origin: string };
  purpose: Purpose;
  taskId?: string;
  fields: { dataClass: DataClass; label?: string; purpose: Purpose }[];
}

function checkRequest(req: DisclosureRequest): Checked {
  const origin = canonicalOrigin(req.vendor.origin);
  const purpose = Purpose.safeParse(req.purpose);
  if (!purpose.success) throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `purpose \`${String(req.purpose)}\` is unknown`, { details: { field: 'purpose' } });
  if (req.taskId !== undefined && !Id.safeParse(req.taskId).success) {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', 'task id must be an identifier of letters, digits and ._:-', { details: { field: 'taskId' } });
  }
  const requested: readonly (DataClass | FieldRequest)[] = req.fields;
  if (!Array.isArray(requested) || requested.length === 0 || req.fields.length > DataClass.options.length) {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `a disclosure names 1 to ${DataClass.options.length} fields`, { details: { field: 'fields' } });
  }
  const seen = new Set<DataClass>();
  const fields = requested.map((f: DataClass | FieldRequest) => {
    const spec: FieldRequest = typeof f === 'string' ? { dataClass: f } : f;
    const dc = DataClass.safeParse(spec.dataClass);
    if (!dc.success) throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `\`${String(spec.dataClass)}\` is not a data class`, { details: { field: 'fields' } });
    if (seen.has(dc.data)) {
      throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `\`${dc.data}\` is named twice; one value per class per disclosure`, { details: { dataClass: dc.data } });
    }
    seen.add(dc.data);
    const p = spec.purpose === undefined ? purpose.data : Purpose.safeParse(spec.purpose).data;
    if (p === undefined) throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `purpose \`${String(spec.purpose)}\` is unknown`, { details: { dataClass: dc.data } });
    return { dataClass: dc.data, ...(spec.label === undefined ? {} : { label: checkLabel(spec.label) }), purpose: p };
  });
  return {
    vendor: { ...req.vendor, origin },
    purpose: purpose.data,
    ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
    fields,
  };
}

type FieldDecision = Decision | { error: string };

function shareRequest(req: Checked, dataClass: DataClass, purpose: Purpose): ShareDataRequest {
  return {
    dataClass,
    purpose,
    vendor: { origin: req.vendor.origin, verified: req.vendor.verified === true, ...(req.vendor.category ? { category: req.vendor.category } : {}) },
    ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
    action: 'share_data',
  };
}

// Fail closed: an error while deciding is a refusal, and it is said so.
function decideError(error: unknown): { error: string } {
  return { error: `the policy could not decide (${error instanceof Error ? error.message.slice(0, 200) : 'unknown error'})` };
}

const NO_POLICY = { error: 'no policy is configured, so nothing is shared' };

function checkDecision(answer: unknown): FieldDecision {
  try {
    return parseStrict(Decision, answer, 'policy decision');
  } catch (error) {
    return decideError(error);
  }
}

async function decideAsync(ctx: VaultContext, req: Checked, dataClass: DataClass, purpose: Purpose): Promise<FieldDecision> {
  if (!ctx.decide) return NO_POLICY;
  try {
    return checkDecision(await ctx.decide(shareRequest(req, dataClass, purpose)));
  } catch (error) {
    return decideError(error);
  }
}

function decideSync(ctx: VaultContext, req: Checked, dataClass: DataClass, purpose: Purpose): FieldDecision {
  if (!ctx.decide) return NO_POLICY;
  try {
    const answer: unknown = ctx.decide(shareRequest(req, dataClass, purpose));
    if (answer instanceof Promise || (typeof answer === 'object' && answer !== null && typeof (answer as { then?: unknown }).then === 'function')) {
      if (answer instanceof Promise) answer.catch(() => undefined);
      return { error: 'the policy answered asynchronously; use `disclose`, not `discloseSync`' };
    }
    return checkDecision(answer);
  } catch (error) {
    return decideError(error);
  }
}

function reasonText(d: Decision, effect: Effect): string[] {
  const own = d.reasons.filter((r) => r.effect === effect && r.shadow !== true).map((r) => r.message);
  return own.length > 0 ? own : d.reasons.map((r) => r.message);
}

/** SHA-256 over the exact fields to be approved; stable for the same vendor, task, fields and versions. */
export function approvalSubjectHash(vendor: string, taskId: string | undefined, ask: readonly AskField[]): string {
  const subject = [
    'steward-data-share/v1',
    vendor,
    taskId ?? null,
    [...ask].sort((a, b) => a.dataClass.localeCompare(b.dataClass)).map((f) => [f.dataClass, f.label, f.purpose, f.policyVersion]),
  ];
  return createHash('sha256').update(JSON.stringify(subject)).digest('base64url');
}

/**
 * Shares personal data with one vendor, field by field, as the policy allows. Nothing leaves that
 * the floor ({@link DISCLOSURE_MINIMUM}) or the policy refuses; if any field needs asking, nothing
 * leaves until the person approves exactly those fields. Every released field is written to the
 * disclosure ledger and audited (`disclosure`); every refusal is audited (`disclosure.blocked`).
 * @see /work/shared/THREATS.md #11, #12
 */
export async function disclose(ctx: VaultContext, request: DisclosureRequest): Promise<DisclosureResult> {
  const req = checkRequest(request);
  const decisions = new Map<DataClass, FieldDecision>();
  for (const f of req.fields) {
    if (minimumRefusal(f.dataClass, f.purpose) === undefined) decisions.set(f.dataClass, await decideAsync(ctx, req, f.dataClass, f.purpose));
  }
  const plan = planFields(ctx, request, req, (dc) => decisions.get(dc) ?? NO_POLICY);
  writeDisclosure(ctx, plan);
  return plan.result;
}

/**
 * {@link disclose} for a policy port that answers synchronously (the policy package's `decide`
 * does), so a synchronous caller can plan a disclosure; a port that returns a promise refuses
 * every field.
 */
export function discloseSync(ctx: VaultContext, request: DisclosureRequest): DisclosureResult {
  const plan = planDisclosure(ctx, request);
  writeDisclosure(ctx, plan);
  return plan.result;
}

/**
 * Decides a disclosure with a synchronous policy port without writing it to the ledger yet, for a
 * caller that records only what it actually sent ({@link writeDisclosure}). Refusals are audited now.
 */
export function planDisclosure(ctx: VaultContext, request: DisclosureRequest): DisclosurePlan {
  const req = checkRequest(request);
  return planFields(ctx, request, req, (dc, purpose) => decideSync(ctx, req, dc, purpose));
}

interface PlannedField {
  field: DisclosedField;
  decisionEffect: Effect;
  approvalId: string | null;
}

/** A disclosure decided but not yet written to the ledger. */
export interface DisclosurePlan {
  result: DisclosureResult;
  planned: PlannedField[];
  taskId: string | undefined;
}

function planFields(
  ctx: VaultContext,
  request: DisclosureRequest,
  req: Checked,
  decideField: (dataClass: DataClass, purpose: Purpose) => FieldDecision,
): DisclosurePlan {
  const disclosureId = randomId('dsc');
  const refused: RefusedField[] = [];
  const ask: AskField[] = [];
  const pending: { dataClass: DataClass; label: string; purpose: Purpose; value: string; relay: boolean; decision: Decision; effect: 'allow' | 'approved' }[] = [];

  for (const f of req.fields) {
    const floor = minimumRefusal(f.dataClass, f.purpose);
    if (floor !== undefined) {
      refused.push({ dataClass: f.dataClass, label: f.label ?? null, purpose: f.purpose, code: 'minimum', reason: floor, remedies: [], policyVersion: null });
      continue;
    }
    const stored = resolveValue(ctx, f.dataClass, f.label);
    if (!stored) {
      refused.push({
        dataClass: f.dataClass,
        label: f.label ?? null,
        purpose: f.purpose,
        code: 'missing',
        reason: `the profile holds no \`${f.dataClass}\` value${f.label ? ` labelled \`${f.label}\`` : ''}`,
        remedies: [`add it with \`steward profile set ${f.dataClass} …\``],
        policyVersion: null,
      });
      continue;
    }
    const decision = decideField(f.dataClass, f.purpose);
    if ('error' in decision) {
      refused.push({ dataClass: f.dataClass, label: stored.label, purpose: f.purpose, code: 'policy_error', reason: decision.error, remedies: [], policyVersion: null });
      continue;
    }
    if (decision.effect === 'deny') {
      refused.push({
        dataClass: f.dataClass,
        label: stored.label,
        purpose: f.purpose,
        code: 'denied',
        reason: reasonText(decision, 'deny').join('; ') || `the policy does not allow sharing \`${f.dataClass}\` for \`${f.purpose}\``,
        remedies: decision.remedies,
        policyVersion: decision.policyVersion,
      });
      continue;
    }
    const relayed = decision.obligations.relay?.includes(f.dataClass) === true;
    if (decision.obligations.redact.includes(f.dataClass) || (relayed && f.dataClass !== 'email')) {
      refused.push({
        dataClass: f.dataClass,
        label: stored.label,
        purpose: f.purpose,
        code: 'redacted',
        reason: relayed
          ? `the policy allows \`${f.dataClass}\` only through a relay, and only email has one`
          : `the policy requires \`${f.dataClass}\` to be withheld from this vendor`,
        remedies: decision.remedies,
        policyVersion: decision.policyVersion,
      });
      continue;
    }
    if (decision.effect === 'ask') {
      ask.push({ dataClass: f.dataClass, label: stored.label, purpose: f.purpose, reasons: reasonText(decision, 'ask'), policyVersion: decision.policyVersion });
    }
    pending.push({
      dataClass: f.dataClass,
      label: stored.label,
      purpose: f.purpose,
      value: stored.value,
      relay: relayed,
      decision,
      effect: decision.effect === 'ask' ? 'approved' : 'allow',
    });
  }

  const vendor = req.vendor.origin;
  const approval = request.approval;
  let approvalRequest: DataShareApprovalRequest | undefined;
  if (ask.length > 0) {
    const subjectHash = approvalSubjectHash(vendor, req.taskId, ask);
    if (approval !== undefined) {
      const covers =
        Id.safeParse(approval.approvalId).success &&
        ('subjectHash' in approval ? approval.subjectHash === subjectHash : ask.every((a) => approval.dataClasses.includes(a.dataClass)));
      if (!covers) {
        throw new ProfileError('ERR_PROFILE_APPROVAL_MISMATCH', 'the approval does not cover exactly the fields that need asking now; ask the person again', {
          details: { approvalId: String(approval.approvalId), expected: subjectHash, fields: ask.map((a) => a.dataClass) },
        });
      }
      assertApprovalUnused(ctx, approval.approvalId);
    } else {
      approvalRequest = {
        kind: 'data_share',
        vendor,
        ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
        dataToShare: ask.map((a) => a.dataClass),
        fields: ask,
        subjectHash,
        reasons: ask.flatMap((a) => a.reasons),
      };
    }
  }

  const relayAddress = pending.some((p) => p.relay) ? relayAddressFor(ctx, vendor) : undefined;
  const released: PlannedField[] = approvalRequest
    ? []
    : pending.map((p) => {
        const value = p.relay && relayAddress ? relayAddress : p.value;
        return {
          field: {
            dataClass: p.dataClass,
            label: p.label,
            purpose: p.purpose,
            value,
            form: p.relay ? 'relay' : 'value',
            effect: p.effect,
            policyVersion: p.decision.policyVersion,
            determiningRules: p.decision.determiningRules,
            fieldHash: hmacB64u(ctx.keys.mac, ['field', p.dataClass, value]),
          },
          decisionEffect: p.decision.effect,
          approvalId: p.effect === 'approved' ? (approval?.approvalId ?? null) : null,
        };
      });

  const at = isoNow(ctx);
  // Refusals are on the record whether or not anything is released.
  emitEvents(
    ctx,
    refused.map((r) => ({
      type: 'disclosure.blocked' as const,
      at,
      actor: 'broker' as const,
      ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
      vendor,
      decision: 'deny' as const,
      ...(r.policyVersion ? { policyVersion: r.policyVersion } : {}),
      summary: `did not share ${r.dataClass} with ${vendor} for ${r.purpose}: ${r.reason}`.slice(0, 1000),
      data: { disclosureId, stage: 'policy', dataClass: r.dataClass, purpose: r.purpose, code: r.code },
    })),
  );

  const disclosed: Partial<Record<DataClass, string>> = {};
  for (const f of released) disclosed[f.field.dataClass] = f.field.value;
  const status: DisclosureResult['status'] = approvalRequest
    ? 'needs_approval'
    : refused.length === 0
      ? 'complete'
      : released.length === 0
        ? 'refused'
        : 'partial';
  return {
    result: {
      status,
      disclosureId,
      vendor,
      disclosed,
      fields: released.map((f) => f.field),
      ask: approvalRequest ? ask : [],
      refused,
      ...(approvalRequest ? { approvalRequest } : {}),
      allowedValues: released.map((f) => f.field.value),
    },
    planned: released,
    taskId: req.taskId,
  };
}

function assertApprovalUnused(ctx: VaultContext, approvalId: string): void {
  // INVARIANT: one approval releases data once; a second send needs a new approval.
  if (ctx.store.db.prepare('SELECT 1 FROM profile_disclosures WHERE approval_id = ? LIMIT 1').get(approvalId)) {
    throw new ProfileError('ERR_PROFILE_APPROVAL_USED', `approval \`${approvalId}\` was already used to share data`, { details: { approvalId } });
  }
}

/**
 * Writes a planned disclosure to the ledger and the audit log (`disclosure`, one per field), and
 * records the relay address, in one transaction; a failing audit sink rolls all of it back.
 */
export function writeDisclosure(ctx: VaultContext, plan: DisclosurePlan): void {
  if (plan.planned.length === 0) return;
  const { result } = plan;
  const at = isoNow(ctx);
  writeAudited(ctx, { durable: false, auditRequired: true }, () => {
    if (ctx.store.db.prepare('SELECT 1 FROM profile_disclosures WHERE disclosure_id = ? LIMIT 1').get(result.disclosureId)) {
      throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `disclosure \`${result.disclosureId}\` is already recorded`, { details: { disclosureId: result.disclosureId } });
    }
    const approvals = new Set(plan.planned.map((p) => p.approvalId).filter((a): a is string => a !== null));
    for (const a of approvals) assertApprovalUnused(ctx, a);
    if (plan.planned.some((p) => p.field.form === 'relay')) recordRelay(ctx, result.vendor);
    const insert = ctx.store.db.prepare(
      `INSERT INTO profile_disclosures (disclosure_id, vendor, data_class, label, purpose, task_id, effect, approval_id, policy_version, rules, field_hash, form, disclosed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const events: AuditEvent[] = [];
    for (const { field, decisionEffect, approvalId } of plan.planned) {
      insert.run(
        result.disclosureId,
        result.vendor,
        field.dataClass,
        field.label,
        field.purpose,
        plan.taskId ?? null,
        field.effect,
        approvalId,
        field.policyVersion,
        JSON.stringify(field.determiningRules),
        field.fieldHash,
        field.form,
        at,
      );
      events.push({
        type: 'disclosure',
        at,
        actor: 'broker',
        ...(plan.taskId === undefined ? {} : { taskId: plan.taskId }),
        vendor: result.vendor,
        decision: decisionEffect,
        policyVersion: field.policyVersion,
        summary: `shared ${field.dataClass}${field.form === 'relay' ? ' (relay address)' : ''} with ${result.vendor} for ${field.purpose}${field.effect === 'approved' ? ', approved by the person' : ''}`,
        data: {
          disclosureId: result.disclosureId,
          dataClass: field.dataClass,
          label: field.label,
          purpose: field.purpose,
          form: field.form,
          fieldHash: field.fieldHash,
          determiningRules: field.determiningRules,
          ...(approvalId ? { approvalId } : {}),
        },
      });
    }
    return {
      result: undefined,
      events,
      undo: () => void ctx.store.db.prepare('DELETE FROM profile_disclosures WHERE disclosure_id = ?').run(result.disclosureId),
    };
  });
}
