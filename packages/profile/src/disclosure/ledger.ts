import { DataClass, type Purpose } from '@steward/protocol';
import { ProfileError } from '../errors.ts';
import { hmacB64u, randomId } from '../internal/crypto.ts';
import { isoNow, readValues, writeAudited, type VaultContext } from '../internal/context.ts';
import { canonicalOrigin, relayAddressFor } from './relay.ts';

/** One class a vendor has received, summarised across disclosures. */
export interface KnownField {
  dataClass: DataClass;
  label: string;
  form: 'value' | 'relay' | 'payment_token';
  purposes: Purpose[];
  times: number;
  firstAt: string;
  lastAt: string;
  /** True when what they last received equals the current profile value (false once it changed or was removed). */
  current: boolean;
  taskIds: string[];
  policyVersions: string[];
}

/** What one vendor knows about the person, and any erasure requests made to it. */
export interface VendorKnowledge {
  vendor: string;
  fields: KnownField[];
  firstAt: string;
  lastAt: string;
  erasureRequests: { requestId: string; dataClasses: DataClass[]; requestedAt: string }[];
}

/** One row of the disclosure ledger. */
export interface DisclosureRecord {
  seq: number;
  disclosureId: string;
  vendor: string;
  dataClass: DataClass;
  label: string;
  purpose: Purpose;
  taskId: string | null;
  effect: 'allow' | 'approved';
  approvalId: string | null;
  policyVersion: string;
  determiningRules: string[];
  fieldHash: string;
  form: 'value' | 'relay' | 'payment_token';
  disclosedAt: string;
}

interface LedgerRow {
  seq: number;
  disclosure_id: string;
  vendor: string;
  data_class: string;
  label: string;
  purpose: string;
  task_id: string | null;
  effect: string;
  approval_id: string | null;
  policy_version: string;
  rules: string;
  field_hash: string;
  form: string;
  disclosed_at: string;
}

function toRecord(r: LedgerRow): DisclosureRecord {
  return {
    seq: r.seq,
    disclosureId: r.disclosure_id,
    vendor: r.vendor,
    dataClass: r.data_class as DataClass,
    label: r.label,
    purpose: r.purpose as Purpose,
    taskId: r.task_id,
    effect: r.effect as 'allow' | 'approved',
    approvalId: r.approval_id,
    policyVersion: r.policy_version,
    determiningRules: JSON.parse(r.rules) as string[],
    fieldHash: r.field_hash,
    form: r.form as DisclosureRecord['form'],
    disclosedAt: r.disclosed_at,
  };
}

/** The disclosure ledger, oldest first, optionally for one vendor. */
export function listDisclosures(ctx: VaultContext, vendor?: string): DisclosureRecord[] {
  const rows = (
    vendor === undefined
      ? ctx.store.db.prepare('SELECT * FROM profile_disclosures ORDER BY seq').all()
      : ctx.store.db.prepare('SELECT * FROM profile_disclosures WHERE vendor = ? ORDER BY seq').all(canonicalOrigin(vendor))
  ) as LedgerRow[];
  return rows.map(toRecord);
}

/**
 * "Who knows what about me": per vendor, each class they received, in which form, how often, first
 * and last time, and whether it is still the current value. Built from the ledger alone.
 */
export function whoKnows(ctx: VaultContext, vendor?: string): VendorKnowledge[] {
  const records = listDisclosures(ctx, vendor);
  // Hashes of what a vendor would receive now, to tell current from stale disclosures.
  const currentHashes = new Set<string>();
  for (const v of readValues(ctx)) currentHashes.add(hmacB64u(ctx.keys.mac, ['field', v.dataClass, v.value]));
  const byVendor = new Map<string, VendorKnowledge>();
  for (const r of records) {
    let k = byVendor.get(r.vendor);
    if (!k) {
      k = { vendor: r.vendor, fields: [], firstAt: r.disclosedAt, lastAt: r.disclosedAt, erasureRequests: [] };
      byVendor.set(r.vendor, k);
    }
    k.lastAt = r.disclosedAt;
    let f = k.fields.find((x) => x.dataClass === r.dataClass && x.label === r.label && x.form === r.form);
    if (!f) {
      f = { dataClass: r.dataClass, label: r.label, form: r.form, purposes: [], times: 0, firstAt: r.disclosedAt, lastAt: r.disclosedAt, current: false, taskIds: [], policyVersions: [] };
      k.fields.push(f);
    }
    f.times += 1;
    f.lastAt = r.disclosedAt;
    if (!f.purposes.includes(r.purpose)) f.purposes.push(r.purpose);
    if (r.taskId && !f.taskIds.includes(r.taskId)) f.taskIds.push(r.taskId);
    if (!f.policyVersions.includes(r.policyVersion)) f.policyVersions.push(r.policyVersion);
    if (r.form === 'relay') {
      f.current = hmacB64u(ctx.keys.mac, ['field', 'email', relayAddressFor(ctx, r.vendor)]) === r.fieldHash;
    } else if (r.form === 'payment_token') {
      f.current = false;
    } else {
      f.current = currentHashes.has(r.fieldHash);
    }
  }
  const erasures = (
    vendor === undefined
      ? ctx.store.db.prepare('SELECT * FROM profile_erasure_requests ORDER BY requested_at, request_id').all()
      : ctx.store.db.prepare('SELECT * FROM profile_erasure_requests WHERE vendor = ? ORDER BY requested_at, request_id').all(canonicalOrigin(vendor))
  ) as { request_id: string; vendor: string; data_classes: string; requested_at: string }[];
  for (const e of erasures) {
    const k = byVendor.get(e.vendor) ?? { vendor: e.vendor, fields: [], firstAt: e.requested_at, lastAt: e.requested_at, erasureRequests: [] };
    byVendor.set(e.vendor, k);
    k.erasureRequests.push({ requestId: e.request_id, dataClasses: JSON.parse(e.data_classes) as DataClass[], requestedAt: e.requested_at });
  }
  return [...byVendor.values()].sort((a, b) => a.vendor.localeCompare(b.vendor));
}

/** A recorded erasure request. */
export interface ErasureRequest {
  requestId: string;
  vendor: string;
  dataClasses: DataClass[];
  requestedAt: string;
}

/**
 * Records that the person asked a vendor to erase what it holds (GDPR Art. 17), for the given
 * classes or, by default, every class the ledger shows it received; audited as `erasure.requested`.
 * Sending the request to the vendor is the broker's job.
 */
export function requestErasure(ctx: VaultContext, vendorOrigin: string, dataClasses?: readonly DataClass[]): ErasureRequest {
  const vendor = canonicalOrigin(vendorOrigin);
  const classes = dataClasses === undefined ? [...new Set(listDisclosures(ctx, vendor).map((r) => r.dataClass))] : [...new Set(dataClasses)];
  for (const c of classes) {
    if (!DataClass.safeParse(c).success) throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `\`${String(c)}\` is not a data class`, { details: { field: 'dataClasses' } });
  }
  if (classes.length === 0) {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `the ledger shows nothing shared with \`${vendor}\`; name the classes to erase`, { details: { vendor } });
  }
  const request: ErasureRequest = { requestId: randomId('era'), vendor, dataClasses: classes.sort(), requestedAt: isoNow(ctx) };
  writeAudited(ctx, { durable: true, auditRequired: true }, () => {
    ctx.store.db
      .prepare('INSERT INTO profile_erasure_requests (request_id, vendor, data_classes, requested_at) VALUES (?, ?, ?, ?)')
      .run(request.requestId, vendor, JSON.stringify(request.dataClasses), request.requestedAt);
    return {
      result: undefined,
      events: [
        {
          type: 'erasure.requested',
          at: request.requestedAt,
          actor: 'person',
          vendor,
          summary: `asked ${vendor} to erase ${request.dataClasses.join(', ')}`,
          data: { requestId: request.requestId, dataClasses: request.dataClasses },
        },
      ],
      undo: () => void ctx.store.db.prepare('DELETE FROM profile_erasure_requests WHERE request_id = ?').run(request.requestId),
    };
  });
  return request;
}
