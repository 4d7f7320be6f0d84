import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS as AGENT_MIGRATIONS } from '@steward/agent';
import { MIGRATIONS as AUDIT_MIGRATIONS, openAuditLog, toVerifier, type AuditLog } from '@steward/audit';
import { BrokerEngine, MIGRATIONS as BROKER_MIGRATIONS, OrderSettlements, type EnrolledVendor, type ProgressEvent } from '@steward/broker';
import {
  KeyStore,
  MIGRATIONS as IDENTITY_MIGRATIONS,
  RegistryStore,
  ReplayStore,
  RevocationList,
  VendorStore,
  discoverVendor,
  refreshVendor,
  ensureKeyFile,
  keyStoreSecretFor,
  resolverOf,
  importVerificationKey,
  signCompact,
  type VendorObservation,
  type VendorRecord,
} from '@steward/identity';
import { MIGRATIONS as POLICY_MIGRATIONS, PolicyVersions, type SpendLedger } from '@steward/policy';
import { MIGRATIONS as PROFILE_MIGRATIONS, loadProfileKeyFile, openProfile, type Profile } from '@steward/profile';
import {
  MIGRATIONS as PROVENANCE_MIGRATIONS,
  detectConflicts,
  ensureSeed,
  loadGraph,
  loadManifest,
  renderDisclosure,
  saveFacts,
  factsFromFile,
  DetectionContext,
  detectConfusableName,
  type AffiliationGraph,
  type DetectionInput,
  type VendorDescriptor,
} from '@steward/provenance';
import { VendorCredential, systemClock, type AgentManifest, type AuditEvent, type Clock, type Flag, type SignedOffer } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import type { BrokerConfig } from './config.ts';
import { RecordingLedger, SERVER_MIGRATIONS } from './decisions.ts';
import { EventHub } from './features/events.ts';
import { A2aVendorTransport } from './transport.ts';

/** Every package's migrations, applied together when the database opens. */
export const ALL_MIGRATIONS = {
  identity: IDENTITY_MIGRATIONS,
  policy: POLICY_MIGRATIONS,
  audit: AUDIT_MIGRATIONS,
  provenance: PROVENANCE_MIGRATIONS,
  profile: PROFILE_MIGRATIONS,
  broker: BROKER_MIGRATIONS,
  agent: AGENT_MIGRATIONS,
  server: SERVER_MIGRATIONS,
} as const;

/** How to assemble a broker. */
export interface StewardOptions {
  config: Pick<BrokerConfig, 'dataDir' | 'dbPath'>;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** The person's agent provenance manifest; default: Steward's own offline agent. */
  manifest?: AgentManifest;
  /** Allow vendors on loopback and private addresses (the demo world). Never in production. */
  allowPrivateVendors?: boolean;
  /** Offer collection window, ms. */
  collectionWindowMs?: number;
  /** Messages one vendor may send per minute before the engine refuses more (THREATS #33); default the engine's. */
  vendorMessagesPerMinute?: number;
  /** Where the initial policy comes from when none was applied yet. Default `policies/default.yaml`. */
  initialPolicyFile?: string;
}

/** Steward's own offline agent, when the person configured no other. */
export const DEFAULT_MANIFEST: AgentManifest = {
  manifestVersion: 1,
  agent: { name: 'Steward offline agent', version: '0.1.0' },
  maker: { name: 'The Steward project' },
  operator: { name: 'You (runs on your machine)' },
  modelProvider: { name: 'none (offline rules mode)' },
  declaredAffiliations: [],
  issuedAt: '2026-11-25T00:00:00Z',
};

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The assembled broker: one database, every package wired to it, and the engine on top. */
export class Steward {
  readonly store: Store;
  readonly clock: Clock;
  readonly brokerId: string;
  readonly keys: KeyStore;
  readonly revocation: RevocationList;
  readonly replay: ReplayStore;
  readonly vendors: VendorStore;
  readonly registries: RegistryStore;
  readonly policies: PolicyVersions;
  readonly ledger: SpendLedger;
  readonly audit: AuditLog;
  readonly profile: Profile;
  readonly engine: BrokerEngine;
  /** Orders whose outcome is unknown, and the person's way to settle them. */
  readonly orders: OrderSettlements;
  readonly hub = new EventHub();
  manifest: AgentManifest;
  readonly #allowPrivate: boolean;
  #transport: A2aVendorTransport | undefined;
  #graph: AffiliationGraph | undefined;
  /** Events raised before the log could open (its checkpoint key is created first), appended once it is. */
  #early: Array<{ event: AuditEvent; payload: unknown; durable: boolean }> | undefined = [];

  constructor(options: StewardOptions) {
    const env = options.env ?? process.env;
    this.clock = options.clock ?? systemClock;
    this.#allowPrivate = options.allowPrivateVendors ?? false;
    // The same manifest the CLI shows: STEWARD_AGENT_MANIFEST, else <data dir>/agent-manifest.json.
    const manifestFile = env.STEWARD_AGENT_MANIFEST ?? join(options.config.dataDir, 'agent-manifest.json');
    this.manifest = options.manifest ?? (existsSync(manifestFile) ? loadManifest(manifestFile) : DEFAULT_MANIFEST);
    this.store = openStore(options.config.dbPath, { migrations: ALL_MIGRATIONS });
    try {
      const sink = (event: AuditEvent, payload?: unknown) => this.#append(event, payload);
      const secret = keyStoreSecretFor(options.config.dataDir, env);
      if ('keyFile' in secret) ensureKeyFile(secret.keyFile);
      this.keys = KeyStore.open(this.store, secret, { clock: this.clock, audit: sink });
      for (const purpose of ['broker', 'user'] as const) {
        if (this.keys.list(purpose).length === 0) this.keys.create(purpose, 'EdDSA', 'broker');
      }
      this.brokerId = this.#brokerId();
      const brokerKey = this.keys.signingKey('broker');
      const noteName = `steward.local/audit/${this.brokerId.slice(-12)}`;
      // After a key rotation, checkpoints signed by earlier broker keys must still be extendable.
      const previousKeys = this.keys
        .list('broker')
        .filter((k) => k.kid !== brokerKey.kid)
        .map((k) => toVerifier(noteName, importVerificationKey(k.publicJwk, this.brokerId).publicKey));
      this.audit = openAuditLog(this.store, {
        origin: noteName,
        signer: { name: noteName, privateKey: brokerKey.privateKey },
        previousKeys,
        clock: this.clock,
        checkpointEvery: { events: 256, seconds: 300 },
      });
      const early = this.#early ?? [];
      this.#early = undefined;
      for (const e of early) this.#append(e.event, e.payload, e.durable);
      this.revocation = new RevocationList(this.store, { clock: this.clock, audit: sink });
      this.replay = new ReplayStore(this.store);
      this.vendors = new VendorStore(this.store, { revocation: this.revocation, audit: sink, clock: this.clock });
      this.registries = new RegistryStore(this.store, { clock: this.clock });
      this.policies = new PolicyVersions(this.store, { clock: this.clock });
      if (this.policies.history(1).length === 0) {
        const file = options.initialPolicyFile ?? join(ROOT, 'policies', 'default.yaml');
        const change = this.policies.apply(readFileSync(file, 'utf8'), { file, message: 'initial policy (default.yaml)' });
        this.#append(change.event, undefined, true);
      }
      // Records each decision's inputs, so candidate policies can be dry-run against them.
      this.ledger = new RecordingLedger(this.store, { clock: this.clock });
      ensureSeed(this.store, this.clock);
      this.#reconcileUnsettledOrders();
      // The same 0600 key file `steward profile` uses, so the CLI and the broker share one profile.
      const dataKey = loadProfileKeyFile(options.config.dataDir);
      this.profile = openProfile(this.store, {
        dataKey,
        audit: sink,
        clock: this.clock,
        // Payment tokens are signed with the person's key, like the orders they pay for.
        sign: async (typ, payload) => signCompact(JSON.stringify(payload), this.keys.signingKey('user'), { typ }),
        decide: (req) => this.ledger.decideAndReserve(this.policies.active().policy, {
          action: 'share_data',
          category: req.vendor.category,
          vendor: { origin: req.vendor.origin, verified: req.vendor.verified, signedCard: true, enrolled: true, new: false },
          dataClasses: [req.dataClass],
          purpose: req.purpose,
          flags: [],
          time: this.#iso(),
          counters: { ordersToday: 0, roundsSoFar: 0, vendorsContacted: 0, toolCalls: 0 },
        }).decision,
      });
      this.engine = new BrokerEngine({
        store: this.store,
        clock: this.clock,
        brokerId: this.brokerId,
        keys: { broker: brokerKey, user: this.keys.signingKey('user') },
        replay: this.replay,
        revocation: this.revocation,
        vendors: { list: () => this.vendors.list().map((v) => this.#enrolled(v)), get: (o) => {
          const v = this.vendors.find(o);
          return v ? this.#enrolled(v) : undefined;
        } },
        transport: (this.#transport = new A2aVendorTransport({ signingKey: () => this.keys.signingKey('broker'), allowPrivate: this.#allowPrivate })),
        policy: () => this.policies.active().policy,
        ledger: this.ledger,
        provenance: {
          flagOffers: ({ vendors, offers, asOf }) => this.#detect(vendors, offers.map((o) => o.offer), undefined, asOf),
          checkPick: ({ vendors, offers, pickOfferHash, asOf }) => {
            const pick = offers.find((o) => o.offerHash === pickOfferHash);
            return this.#detect(vendors, offers.map((o) => o.offer), pick?.offer.offerId, asOf).filter((f) => f.kind === 'steering_suspected');
          },
          // Only a likely disguise keeps a vendor out before contact; a name that merely mixes scripts
          // is flagged on its offer and judged by the policy at order time.
          impersonation: ({ vendors, asOf }) =>
            // Only the confusable-name detector: this runs before every quote.
            detectConfusableName(new DetectionContext(this.graph(), this.#detectionInput(vendors, [], undefined, asOf))).filter((f) => f.severity === 'critical'),
          isAffiliated: (vendor, asOf) => this.#detect([vendor], [], undefined, asOf).some((f) => f.kind === 'affiliated_counterparty' || f.kind === 'undisclosed_affiliation'),
        },
        disclosure: {
          plan: ({ vendor, purpose, classes, taskId, category, approval }) => {
            const result = this.profile.planDisclosure({
              vendor: { origin: vendor.origin, category, verified: vendor.verified },
              purpose,
              taskId,
              fields: classes.map((c) => ({ dataClass: c, purpose: c === 'address' ? 'delivery' : purpose })),
              ...(approval ? { approval } : {}),
            });
            return {
              disclosureId: result.disclosureId,
              allowed: result.disclosed,
              ask: result.ask.map((a) => a.dataClass),
              denied: result.refused.map((r) => ({ dataClass: r.dataClass, reason: r.reason })),
            };
          },
          record: (plan) => {
            if (plan.disclosureId && Object.keys(plan.allowed).length > 0) this.profile.recordDisclosure(plan.disclosureId);
          },
          scanOutbound: (message, allowed, context) => void this.profile.scanOutbound(message, allowed, context),
        },
        audit: { append: (event, opts) => this.#append(event, opts?.payload, opts?.durable) },
        payments: {
          issue: async (input) => {
            if (this.profile.list('payment').length === 0) return undefined;
            const issued = await this.profile.issuePaymentToken({
              order: { orderId: input.orderId, vendor: input.vendor, payee: input.payee, total: input.total },
              issuer: this.brokerId,
              policyVersion: input.policyVersion,
              taskId: input.taskId,
              // No approvalId: the profile spends an approval once, on the fields it released.
            });
            return issued.token;
          },
        },
        ...(options.collectionWindowMs === undefined ? {} : { collectionWindowMs: options.collectionWindowMs }),
        ...(options.vendorMessagesPerMinute === undefined ? {} : { vendorMessagesPerMinute: options.vendorMessagesPerMinute }),
        onProgress: (event: ProgressEvent) => this.hub.publish({ type: 'progress', taskId: event.taskId, data: event }),
      });
      this.orders = new OrderSettlements({
        store: this.store,
        clock: this.clock,
        ledger: this.ledger,
        vendors: { get: (o) => {
          const v = this.vendors.find(o);
          return v ? this.#enrolled(v) : undefined;
        } },
        audit: {
          append: (event, opts) => this.#append(event, opts?.payload, opts?.durable),
          appendWith: (event, write, opts) => {
            const { receipt, result } = this.audit.appendWith(event, write, opts?.payload === undefined ? {} : { payload: opts.payload });
            this.hub.publish({ type: 'audit', data: { index: receipt.index, type: event.type, summary: event.summary } });
            return result;
          },
        },
      });
    } catch (error) {
      this.store.close();
      throw error;
    }
  }

  /** The affiliation graph snapshot, rebuilt after facts change. */
  graph(): AffiliationGraph {
    this.#graph ??= loadGraph(this.store);
    return this.#graph;
  }

  /** Adds facts (seed, registry attestations, the person's notes) and refreshes the snapshot. */
  addFacts(json: unknown): void {
    // Facts without a retrieval date were retrieved now, by this broker (e.g. registry attestations).
    const file = typeof json === 'object' && json !== null && !('retrievedAt' in json) ? { ...json, retrievedAt: new Date(this.clock.now()).toISOString() } : json;
    saveFacts(this.store, factsFromFile(file), { clock: this.clock });
    this.#graph = undefined;
  }

  /** The plain-language disclosure of where the person's agent came from. */
  agentDisclosure(): string {
    return renderDisclosure(this.manifest, this.graph(), { asOf: this.#iso().slice(0, 10), signature: this.manifest.signature ? 'unchecked' : 'unsigned' });
  }

  /** Makes `manifest` the person's agent, here and for the CLI (written to the data dir if none is there). */
  useManifest(manifest: AgentManifest, dataDir: string): void {
    this.manifest = manifest;
    const file = join(dataDir, 'agent-manifest.json');
    if (!existsSync(file)) writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 });
  }

  /** Trusts a registry (its JWKS) for vendor credentials. */
  trustRegistry(id: string, name: string, jwks: readonly unknown[]): void {
    this.registries.trust(id, name, jwks);
  }

  /**
   * Enrols a vendor: fetches its keys and signed card from its origin (SSRF-guarded), verifies
   * them, and, when a registry credential is given, verifies it against the trusted registries.
   */
  async enrolVendor(origin: string, options: { credential?: string } = {}): Promise<VendorRecord> {
    return this.enrolObserved(await this.discoverVendor(origin, options));
  }

  /** Fetches and verifies a vendor's keys, signed card and optional credential, without enrolling it. */
  async discoverVendor(origin: string, options: { credential?: string } = {}): Promise<VendorObservation> {
    const registryKeys = this.registries.list().flatMap((r) => r.keys.map((jwk) => importVerificationKey(jwk, r.id)));
    return discoverVendor(origin, {
      revocation: this.revocation,
      fetch: { allowPrivate: this.#allowPrivate },
      ...(options.credential ? { credential: { token: options.credential, registries: resolverOf(registryKeys) } } : {}),
    });
  }

  /** Enrols (or re-observes) a vendor from an observation {@link discoverVendor} made. */
  enrolObserved(observation: VendorObservation): VendorRecord {
    const enrolledOrigin = observation.card.key.owner;
    if (this.vendors.has(enrolledOrigin)) {
      this.vendors.observe(enrolledOrigin, observation);
      return this.vendors.get(enrolledOrigin);
    }
    return this.vendors.enrol(observation, 'person');
  }

  /**
   * Re-reads every active vendor's keys and signed card from its origin. A change of card, keys,
   * declared owners or payout identity suspends the vendor until the person confirms it (no silent
   * "rug pull"); an unreachable vendor is left as it is and reported. Returns what changed.
   */
  async refreshVendors(): Promise<Array<{ origin: string; kinds: string[]; status: string } | { origin: string; error: string }>> {
    const registryKeys = this.registries.list().flatMap((r) => r.keys.map((jwk) => importVerificationKey(jwk, r.id)));
    const out: Array<{ origin: string; kinds: string[]; status: string } | { origin: string; error: string }> = [];
    for (const vendor of this.vendors.list()) {
      if (vendor.status !== 'active') continue;
      try {
        const result = await refreshVendor(this.vendors, vendor.origin, {
          revocation: this.revocation,
          fetch: { allowPrivate: this.#allowPrivate },
          credential: { token: '', registries: resolverOf(registryKeys) },
        });
        if (result.changed) out.push({ origin: vendor.origin, kinds: result.kinds, status: result.status });
      } catch (error) {
        out.push({ origin: vendor.origin, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return out;
  }

  /**
   * Orders signed before a crash whose receipt never came back have an unknown outcome: the vendor may
   * have accepted them. INVARIANT (fail safe): their money counts against the person's budgets until
   * the person settles them, instead of quietly dropping out when the reservation would expire.
   */
  #reconcileUnsettledOrders(): void {
    const rows = this.store
      .statement("SELECT order_id, task_id, vendor, reservation_id FROM broker_orders WHERE status = 'signed' AND status_reason IS NULL")
      .all() as Array<{ order_id: string; task_id: string; vendor: string; reservation_id: string | null }>;
    for (const row of rows) {
      const reason = 'outcome unknown after a restart: counted against your budget until you check with the vendor';
      try {
        if (row.reservation_id) this.ledger.commit(row.reservation_id, reason);
      } catch {
        // Already released or committed: nothing to hold.
      }
      this.store.durably(() => {
        this.store.statement("UPDATE broker_orders SET status_reason = ? WHERE order_id = ? AND status = 'signed'").run(reason, row.order_id);
        // The task was left mid-order; it says what happened, as at runtime.
        this.store
          .statement("UPDATE broker_tasks SET status = 'failed', status_reason = ?, updated_at = ? WHERE task_id = ? AND status = 'ordering'")
          .run(reason, this.#iso(), row.task_id);
      });
      this.#append(
        { type: 'ledger.committed', at: this.#iso(), actor: 'broker', taskId: row.task_id, vendor: row.vendor, summary: `order ${row.order_id}: ${reason}`, data: { orderId: row.order_id, reservationId: row.reservation_id } },
        undefined,
        true,
      );
    }
  }

  /** Closes pooled vendor connections, the log (flushing group commits) and the database. */
  close(): void {
    this.#transport?.close();
    try {
      this.audit.close();
    } finally {
      this.store.close();
    }
  }

  #detectionInput(vendors: readonly EnrolledVendor[], offers: readonly SignedOffer[], pickOfferId: string | undefined, asOf: string): DetectionInput {
    const descriptors: VendorDescriptor[] = vendors.map((v) => {
      const record = this.vendors.find(v.origin);
      const claims = record?.credential ? credentialClaims(record.credential) : undefined;
      return {
        origin: v.origin,
        displayName: v.displayName,
        keyThumbprint: v.keyThumbprints[0] ?? '',
        payoutId: v.payoutId,
        ...(v.legalEntity ? { legalEntity: v.legalEntity } : {}),
        declaredOwners: [...v.declaredOwners],
        declaredAffiliations: [...v.declaredAffiliations],
        ...(claims ? { credential: { issuer: claims.iss, legalEntity: claims.legalEntity, owners: claims.owners, verificationLevel: claims.verificationLevel, issuedAt: new Date(claims.iat * 1000).toISOString() } } : {}),
      };
    });
    return {
      manifest: this.manifest,
      vendors: descriptors,
      offers: offers.map((o) => ({ offerId: o.offerId, vendor: o.vendor, total: o.total, delivery: o.delivery, sponsored: o.sponsored, items: o.items.map((i) => ({ sku: i.sku, quantity: i.quantity })), iat: o.iat })),
      ...(pickOfferId ? { pickOfferId } : {}),
      asOf: asOf.slice(0, 10),
      nowMs: this.clock.now(),
    };
  }

  #detect(vendors: readonly EnrolledVendor[], offers: readonly SignedOffer[], pickOfferId: string | undefined, asOf: string): Flag[] {
    return detectConflicts(this.graph(), this.#detectionInput(vendors, offers, pickOfferId, asOf));
  }

  #enrolled(v: VendorRecord): EnrolledVendor {
    const ext = v.card.capabilities.extensions?.find((e) => e.uri.includes('/a2a/ext/commerce/'))?.params as
      | { payout?: { payoutId?: string }; categories?: string[]; legalEntity?: EnrolledVendor['legalEntity'] }
      | undefined;
    return {
      origin: v.origin,
      displayName: v.displayName,
      a2aUrl: v.card.url,
      categories: (ext?.categories ?? []) as EnrolledVendor['categories'],
      status: v.status,
      keyThumbprints: v.keys.map((k) => k.kid),
      publicJwks: v.keys,
      payoutId: ext?.payout?.payoutId ?? '',
      verified: v.verificationLevel !== 'pinned',
      signedCard: true,
      ...(v.registry ? { registry: v.registry } : {}),
      ...(v.verificationLevel !== 'pinned' ? { verificationLevel: v.verificationLevel } : {}),
      ...(ext?.legalEntity ? { legalEntity: ext.legalEntity } : {}),
      declaredOwners: v.owners,
      declaredAffiliations: v.affiliations,
      isNew: this.store.statement("SELECT 1 FROM broker_orders WHERE vendor = ? AND status = 'accepted' LIMIT 1").get(v.origin) === undefined,
    };
  }

  #append(event: AuditEvent, payload?: unknown, durable?: boolean): void {
    if (this.#early) {
      this.#early.push({ event, payload, durable: durable === true });
      return;
    }
    const receipt = durable ? this.audit.appendDurably(event, payload === undefined ? {} : { payload }) : undefined;
    if (!durable) {
      this.audit.append(event, payload === undefined ? {} : { payload }).then(
        (r) => this.hub.publish({ type: 'audit', data: { index: r.index, type: event.type, summary: event.summary } }),
        (error: unknown) => process.emitWarning(`audit append failed: ${String(error)}`),
      );
    } else if (receipt) {
      this.hub.publish({ type: 'audit', data: { index: receipt.index, type: event.type, summary: event.summary } });
    }
  }

  #brokerId(): string {
    const row = this.store.statement("SELECT value FROM broker_meta WHERE key = 'broker_id'").get() as { value: string } | undefined;
    if (row) return row.value;
    const id = `urn:steward:broker:${this.keys.list('broker')[0]!.kid}`;
    this.store.transaction(() => this.store.statement("INSERT INTO broker_meta (key, value) VALUES ('broker_id', ?)").run(id));
    return id;
  }

  #iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** The claims of a credential verified at enrolment and stored with the vendor. */
function credentialClaims(token: string): VendorCredential | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  const parsed = VendorCredential.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  return parsed.success ? parsed.data : undefined;
}
