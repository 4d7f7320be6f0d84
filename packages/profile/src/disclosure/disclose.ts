import { createHash } from 'node:crypto';
import { DataClass, Decision, Id, Purpose, parseStrict, type Effect } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import type { ShareDataRequest, VendorRef } from '../ports.ts';
import { hmacB64u, randomId } from '../internal/crypto.ts';
import { emitAudit, isoNow, resolveValue, type VaultContext } from '../internal/context.ts';
import { checkLabel } from '../internal/values.ts';
import { minimumRefusal } from './minimum.ts';
import { canonicalOrigin, recordRelay } from './relay.ts';

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
  /** The person's approval of the fields that needed asking: its id and the `subjectHash` it was bound to. */
  approval?: { approvalId: string; subjectHash: string };
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
  return completeDisclosure(ctx, request, req, (dc) => decisions.get(dc) ?? NO_POLICY);
}

/**
 * {@link disclose} for a policy port that answers synchronously (the policy package's `decide`
 * does), so a synchronous caller can plan a disclosure; a port that returns a promise refuses
 * every field.
 */
export function discloseSync(ctx: VaultContext, request: DisclosureRequest): DisclosureResult {
  const req = checkRequest(request);
  return completeDisclosure(ctx, request, req, (dc, purpose) => decideSync(ctx, req, dc, purpose));
}

function completeDisclosure(
  ctx: VaultContext,
  request: DisclosureRequest,
  req: Checked,
  decideField: (dataClass: DataClass, purpose: Purpose) => FieldDecision,
): DisclosureResult {
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
  let approvalRequest: DataShareApprovalRequest | undefined;
  if (ask.length > 0) {
    const subjectHash = approvalSubjectHash(vendor, req.taskId, ask);
    if (request.approval !== undefined) {
      if (request.approval.subjectHash !== subjectHash || !Id.safeParse(request.approval.approvalId).success) {
        throw new ProfileError('ERR_PROFILE_APPROVAL_MISMATCH', 'the approval does not cover exactly the fields that need asking now; ask the person again', {
          details: { approvalId: String(request.approval.approvalId), expected: subjectHash, fields: ask.map((a) => a.dataClass) },
        });
      }
      // INVARIANT: one approval releases data once; a second send needs a new approval.
      if (ctx.store.db.prepare('SELECT 1 FROM profile_disclosures WHERE approval_id = ? LIMIT 1').get(request.approval.approvalId)) {
        throw new ProfileError('ERR_PROFILE_APPROVAL_USED', `approval \`${request.approval.approvalId}\` was already used to share these fields`, {
          details: { approvalId: request.approval.approvalId },
        });
      }
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

  const at = isoNow(ctx);
  const released: DisclosedField[] = [];
  ctx.store.transaction(() => {
    const relayAddress = pending.some((p) => p.relay) && !approvalRequest ? recordRelay(ctx, vendor) : undefined;
    if (!approvalRequest) {
      const insert = ctx.store.db.prepare(
        `INSERT INTO profile_disclosures (disclosure_id, vendor, data_class, label, purpose, task_id, effect, approval_id, policy_version, rules, field_hash, form, disclosed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const p of pending) {
        const value = p.relay && relayAddress ? relayAddress : p.value;
        const fieldHash = hmacB64u(ctx.keys.mac, ['field', p.dataClass, value]);
        const field: DisclosedField = {
          dataClass: p.dataClass,
          label: p.label,
          purpose: p.purpose,
          value,
          form: p.relay ? 'relay' : 'value',
          effect: p.effect,
          policyVersion: p.decision.policyVersion,
          determiningRules: p.decision.determiningRules,
          fieldHash,
        };
        const approvalId = p.effect === 'approved' ? (request.approval?.approvalId ?? null) : null;
        insert.run(disclosureId, vendor, p.dataClass, p.label, p.purpose, req.taskId ?? null, p.effect, approvalId, field.policyVersion, JSON.stringify(field.determiningRules), fieldHash, field.form, at);
        emitAudit(ctx, {
          type: 'disclosure',
          at,
          actor: 'broker',
          ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
          vendor,
          decision: p.decision.effect,
          policyVersion: field.policyVersion,
          summary: `shared ${p.dataClass}${p.relay ? ' (relay address)' : ''} with ${vendor} for ${p.purpose}${p.effect === 'approved' ? ', approved by the person' : ''}`,
          data: {
            disclosureId,
            dataClass: p.dataClass,
            label: p.label,
            purpose: p.purpose,
            form: field.form,
            fieldHash,
            determiningRules: field.determiningRules,
            ...(approvalId ? { approvalId } : {}),
          },
        });
        released.push(field);
      }
    }
    for (const r of refused) {
      emitAudit(ctx, {
        type: 'disclosure.blocked',
        at,
        actor: 'broker',
        ...(req.taskId === undefined ? {} : { taskId: req.taskId }),
        vendor,
        decision: 'deny',
        ...(r.policyVersion ? { policyVersion: r.policyVersion } : {}),
        summary: `did not share ${r.dataClass} with ${vendor} for ${r.purpose}: ${r.reason}`.slice(0, 1000),
        data: { disclosureId, stage: 'policy', dataClass: r.dataClass, purpose: r.purpose, code: r.code },
      });
    }
  });

  const disclosed: Partial<Record<DataClass, string>> = {};
  for (const f of released) disclosed[f.dataClass] = f.value;
  const status: DisclosureResult['status'] = approvalRequest
    ? 'needs_approval'
    : refused.length === 0
      ? 'complete'
      : released.length === 0
        ? 'refused'
        : 'partial';
  return {
    status,
    disclosureId,
    vendor,
    disclosed,
    fields: released,
    ask: approvalRequest ? ask : [],
    refused,
    ...(approvalRequest ? { approvalRequest } : {}),
    allowedValues: released.map((f) => f.value),
  };
}
