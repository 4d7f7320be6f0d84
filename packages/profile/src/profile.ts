import { systemClock, type Clock, type DataClass } from '@steward/protocol';
import type { Store } from '@steward/store';
import { ProfileError } from './errors.ts';
import { MIGRATIONS } from './migrations.ts';
import type { AuditSink, DecidePort, SignerPort } from './ports.ts';
import { deriveKeys, hmacB64u, randomId, seal, valueAad } from './internal/crypto.ts';
import { isoNow, readValues, resolveValue, writeAudited, type StoredValue, type VaultContext } from './internal/context.ts';
import { checkDataClass, checkLabel, checkValue } from './internal/values.ts';
import { disclose, discloseSync, planDisclosure, writeDisclosure, type DisclosurePlan, type DisclosureRequest, type DisclosureResult } from './disclosure/disclose.ts';
import { listDisclosures, requestErasure, whoKnows, type DisclosureRecord, type ErasureRequest, type VendorKnowledge } from './disclosure/ledger.ts';
import { DEFAULT_RELAY_DOMAIN, lookupRelay, relayAddressFor } from './disclosure/relay.ts';
import { issuePaymentToken, type IssuedPaymentToken, type PaymentTokenRequest } from './payment/issue.ts';
import { checkOutbound, type OutboundContext, type ScanResult } from './dlp/check.ts';

/** How to open the profile. */
export interface ProfileOptions {
  /** The 32-byte data key; the broker derives it from its key store, the CLI reads `profile.key`. */
  dataKey: Uint8Array;
  /** Where `disclosure`, `disclosure.blocked`, `erasure.requested` and `profile.changed` events go. */
  audit?: AuditSink;
  /** The policy's answer per field; without it every field is refused. */
  decide?: DecidePort;
  /** Signs payment tokens with the person's key. */
  sign?: SignerPort;
  clock?: Clock;
  /** Domain of relay addresses (default `relay.steward.invalid`). */
  relayDomain?: string;
}

/** A profile value as listed (decrypted). */
export type ProfileValue = StoredValue;

/** The class and label of a value, without the value. */
export interface ProfileValueRef {
  valueId: string;
  dataClass: DataClass;
  label: string;
}

const KEY_CHECK = 'key_check';

/**
 * The person's profile: values by data class, encrypted at rest, leaving only through
 * {@link Profile.disclose}, {@link Profile.issuePaymentToken} and screened by {@link Profile.scanOutbound}.
 */
/** How many planned, unrecorded disclosures a profile keeps before dropping the oldest. */
const MAX_PLANNED = 1000;

export class Profile {
  readonly #ctx: VaultContext;
  readonly #planned = new Map<string, DisclosurePlan>();

  /** Use {@link openProfile}. */
  constructor(ctx: VaultContext) {
    this.#ctx = ctx;
  }

  /** Adds or replaces the value of (class, label); audited as `profile.changed` when a sink is set. */
  set(dataClass: DataClass, value: string, label = 'primary'): ProfileValueRef {
    const dc = checkDataClass(dataClass);
    const lb = checkLabel(label);
    const clean = checkValue(dc, value);
    const ctx = this.#ctx;
    return writeAudited(ctx, { durable: false, auditRequired: false }, () => {
      const existing = ctx.store.db
        .prepare('SELECT value_id, nonce, ciphertext, updated_at FROM profile_values WHERE data_class = ? AND label = ?')
        .get(dc, lb) as { value_id: string; nonce: Buffer; ciphertext: Buffer; updated_at: string } | undefined;
      const valueId = existing?.value_id ?? randomId('pv');
      const { nonce, ciphertext } = seal(ctx.keys.enc, clean, valueAad(valueId, dc));
      const at = isoNow(ctx);
      if (existing) {
        ctx.store.db.prepare('UPDATE profile_values SET nonce = ?, ciphertext = ?, updated_at = ? WHERE value_id = ?').run(nonce, ciphertext, at, valueId);
      } else {
        ctx.store.db
          .prepare('INSERT INTO profile_values (value_id, data_class, label, nonce, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(valueId, dc, lb, nonce, ciphertext, at, at);
      }
      return {
        result: { valueId, dataClass: dc, label: lb },
        events: [
          {
            type: 'profile.changed',
            at,
            actor: 'person',
            summary: `${existing ? 'changed' : 'added'} ${dc} \`${lb}\``,
            data: { action: existing ? 'changed' : 'added', dataClass: dc, label: lb, valueId },
          },
        ],
        undo: () => {
          if (existing) {
            ctx.store.db
              .prepare('UPDATE profile_values SET nonce = ?, ciphertext = ?, updated_at = ? WHERE value_id = ?')
              .run(existing.nonce, existing.ciphertext, existing.updated_at, valueId);
          } else {
            ctx.store.db.prepare('DELETE FROM profile_values WHERE value_id = ?').run(valueId);
          }
        },
      };
    });
  }

  /** The value of (class, label), or of the class's only/`primary` value; undefined if absent. */
  get(dataClass: DataClass, label?: string): ProfileValue | undefined {
    return resolveValue(this.#ctx, checkDataClass(dataClass), label === undefined ? undefined : checkLabel(label));
  }

  /** Every value (optionally of one class), decrypted. */
  list(dataClass?: DataClass): ProfileValue[] {
    return readValues(this.#ctx, dataClass === undefined ? undefined : checkDataClass(dataClass));
  }

  /** Removes the value of (class, label); `ERR_PROFILE_VALUE_NOT_FOUND` if there is none. */
  remove(dataClass: DataClass, label?: string): ProfileValueRef {
    const dc = checkDataClass(dataClass);
    const ctx = this.#ctx;
    const found = resolveValue(ctx, dc, label === undefined ? undefined : checkLabel(label));
    if (!found) {
      throw new ProfileError('ERR_PROFILE_VALUE_NOT_FOUND', `the profile holds no \`${dc}\` value${label ? ` labelled \`${label}\`` : ''}`, {
        details: { dataClass: dc, label: label ?? null },
      });
    }
    return writeAudited(ctx, { durable: false, auditRequired: false }, () => {
      const row = ctx.store.db.prepare('SELECT * FROM profile_values WHERE value_id = ?').get(found.valueId) as Record<string, unknown>;
      ctx.store.db.prepare('DELETE FROM profile_values WHERE value_id = ?').run(found.valueId);
      return {
        result: { valueId: found.valueId, dataClass: dc, label: found.label },
        events: [
          {
            type: 'profile.changed',
            at: isoNow(ctx),
            actor: 'person',
            summary: `removed ${dc} \`${found.label}\``,
            data: { action: 'removed', dataClass: dc, label: found.label, valueId: found.valueId },
          },
        ],
        undo: () => {
          ctx.store.db
            .prepare('INSERT INTO profile_values (value_id, data_class, label, nonce, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(row.value_id, row.data_class, row.label, row.nonce, row.ciphertext, row.created_at, row.updated_at);
        },
      };
    });
  }

  /** Shares fields with a vendor as the policy allows. @see disclose */
  disclose(request: DisclosureRequest): Promise<DisclosureResult> {
    return disclose(this.#ctx, request);
  }

  /** {@link Profile.disclose} for a synchronous policy port (a promise from the port refuses every field). */
  discloseSync(request: DisclosureRequest): DisclosureResult {
    return discloseSync(this.#ctx, request);
  }

  /**
   * Decides a disclosure (synchronous policy port) without recording it: for a caller that sends
   * first and then records what it actually sent with {@link Profile.recordDisclosure}.
   */
  planDisclosure(request: DisclosureRequest): DisclosureResult {
    const plan = planDisclosure(this.#ctx, request);
    if (plan.planned.length > 0) {
      this.#planned.set(plan.result.disclosureId, plan);
      if (this.#planned.size > MAX_PLANNED) this.#planned.delete(this.#planned.keys().next().value as string);
    }
    return plan.result;
  }

  /** Writes a planned disclosure to the ledger and the audit log, once. */
  recordDisclosure(disclosureId: string): void {
    const plan = this.#planned.get(disclosureId);
    if (!plan) {
      throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `no planned disclosure \`${disclosureId}\` awaits recording`, { details: { disclosureId } });
    }
    writeDisclosure(this.#ctx, plan);
    this.#planned.delete(disclosureId);
  }

  /** The vendor's deterministic relay address (not recorded until used in a disclosure). */
  relayAddress(vendorOrigin: string): string {
    return relayAddressFor(this.#ctx, vendorOrigin);
  }

  /** Maps a relay address back to the vendor it was given to, so replies reach the person. */
  resolveRelay(address: string): { vendor: string; createdAt: string } | undefined {
    return lookupRelay(this.#ctx, address);
  }

  /** Issues a scoped single-use payment token for one order. @see issuePaymentToken */
  issuePaymentToken(request: PaymentTokenRequest, signer?: SignerPort): Promise<IssuedPaymentToken> {
    return issuePaymentToken(this.#ctx, request, signer);
  }

  /** The disclosure ledger, oldest first. */
  disclosures(vendor?: string): DisclosureRecord[] {
    return listDisclosures(this.#ctx, vendor);
  }

  /** "Who knows what about me", per vendor. */
  whoKnows(vendor?: string): VendorKnowledge[] {
    return whoKnows(this.#ctx, vendor);
  }

  /** Records an erasure request to a vendor; audited. */
  requestErasure(vendorOrigin: string, dataClasses?: readonly DataClass[]): ErasureRequest {
    return requestErasure(this.#ctx, vendorOrigin, dataClasses);
  }

  /**
   * Screens a message about to go to a vendor for profile values beyond `allowed` (the released
   * strings, e.g. `result.allowedValues`, or a class → value record such as `result.disclosed`); throws
   * `ERR_PROFILE_DLP_BLOCKED` (audited as `disclosure.blocked`) on a match.
   */
  scanOutbound(message: unknown, allowed: Iterable<string> | Partial<Record<DataClass, string>>, context: OutboundContext): ScanResult {
    const values = Symbol.iterator in Object(allowed) ? (allowed as Iterable<string>) : Object.values(allowed as Partial<Record<DataClass, string>>).filter((v): v is string => typeof v === 'string');
    return checkOutbound(this.#ctx, message, values, context);
  }
}

/**
 * Opens the person's profile in `store` (applying the profile migrations) with the caller's data
 * key. A key other than the one the profile was written with fails with `ERR_PROFILE_KEY_MISMATCH`.
 */
export function openProfile(store: Store, options: ProfileOptions): Profile {
  const keys = deriveKeys(options.dataKey);
  store.migrate({ profile: MIGRATIONS });
  const check = hmacB64u(keys.mac, ['key-check']);
  store.transaction(() => {
    const row = store.db.prepare('SELECT value FROM profile_meta WHERE key = ?').get(KEY_CHECK) as { value: string } | undefined;
    if (!row) store.db.prepare('INSERT INTO profile_meta (key, value) VALUES (?, ?)').run(KEY_CHECK, check);
    else if (row.value !== check) {
      throw new ProfileError('ERR_PROFILE_KEY_MISMATCH', `the profile in \`${store.path}\` was written with another data key`, { details: { path: store.path } });
    }
  });
  const relayDomain = (options.relayDomain ?? DEFAULT_RELAY_DOMAIN).toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(relayDomain)) {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `relay domain \`${relayDomain}\` is not a domain name`, { details: { field: 'relayDomain' } });
  }
  return new Profile({
    store,
    keys,
    clock: options.clock ?? systemClock,
    audit: options.audit,
    decide: options.decide,
    sign: options.sign,
    relayDomain,
  });
}
