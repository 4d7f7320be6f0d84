import { createHash, randomBytes } from 'node:crypto';
import {
  importVerificationKey,
  signMessage,
  tokenHash as hashToken,
  verifyMessage,
  type KeyResolver,
  type ReplayStore,
  type RevocationCheck,
  type SigningKey,
  type VerificationKey,
} from '@steward/identity';
import {
  approvalExpiresAt,
  decide,
  type CompiledPolicy,
  type PolicyRequest,
  type SpendLedger,
} from '@steward/policy';
import {
  TaskSpec,
  isStewardError,
  parseStrict,
  systemClock,
  type Approval,
  type AuditEvent,
  type Clock,
  type DataClass,
  type Decision,
  type Flag,
  type Money,
  type Purpose,
  type Rfq,
  type SignedOffer,
} from '@steward/protocol';
import type { Store } from '@steward/store';
import { ApprovalBook } from '../approvals/book.ts';
import type { OrderSubject } from '../approvals/subject.ts';
import { BrokerError } from '../errors.ts';
import { SPONSORED_PATTERNS, firstMatch } from '../screen/phrases.ts';
import { screenVendorText } from '../screen/screen.ts';
import { compareOffers, constraintGaps, shuffled } from './ranking.ts';
import type {
  AuditPort,
  DisclosurePlan,
  DisclosurePort,
  PaymentPort,
  EnrolledVendor,
  OutboundMessage,
  ProvenancePort,
  ReceivedOffer,
  VendorDirectory,
  VendorTransport,
} from './ports.ts';

/** Vendor prose an offer may carry before its share of the payload is checked (THREATS #4). */
const MAX_FREE_TEXT_CHARS = 1000;

/** Everything the engine works with. I/O sits behind the ports; identity and policy are used directly. */
export interface BrokerEngineOptions {
  store: Store;
  clock?: Clock;
  /** This broker's identifier: `iss` of its messages and the `aud` vendors must address. */
  brokerId: string;
  /** The broker's message key (requests for quotes, counter-offers) and the person's key (orders). */
  keys: { broker: SigningKey; user: SigningKey };
  replay: ReplayStore;
  revocation: RevocationCheck;
  vendors: VendorDirectory;
  transport: VendorTransport;
  /** The active policy, read at every decision (the person may apply a new version any time). */
  policy: () => CompiledPolicy;
  ledger: SpendLedger;
  provenance: ProvenancePort;
  disclosure: DisclosurePort;
  audit: AuditPort;
  /** How long offers are collected after the requests go out (THREATS #28). Default 2000 ms. */
  collectionWindowMs?: number;
  /** Counter-offer rounds per task (THREATS #33). Default 2. */
  maxRounds?: number;
  /** Vendors asked per task. Default 6. */
  maxVendors?: number;
  /** Live progress for the chat (SSE). */
  onProgress?: (event: ProgressEvent) => void;
  /** Payment tokens for orders; without it orders carry none (the vendor bills by other means). */
  payments?: PaymentPort;
  /** Messages accepted from one vendor per minute, across tasks (THREATS #33). Default 120. */
  vendorMessagesPerMinute?: number;
}

/** A live progress line for the person. */
export interface ProgressEvent {
  taskId: string;
  stage:
    | 'task'
    | 'vendors'
    | 'quotes'
    | 'offer'
    | 'refused'
    | 'counter'
    | 'recommend'
    | 'decision'
    | 'approval'
    | 'order'
    | 'receipt';
  message: string;
  data?: Record<string, unknown>;
}

/** An offer as the agent and the person see it: structured fields only, vendor text labelled. */
export interface OfferView {
  /** The broker's handle for this offer (vendors' own ids may collide). */
  offerId: string;
  /** The vendor's id for it. */
  vendorOfferId: string;
  offerHash: string;
  vendor: { origin: string; displayName: string; verified: boolean; verificationLevel?: string };
  items: Array<{ sku: string; name: string; quantity: number; lineTotal: Money; requestIndex?: number }>;
  fees: Money;
  total: Money;
  billingPeriod: string;
  /** SHA-256 of the terms text the offer is signed under; once ordered, `GET /api/terms/{termsHash}`. */
  termsHash: string;
  delivery: { start: string; end: string } | null;
  expiresAt: number;
  sponsored: boolean;
  round: number;
  constraintGaps: string[];
  flags: Array<{ kind: Flag['kind']; severity: Flag['severity']; summary: string }>;
  /**
   * THREATS #27: the other vendors (and their offers here) that are one party with this one: one
   * competitor, not rivals.
   */
  sameParty?: { vendors: string[]; offerIds: string[] };
  /** Screened, link-free vendor text, clearly not an instruction; empty when hidden. */
  untrustedVendorText: string;
}

/** What placing an order came to. */
export interface OrderOutcome {
  status: 'ordered' | 'needs_approval' | 'denied' | 'failed';
  reasons: string[];
  remedies?: string[];
  approval?: Approval;
  orderId?: string;
  decision?: Decision;
}

interface TaskRow {
  task_id: string;
  status: string;
  spec_json: string;
  flags_json: string;
  rounds: number;
  tool_calls: number;
  vendors_contacted: number;
}

interface OfferRow {
  offer_id: string;
  vendor: string;
  offer_hash: string;
  jws: string;
  payload_json: string;
  screened_json: string;
  flags_json: string;
  status: string;
  round: number;
}

/** What an order of each category needs to be fulfilled (`required`) and what helps (`optional`). */
const PURPOSE_CLASSES: Record<
  TaskSpec['category'],
  { purpose: Purpose; required: DataClass[]; optional: DataClass[] }
> = {
  groceries: { purpose: 'delivery', required: ['name', 'address'], optional: ['phone'] },
  restaurant: { purpose: 'booking', required: ['name'], optional: ['phone'] },
  travel: { purpose: 'booking', required: ['name'], optional: ['email'] },
  general: { purpose: 'delivery', required: ['name', 'address'], optional: ['email'] },
};

/** The part of a prepared statement the engine uses. */
interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

/** The broker's handle for an offer: short, unique, derived from the signed token's hash. */
const handleOf = (offerHash: string) => `of_${offerHash.slice(0, 22)}`;
/** OS errors of a connection that was never made: nothing was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * True only when a transport error proves the order never left: the transport said so
 * (`details.sent === false`) or the connection was never made. Anything else may have reached the vendor.
 */
function orderNeverLeft(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, details, cause } = e as { code?: unknown; details?: { sent?: unknown }; cause?: unknown };
    if (details?.sent === false || (typeof code === 'string' && NOT_CONNECTED.has(code))) return true;
    e = cause;
  }
  return false;
}

/** Why requests still out at the end of a collection window are cancelled. */
const WINDOW_CLOSED: Readonly<Error> = Object.freeze(new Error('the collection window closed'));

/**
 * The negotiation engine: one code path from a delegated task to a signed order. The agent
 * proposes through these methods; the engine verifies, screens, flags, asks the policy, audits,
 * and signs only what is allowed or approved.
 */
export class BrokerEngine {
  readonly approvals: ApprovalBook;
  readonly #o: Required<Pick<BrokerEngineOptions, 'collectionWindowMs' | 'maxRounds' | 'maxVendors'>> &
    BrokerEngineOptions;
  readonly #clock: Clock;
  /** The directory as given, with the vendors' own display names (provenance reads those). */
  readonly #carded: VendorDirectory;

  constructor(options: BrokerEngineOptions) {
    this.#clock = options.clock ?? systemClock;
    // A vendor's display name is text from its own card: screened like any vendor string before it
    // reaches the agent, the person or the log (THREATS #1–3). Identity stays the origin.
    const directory = options.vendors;
    const vendors: VendorDirectory = {
      list: () => directory.list().map(withScreenedName),
      get: (origin) => {
        const v = directory.get(origin);
        return v && withScreenedName(v);
      },
    };
    this.#o = { collectionWindowMs: 2000, maxRounds: 2, maxVendors: 6, ...options, vendors };
    this.#carded = directory;
    this.approvals = new ApprovalBook(options.store, this.#clock);
  }

  // ---------- tasks ----------

  /** Records a delegated task. The budget stays here: it is never sent to a vendor. */
  createTask(spec: unknown, options: { conversationId?: string } = {}): { taskId: string; spec: TaskSpec } {
    const task = parseStrict(TaskSpec, spec, 'task');
    const taskId = id('task');
    const now = this.#iso();
    this.#o.store.transaction(() => {
      this.#stmt(
        'INSERT INTO broker_tasks (task_id, created_at, updated_at, status, spec_json, conversation_id) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(taskId, now, now, 'open', JSON.stringify(task), options.conversationId ?? null);
    });
    // The person's own words may name them, their address or their health: they go into the
    // erasable payload, never the permanent event summary.
    this.#audit(
      {
        type: 'task.created',
        taskId,
        actor: 'person',
        summary: `task created: ${task.category}, ${task.items.length} item${task.items.length === 1 ? '' : 's'}`,
        data: { category: task.category, items: task.items.length },
      },
      { payload: { summary: task.summary } },
    );
    this.#progress({ taskId, stage: 'task', message: `Task recorded: ${task.summary}` });
    return { taskId, spec: task };
  }

  /** The task's spec and status. */
  task(taskId: string): { taskId: string; status: string; spec: TaskSpec; flags: Flag[]; rounds: number } {
    const row = this.#taskRow(taskId);
    return {
      taskId,
      status: row.status,
      spec: JSON.parse(row.spec_json) as TaskSpec,
      flags: JSON.parse(row.flags_json) as Flag[],
      rounds: row.rounds,
    };
  }

  // ---------- discovery ----------

  /** Enrolled, active vendors serving the task's category that the policy lets the broker contact. */
  findVendors(taskId: string): Array<{ vendor: EnrolledVendor; decision: Decision }> {
    const { spec } = this.task(taskId);
    this.#countCall(taskId);
    const out: Array<{ vendor: EnrolledVendor; decision: Decision }> = [];
    // The policy's limit is on vendors contacted for the task: earlier requests for quotes count too.
    const counters = this.#counters(taskId);
    const candidates = this.#o.vendors
      .list()
      .filter((v) => v.status === 'active' && v.categories.includes(spec.category) && !this.#o.revocation.isOriginRevoked(v.origin));
    // THREATS #23: a look-alike of another vendor is judged by the policy before it is contacted
    // (the default policy's `conflicts.confusable_name: deny` keeps it out of the task entirely).
    const impersonation =
      candidates.length === 0
        ? []
        : this.#provenanceFlags(candidates, (carded) => this.#o.provenance.impersonation({ vendors: carded, asOf: this.#iso() }));
    for (const vendor of candidates) {
      const flags = impersonation.filter((f) => f.vendor === vendor.origin);
      const kinds = [...new Set(flags.map((f) => f.kind))];
      const decision = this.#decide({
        action: 'contact_vendor',
        category: spec.category,
        vendor,
        flags: kinds,
        counters: { ...counters, vendorsContacted: counters.vendorsContacted + out.length },
      });
      if (decision.effect === 'deny') {
        this.#audit({
          type: 'decision',
          taskId,
          actor: 'broker',
          vendor: vendor.origin,
          decision: 'deny',
          policyVersion: decision.policyVersion,
          summary: `not contacting ${vendor.displayName}: ${decision.reasons[0]?.message ?? 'policy'}`,
          ...(kinds.length > 0 ? { flags: kinds } : {}),
          data: { rules: decision.determiningRules, ...(flags.length > 0 ? { evidence: flags.flatMap((f) => [f.summary, ...(f.notes ?? [])]).slice(0, 20) } : {}) },
        });
        if (flags.length > 0)
          this.#progress({ taskId, stage: 'refused', message: `Not asking ${vendor.displayName}: ${flags[0]!.summary}`, data: { vendor: vendor.origin } });
        continue;
      }
      out.push({ vendor, decision });
      if (out.length >= this.#o.maxVendors) break;
    }
    this.#progress({
      taskId,
      stage: 'vendors',
      message: `${out.length} vendor${out.length === 1 ? '' : 's'} to ask: ${out.map((v) => v.vendor.displayName).join(', ')}`,
    });
    return out;
  }

  // ---------- quotes ----------

  /**
   * Sends a signed request for quotes to each vendor, collects answers for a fixed window, verifies
   * and screens each, flags conflicts across them, and returns them in random order.
   */
  async requestQuotes(taskId: string): Promise<OfferView[]> {
    const { spec } = this.task(taskId);
    // One commit for choosing the vendors (their decisions and the call count) and marking the task.
    const vendors = this.#o.store.transaction(() => {
      const found = this.findVendors(taskId).map((v) => v.vendor);
      this.#setTaskStatus(taskId, 'quoting');
      this.#stmt('UPDATE broker_tasks SET vendors_contacted = vendors_contacted + ? WHERE task_id = ?').run(found.length, taskId);
      return found;
    });
    const currency = spec.budget?.currency ?? 'USD';
    const rfq: Rfq = {
      type: 'rfq',
      rfqId: id('rfq'),
      category: spec.category,
      currency,
      items:
        spec.items.length > 0
          ? spec.items
          : [
              {
                description:
                  spec.category === 'restaurant'
                    ? 'table booking'
                    : spec.category === 'travel'
                      ? 'trip'
                      : spec.summary.slice(0, 200),
                quantity: 1,
              },
            ],
      constraints: spec.constraints,
      // Never after the window closes (so an answer after it is late by the vendor's own signed
      // deadline too), and never before the request is issued.
      respondBy: Math.max(Math.floor(this.#clock.now() / 1000) + 1, Math.floor((this.#clock.now() + this.#o.collectionWindowMs) / 1000)),
    };
    const controller = new AbortController();
    let windowTimer: NodeJS.Timeout | undefined;
    const window = new Promise<void>((resolve) => {
      windowTimer = setTimeout(resolve, this.#o.collectionWindowMs).unref();
    });
    const arrived: ReceivedOffer[] = [];
    let closed = false;
    const asks = vendors.map(async (vendor) => {
      let message: string;
      try {
        message = this.#signFor('rfq', rfq, vendor, 'broker');
      } catch (error) {
        // Outbound DLP found personal data in the request (e.g. an address typed into an item); the
        // profile logged the block. Say why nothing was asked.
        const code = isStewardError(error) ? error.code : 'ERR_INTERNAL';
        this.#progress({ taskId, stage: 'refused', message: `Did not send the request to ${vendor.displayName}: it carried personal data your policy keeps back`, data: { code } });
        return;
      }
      this.#audit({
        type: 'message.sent',
        taskId,
        actor: 'broker',
        vendor: vendor.origin,
        summary: `request for quotes sent to ${vendor.displayName}`,
        data: { rfqId: rfq.rfqId },
      });
      let raw: string | undefined;
      // THREATS #28: an answer after the announced window is never counted, whether it arrived
      // just after the window closed or its request was still out and cancelled then.
      const late = (summary: string, cause?: string) => {
        this.#audit({
          type: 'message.rejected',
          taskId,
          actor: `vendor:${vendor.origin}`,
          vendor: vendor.origin,
          summary,
          data: { code: 'ERR_OFFER_LATE', ...(cause ? { cause } : {}) },
        });
        this.#progress({ taskId, stage: 'refused', message: summary, data: { code: 'ERR_OFFER_LATE', vendor: vendor.origin } });
      };
      try {
        const reply = await this.#o.transport.exchange(
          vendor,
          { steward: 'rfq', jws: message },
          controller.signal,
        );
        raw = reply.jws;
        if (closed) return late(`${vendor.displayName} answered after the collection window closed`);
        const offer = this.#acceptOffer(taskId, vendor, reply, { rfqId: rfq.rfqId, round: 0 });
        if (offer) arrived.push(offer);
      } catch (error) {
        // A request still out when the window closed, and cancelled then. One that never reached the
        // vendor (refused connection, say) keeps its own cause.
        const neverSent = (error as { details?: { sent?: unknown } } | null)?.details?.sent === false;
        if (closed && raw === undefined && !neverSent)
          return late(`${vendor.displayName} did not answer within the collection window`, isStewardError(error) ? error.code : undefined);
        this.#refuse(taskId, vendor, error, raw);
      }
    });
    const allAnswered = await Promise.race([Promise.allSettled(asks).then(() => true), window.then(() => false)]);
    closed = true;
    clearTimeout(windowTimer);
    // Requests still out when the window closes are cancelled (a reason object made once: building
    // the default DOMException per quote cost more than the rest of closing the window).
    if (!allAnswered) controller.abort(WINDOW_CLOSED);
    const flags = this.#provenanceFlags(vendors, (carded) => this.#o.provenance.flagOffers({ vendors: carded, offers: arrived, asOf: this.#iso() }));
    // One commit for the flags and the status: the offers are shown with their flags or not yet at all.
    this.#o.store.transaction(() => {
      this.#attachFlags(taskId, arrived, flags);
      this.#setTaskStatus(taskId, 'quoted');
    });
    this.#progress({
      taskId,
      stage: 'quotes',
      message: `${arrived.length} offer${arrived.length === 1 ? '' : 's'} received`,
      data: { offers: arrived.length },
    });
    return this.offers(taskId);
  }

  /** The task's open offers as views, in a fresh random order every time. */
  offers(taskId: string): OfferView[] {
    const { spec } = this.task(taskId);
    const rows = this.#stmt("SELECT * FROM broker_offers WHERE task_id = ? AND status = 'open'").all(
      taskId,
    ) as OfferRow[];
    return shuffled(this.#markParties(rows.map((r) => this.#received(r)), spec));
  }

  /**
   * THREATS #27: vendors flagged as one party (`sybil_competition`, with the flag's `related`
   * origins) are one competitor. Every offer stays listed (hiding some would let a vendor that gets
   * itself clustered with a rival hide the rival's offer), and each names the party's other vendors
   * and offers in `sameParty`, so neither the agent nor the person counts them as rivals.
   */
  #markParties(received: readonly ReceivedOffer[], spec: TaskSpec): OfferView[] {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while ((parent.get(r) ?? r) !== r) r = parent.get(r)!;
      return r;
    };
    for (const r of received)
      for (const f of r.flags)
        if (f.kind === 'sybil_competition' && f.vendor)
          for (const other of f.related ?? []) {
            const a = find(f.vendor);
            const b = find(other);
            if (a !== b) parent.set(a, b);
          }
    const parties = new Map<string, ReceivedOffer[]>();
    for (const r of received) {
      const key = find(r.offer.vendor);
      parties.set(key, [...(parties.get(key) ?? []), r]);
    }
    return received.map((r) => {
      const view = this.#view(r, spec);
      const others = (parties.get(find(r.offer.vendor)) ?? []).filter((o) => o.offer.vendor !== r.offer.vendor);
      if (others.length > 0)
        view.sameParty = {
          vendors: [...new Set(others.map((o) => this.#o.vendors.get(o.offer.vendor)?.displayName ?? o.offer.vendor))],
          offerIds: others.map((o) => handleOf(o.offerHash)),
        };
      return view;
    });
  }

  // ---------- counter-offers ----------

  /** Asks a vendor for a lower all-in total; bounded rounds. Never reveals the person's cap. */
  async counterOffer(
    taskId: string,
    offerId: string,
    askTotal: Money,
  ): Promise<OfferView | { refused: string }> {
    const task = this.task(taskId);
    this.#countCall(taskId);
    if (task.rounds >= this.#o.maxRounds) {
      return { refused: `the limit of ${this.#o.maxRounds} counter-offer rounds for this task is reached` };
    }
    const current = this.#openOfferById(taskId, offerId);
    const vendor = this.#vendor(current.offer.vendor);
    const decision = this.#decide({
      action: 'counter_offer',
      category: task.spec.category,
      vendor,
      flags: [],
      counters: this.#counters(taskId),
    });
    if (decision.effect !== 'allow')
      return {
        refused:
          decision.reasons.map((r) => r.message).join('; ') || 'the policy does not allow counter-offers',
      };
    const round = current.offer.round + 1;
    const counter = {
      type: 'counter_offer' as const,
      counterId: id('ctr'),
      rfqId: current.offer.rfqId,
      offerId: current.offer.offerId,
      round,
      askTotal,
    };
    const jws = this.#signFor('counterOffer', counter, vendor, 'broker');
    this.#o.store.transaction(() =>
      this.#stmt('UPDATE broker_tasks SET rounds = rounds + 1 WHERE task_id = ?').run(taskId),
    );
    this.#audit({
      type: 'message.sent',
      taskId,
      actor: 'broker',
      vendor: vendor.origin,
      summary: `counter-offer to ${vendor.displayName}: ${formatMoney(askTotal)}`,
      data: { offerId, round },
    });
    this.#progress({
      taskId,
      stage: 'counter',
      message: `Asked ${vendor.displayName} for ${formatMoney(askTotal)} (round ${round})`,
    });
    let counterRaw: string | undefined;
    try {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.max(this.#o.collectionWindowMs, 1000));
      const reply = await this.#o.transport
        .exchange(vendor, { steward: 'counter_offer', jws }, controller.signal)
        .finally(() => clearTimeout(timer));
      counterRaw = reply.jws;
      const next = this.#acceptOffer(taskId, vendor, reply, {
        rfqId: current.offer.rfqId,
        round,
        previous: current,
      });
      if (!next) return { refused: `${vendor.displayName} declined the counter-offer` };
      this.#o.store.transaction(() =>
        this.#stmt("UPDATE broker_offers SET status = 'superseded' WHERE task_id = ? AND offer_hash = ?").run(
          taskId,
          current.offerHash,
        ),
      );
      const all = this.#openOffers(taskId);
      const flags = this.#provenanceFlags(this.#vendorsOf(all), (carded) =>
        this.#o.provenance.flagOffers({ vendors: carded, offers: all, asOf: this.#iso() }),
      );
      this.#attachFlags(taskId, all, flags);
      return this.#view(this.#openOfferByHash(taskId, next.offerHash), task.spec);
    } catch (error) {
      this.#refuse(taskId, vendor, error, counterRaw);
      return {
        refused: `${vendor.displayName}'s answer was refused: ${isStewardError(error) ? error.code : 'error'}`,
      };
    }
  }

  // ---------- recommendation ----------

  /** Checks the agent's pick for steering; the flags join the task and the order decision. */
  recommend(
    taskId: string,
    offerId: string,
    reasons: readonly string[] = [],
  ): { flags: Flag[]; best: OfferView | undefined } {
    const task = this.task(taskId);
    this.#countCall(taskId);
    const offers = this.#openOffers(taskId);
    const pick = this.#openOfferById(taskId, offerId);
    const flags = this.#provenanceFlags(this.#vendorsOf(offers), (carded) =>
      this.#o.provenance.checkPick({ vendors: carded, offers, pickOfferHash: pick.offerHash, task: task.spec, asOf: this.#iso() }),
    );
    const all = [...task.flags.filter((f) => f.kind !== 'steering_suspected'), ...flags];
    this.#o.store.transaction(() =>
      this.#stmt('UPDATE broker_tasks SET flags_json = ? WHERE task_id = ?').run(JSON.stringify(all), taskId),
    );
    for (const flag of flags)
      this.#audit({
        type: 'flag',
        taskId,
        actor: 'broker',
        vendor: pick.offer.vendor,
        flags: [flag.kind],
        summary: flag.summary,
        data: { offerId, evidence: flag.evidence.length },
      });
    this.#audit({
      type: 'task.updated',
      taskId,
      actor: 'agent',
      vendor: pick.offer.vendor,
      summary: `agent recommends ${offerId}`,
      data: { offerId, reasons: reasons.slice(0, 5).map((r) => r.slice(0, 200)) },
    });
    const best = [...offers].sort(compareOffers(task.spec))[0];
    this.#progress({
      taskId,
      stage: 'recommend',
      message:
        flags.length > 0
          ? `Recommendation checked: ${flags.map((f) => f.summary).join('; ')}`
          : 'Recommendation checked: no steering found',
    });
    return { flags, best: best ? this.#view(best, task.spec) : undefined };
  }

  // ---------- orders ----------

  /**
   * Places an order for an offer: asks the policy (and the person where it says ask), then signs the
   * order with the person's key, bound to the offer hash, consuming the approval in the same
   * transaction that reserves the money and records the order; sends it; verifies the receipt;
   * commits the ledger.
   */
  async placeOrder(
    taskId: string,
    offerId: string,
    options: { approvalId?: string } = {},
  ): Promise<OrderOutcome> {
    const task = this.task(taskId);
    this.#countCall(taskId);
    // Asking again for an offer already ordered answers with that order, never a second one.
    const placed = this.#stmt(
      `SELECT o.order_id, o.status, o.status_reason FROM broker_orders o JOIN broker_offers f ON f.offer_hash = o.offer_hash
       WHERE f.task_id = ? AND f.handle = ? AND o.status IN ('signed', 'accepted')`,
    ).get(taskId, offerId) as { order_id: string; status: string; status_reason: string | null } | undefined;
    if (placed?.status === 'signed' && placed.status_reason !== null) {
      // Sent, never confirmed: not placed as far as anyone knows, and never sent a second time.
      return { status: 'failed', reasons: [placed.status_reason], orderId: placed.order_id };
    }
    if (placed) {
      return { status: 'ordered', reasons: [`already ordered as ${placed.order_id}`], orderId: placed.order_id };
    }
    if (options.approvalId === undefined) {
      // The person may have approved in the web app or by chat: a granted approval for this very
      // offer is used (its subject hash is still checked when it is consumed).
      const granted = this.approvals.grantedFor(taskId, offerId);
      if (granted) options = { approvalId: granted };
    }
    const received = this.#openOfferById(taskId, offerId);
    const offer = received.offer;
    const vendor = this.#vendor(offer.vendor);
    const nowS = Math.floor(this.#clock.now() / 1000);
    if (offer.expiresAt <= nowS)
      return this.#deniedOutcome(taskId, vendor, [
        `the offer expired at ${new Date(offer.expiresAt * 1000).toISOString()}; ask for a new quote`,
      ]);
    if (vendor.status !== 'active' || this.#o.revocation.isOriginRevoked(vendor.origin)) {
      return this.#deniedOutcome(taskId, vendor, [
        `${vendor.displayName} is ${vendor.status === 'active' ? 'revoked' : vendor.status}; confirm or re-enrol it first`,
      ]);
    }
    const overBudget = this.#overTaskBudget(taskId, task.spec, vendor, offer);
    if (overBudget) return this.#taskBudgetDenied(taskId, task.spec, vendor, offer, offerId, overBudget);
    if (offer.payee.payoutId !== vendor.payoutId) {
      // THREATS #37: the payee must be the registered payout identity.
      return this.#deniedOutcome(taskId, vendor, [
        `the offer pays \`${offer.payee.payoutId}\`, not ${vendor.displayName}'s registered payout identity; re-verify the vendor`,
      ]);
    }
    const needs = PURPOSE_CLASSES[task.spec.category];
    const previously = options.approvalId ? this.approvals.subjectOf(options.approvalId) : undefined;
    const plan = this.#o.disclosure.plan({
      vendor,
      purpose: needs.purpose,
      classes: [...needs.required, ...needs.optional],
      taskId,
      category: task.spec.category,
      ...(options.approvalId && previously
        ? { approval: { approvalId: options.approvalId, dataClasses: previously.dataToShare } }
        : {}),
    });
    // Without a required field the order cannot be fulfilled: that refusal is the person's policy speaking.
    const blocking = plan.denied.filter((d) => needs.required.includes(d.dataClass));
    // THREATS #36: the terms the offer signed are fetched, checked against its hash and kept before
    // anything is decided, so the order is bound to text the person can read later.
    const terms = await this.#snapshotTerms(taskId, vendor, offer.termsHash);
    if (terms) return this.#deniedOutcome(taskId, vendor, [terms]);
    const flags = [
      ...received.flags,
      ...task.flags.filter(
        (f) => f.vendor === vendor.origin && (f.offerId === undefined || f.offerId === offer.offerId),
      ),
    ];
    // THREATS #6: an offer that does not match the task (items left out or swapped, another delivery
    // day, another currency) is judged as such by the policy (default: ask), whatever its amount and
    // whether or not its text is suspicious. Recurring billing has its own action and rule.
    const gaps = constraintGaps(received, task.spec).filter((g) => !g.startsWith('recurring'));
    if (gaps.length > 0)
      flags.push({
        kind: 'task_mismatch',
        severity: 'warning',
        summary: `${vendor.displayName}'s offer does not match your task: ${gaps.join('; ')}`,
        confidence: 1,
        vendor: vendor.origin,
        offerId: offer.offerId,
        evidence: [],
        notes: gaps,
      });
    const others = this.#openOffers(taskId).filter((o) => o.offerHash !== received.offerHash);
    const asOf = this.#iso();
    // THREATS #7: the steering check is the broker's own, not a step the agent may skip by
    // ordering without recommend(); it runs again here on the offers open now.
    const open = [received, ...others];
    for (const f of this.#provenanceFlags(this.#vendorsOf(open), (carded) =>
      this.#o.provenance.checkPick({ vendors: carded, offers: open, pickOfferHash: received.offerHash, task: task.spec, asOf }),
    )) {
      if (!flags.some((g) => g.kind === f.kind && g.summary === f.summary)) flags.push(f);
    }
    const flagKinds = [...new Set(flags.map((f) => f.kind))];
    const unaffiliatedAlternative = others.some((o) => {
      const v = this.#o.vendors.get(o.offer.vendor);
      return v !== undefined && !this.#o.provenance.isAffiliated(v, asOf);
    });
    const policy = this.#o.policy();
    const request = this.#request({
      action: offer.billingPeriod === 'one_off' ? 'order' : 'recurring',
      category: task.spec.category,
      vendor,
      amount: offer.total,
      flags: flagKinds,
      unaffiliatedAlternative,
      counters: this.#counters(taskId, vendor.origin),
      ...(offer.billingPeriod === 'one_off' ? {} : { recurring: { period: offer.billingPeriod } }),
    });
    // Everything that will leave once approved: the requested classes the policy does not refuse.
    // (While a field awaits approval the profile releases nothing, so `allowed` alone would understate it.)
    const dataToShare = [...needs.required, ...needs.optional].filter((c) => !plan.denied.some((d) => d.dataClass === c));
    const subject: OrderSubject = {
      kind: 'order',
      offerHash: received.offerHash,
      offerId,
      vendor: vendor.origin,
      items: offer.items,
      total: offer.total,
      payeeId: offer.payee.payoutId,
      dataToShare,
      policyVersion: policy.version,
    };
    const approved = options.approvalId !== undefined;
    const orderId = id('order');
    const payload = {
      type: 'order' as const,
      orderId,
      offerId: offer.offerId,
      offerHash: received.offerHash,
      vendor: vendor.origin,
      items: offer.items,
      fees: offer.fees,
      total: offer.total,
      billingPeriod: offer.billingPeriod,
      termsHash: offer.termsHash,
      payee: offer.payee,
      delivery: offer.delivery,
      disclosed: { ...plan.allowed },
      policyVersion: policy.version,
      ...(options.approvalId ? { approvalId: options.approvalId } : {}),
      ...(await this.#paymentTokenIf(
        { taskId, orderId, vendor: vendor.origin, payee: offer.payee, total: offer.total, policyVersion: policy.version, ...(options.approvalId ? { approvalId: options.approvalId } : {}) },
        () => {
          // Preview the decision (no reservation) so a token is issued only for an order that will pass.
          const preview = decide(policy, request, { spend: this.#o.ledger.lookup, clock: this.#clock });
          const passes = preview.effect === 'allow' || (approved && preview.effect === 'ask');
          return passes && (plan.ask.length === 0 || approved) && blocking.length === 0;
        },
      )),
    };

    // Decide, consume the approval, reserve and record the signed order: one durable transaction.
    let decision: Decision;
    let reservationId: string | undefined;
    let jws = '';
    try {
      ({ decision, reservationId, jws } = this.#o.store.durably(() => {
        // Again inside the transaction: another order of this task may have been signed meanwhile.
        const over = this.#overTaskBudget(taskId, task.spec, vendor, offer);
        if (over) throw new BrokerError('ERR_TASK_OVER_BUDGET', over, { details: { taskId } });
        // The day's order counters are read again here too: two racing orders must not both pass a limit.
        const result = this.#o.ledger.decideAndReserve(policy, { ...request, counters: this.#counters(taskId, vendor.origin) }, { approved });
        const d = result.decision;
        const needApproval = d.effect === 'ask' || plan.ask.length > 0;
        if (d.effect === 'deny' || (needApproval && !approved) || blocking.length > 0) {
          return { decision: d, reservationId: undefined, jws: '' };
        }
        if (approved) this.approvals.consume(options.approvalId!, subject);
        if (!result.reservation) return { decision: d, reservationId: undefined, jws: '' };
        const signed = signMessage('order', payload, {
          key: this.#o.keys.user,
          iss: this.#o.brokerId,
          aud: vendor.origin,
          clock: this.#clock,
        });
        this.#stmt(
          `INSERT INTO broker_orders (order_id, task_id, offer_hash, vendor, jws, order_hash, approval_id, reservation_id, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?, ?)`,
        ).run(
          orderId,
          taskId,
          received.offerHash,
          vendor.origin,
          signed.token,
          hashToken(signed.token),
          options.approvalId ?? null,
          result.reservation.reservationId,
          asOf,
          asOf,
        );
        this.#stmt("UPDATE broker_offers SET status = 'ordered' WHERE offer_hash = ?").run(
          received.offerHash,
        );
        this.#setTaskStatus(taskId, 'ordering');
        return { decision: d, reservationId: result.reservation.reservationId, jws: signed.token };
      }));
    } catch (error) {
      if (isStewardError(error) && error.code === 'ERR_TASK_OVER_BUDGET')
        return this.#taskBudgetDenied(taskId, task.spec, vendor, offer, offerId, error.message);
      if (isStewardError(error) && error.code.startsWith('ERR_APPROVAL_')) {
        this.#audit({
          type: 'order.failed',
          taskId,
          actor: 'broker',
          vendor: vendor.origin,
          summary: error.message,
          data: { code: error.code },
        });
        if (error.code === 'ERR_APPROVAL_MISMATCH' && options.approvalId) {
          this.approvals.invalidate(options.approvalId);
          // The cart, the data or the policy changed since the person approved: ask again for what is true now.
          const again = await this.placeOrder(taskId, offerId);
          return {
            ...again,
            reasons: [
              'what you approved has changed (cart, data to share or policy version); please approve again',
              ...again.reasons,
            ],
          };
        }
        return {
          status: 'denied',
          reasons: [error.message],
          remedies: ['ask for approval again for this exact order'],
        };
      }
      throw error;
    }
    this.#audit(
      {
        type: 'decision',
        taskId,
        actor: 'broker',
        vendor: vendor.origin,
        decision: decision.effect,
        flags: flagKinds,
        policyVersion: decision.policyVersion,
        summary: `order ${formatMoney(offer.total)} at ${vendor.displayName}: ${decision.effect}${approved ? ' (approved by you)' : ''}`,
        data: { rules: decision.determiningRules, reasons: decision.reasons.map((r) => r.message), offerId },
      },
      { durable: true },
    );
    this.#progress({
      taskId,
      stage: 'decision',
      message: `Policy: ${decision.effect}. ${decision.reasons.map((r) => r.message).join(' ')}`,
    });

    if (decision.effect === 'deny' || blocking.length > 0) {
      const reasons = [
        ...decision.reasons.filter((r) => r.effect === 'deny').map((r) => r.message),
        ...blocking.map((d) => d.reason),
      ];
      return this.#deniedOutcome(
        taskId,
        vendor,
        reasons.length ? reasons : ['the policy refuses this order'],
        decision,
      );
    }
    if (!jws) {
      const timeoutSeconds =
        Math.max(
          60,
          Math.round((Date.parse(approvalExpiresAt(policy, this.#clock.now())) - this.#clock.now()) / 1000),
        ) || 900;
      let approval: Approval;
      try {
        approval = this.approvals.request({
          taskId,
          subject,
          timeoutSeconds,
          maxPendingPerTask: policy.maxPendingApprovalsPerTask,
          summary: {
            vendor: vendor.origin,
            vendorName: vendor.displayName,
            items: offer.items.map((i) => ({ name: i.name, quantity: i.quantity, lineTotal: i.lineTotal })),
            total: offer.total,
            dataToShare,
            flags: flags.slice(0, 50),
            reasons: [
              ...decision.reasons.filter((r) => r.effect !== 'allow').map((r) => r.message),
              ...plan.ask.map((c) => `sharing your ${c.replace('_', ' ')} needs your approval`),
            ].slice(0, 50),
          },
        });
      } catch (error) {
        // THREATS #34: as many approvals as the policy allows already wait in this task.
        if (isStewardError(error) && error.code === 'ERR_APPROVALS_TOO_MANY') return this.#deniedOutcome(taskId, vendor, [error.message]);
        throw error;
      }
      this.#setTaskStatus(taskId, 'awaiting_approval');
      this.#audit(
        {
          type: 'approval.requested',
          taskId,
          actor: 'broker',
          vendor: vendor.origin,
          flags: flagKinds,
          policyVersion: policy.version,
          summary: `approval requested: ${formatMoney(offer.total)} at ${vendor.displayName}`,
          data: { approvalId: approval.approvalId, subjectHash: approval.subjectHash },
        },
        { durable: true },
      );
      this.#progress({
        taskId,
        stage: 'approval',
        message: `Your approval is needed for ${formatMoney(offer.total)} at ${vendor.displayName}`,
        data: { approvalId: approval.approvalId },
      });
      return {
        status: 'needs_approval',
        reasons: approval.summary.reasons,
        approval,
        decision,
        remedies: decision.remedies,
      };
    }
    if (approved) {
      this.#audit(
        {
          type: 'approval.granted',
          taskId,
          actor: 'person',
          vendor: vendor.origin,
          summary: `approval ${options.approvalId} consumed by order ${orderId}`,
          data: { approvalId: options.approvalId!, orderId },
        },
        { durable: true },
      );
    }
    this.#audit(
      {
        type: 'order.signed',
        taskId,
        actor: 'broker',
        vendor: vendor.origin,
        policyVersion: policy.version,
        summary: `order ${orderId} signed: ${formatMoney(offer.total)} at ${vendor.displayName}`,
        data: {
          orderId,
          offerHash: received.offerHash,
          orderHash: hashToken(jws),
          reservationId: reservationId ?? null,
        },
      },
      { durable: true },
    );
    this.#progress({
      taskId,
      stage: 'order',
      message: `Order signed and sent to ${vendor.displayName}`,
      data: { orderId },
    });
    return this.#sendOrder(taskId, vendor, orderId, jws, payload, plan, reservationId!);
  }

  /** Records the person's answer to an approval; on approve, places the order it covers. */
  async answerApproval(approvalId: string, answer: 'approve' | 'deny'): Promise<OrderOutcome> {
    const approval = this.approvals.answer(approvalId, answer);
    const subject = this.approvals.subjectOf(approvalId)!;
    if (answer === 'deny') {
      this.#audit(
        {
          type: 'approval.denied',
          taskId: approval.taskId,
          actor: 'person',
          vendor: subject.vendor,
          summary: `you declined ${formatMoney(subject.total)} at ${approval.summary.vendorName ?? subject.vendor}`,
          data: { approvalId },
        },
        { durable: true },
      );
      if (approval.taskId) this.#setTaskDenied(approval.taskId, 'declined by you');
      return { status: 'denied', reasons: ['you declined this order'] };
    }
    this.#audit(
      {
        type: 'approval.granted',
        taskId: approval.taskId,
        actor: 'person',
        vendor: subject.vendor,
        summary: `you approved ${formatMoney(subject.total)} at ${approval.summary.vendorName ?? subject.vendor}`,
        data: { approvalId, subjectHash: approval.subjectHash },
      },
      { durable: true },
    );
    return this.placeOrder(approval.taskId!, subject.offerId, { approvalId });
  }

  /** Expires overdue approvals (timeout = deny) and logs each. */
  expireApprovals(): Approval[] {
    const expired = this.approvals.expireDue();
    for (const a of expired) {
      this.#audit(
        {
          type: 'approval.expired',
          taskId: a.taskId,
          actor: 'broker',
          summary: `approval ${a.approvalId} expired unanswered; treated as declined`,
          data: { approvalId: a.approvalId },
        },
        { durable: true },
      );
      if (a.taskId) this.#setTaskDenied(a.taskId, 'approval expired');
    }
    return expired;
  }

  // ---------- internals ----------

  async #sendOrder(
    taskId: string,
    vendor: EnrolledVendor,
    orderId: string,
    jws: string,
    payload: unknown,
    plan: DisclosurePlan,
    reservationId: string,
  ): Promise<OrderOutcome> {
    const fail = (reason: string, code: string): OrderOutcome => {
      this.#o.ledger.release(reservationId);
      this.#o.store.transaction(() =>
        this.#stmt(
          "UPDATE broker_orders SET status = 'failed', status_reason = ?, updated_at = ? WHERE order_id = ?",
        ).run(reason, this.#iso(), orderId),
      );
      this.#setTaskStatus(taskId, 'failed', reason);
      this.#audit(
        {
          type: 'order.failed',
          taskId,
          actor: 'broker',
          vendor: vendor.origin,
          summary: `order ${orderId} failed: ${reason}`,
          data: { orderId, code },
        },
        { durable: true },
      );
      this.#audit({
        type: 'ledger.released',
        taskId,
        actor: 'broker',
        vendor: vendor.origin,
        summary: `reservation for order ${orderId} released`,
        data: { reservationId },
      });
      return { status: 'failed', reasons: [reason], orderId };
    };
    // INVARIANT (fail safe): an order that may have reached the vendor (a timeout, a reset, an answer
    // cut short) may have been accepted there. Its money counts against the person's budgets, as for
    // an order left unreceipted by a crash, and the order stays `signed` with the reason, never
    // `failed` with the reservation released (that would let a second order exceed the cap).
    const unknownOutcome = (error: unknown): OrderOutcome => {
      const reason = `${vendor.displayName} did not answer the order: it may have been accepted, so its amount counts against your budget until you check with ${vendor.displayName}`;
      // One durable commit for the money, the order's reason and the task: if it cannot be written, the
      // order stays signed without a reason and the next start counts it (#reconcileUnsettledOrders).
      this.#o.store.durably(() => {
        this.#o.ledger.commit(reservationId, reason);
        this.#stmt("UPDATE broker_orders SET status_reason = ?, updated_at = ? WHERE order_id = ? AND status = 'signed'").run(
          reason,
          this.#iso(),
          orderId,
        );
        this.#setTaskStatus(taskId, 'failed', reason);
      });
      this.#o.disclosure.record(plan, { vendor, taskId });
      const osCode = (error as { code?: unknown } | null)?.code;
      const code = isStewardError(error) ? error.code : typeof osCode === 'string' ? osCode : 'ERR_VENDOR_UNREACHABLE';
      this.#audit(
        { type: 'order.failed', taskId, actor: 'broker', vendor: vendor.origin, summary: `order ${orderId}: outcome unknown`, data: { orderId, code, outcome: 'unknown' } },
        { durable: true },
      );
      this.#audit(
        { type: 'ledger.committed', taskId, actor: 'broker', vendor: vendor.origin, summary: `order ${orderId}: ${reason}`, data: { reservationId, orderId } },
        { durable: true },
      );
      return { status: 'failed', reasons: [reason], orderId };
    };
    try {
      this.#o.disclosure.scanOutbound(payload, plan.allowed, {
        vendor: vendor.origin,
        taskId,
        messageType: 'order',
      });
    } catch (error) {
      // The profile logged the block (classes and paths, never values); the order is not sent.
      return fail(
        'the order carried personal data beyond what the policy allowed',
        isStewardError(error) ? error.code : 'ERR_INTERNAL',
      );
    }
    let reply;
    try {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 10_000);
      reply = await this.#o.transport
        .exchange(vendor, { steward: 'order', jws } satisfies OutboundMessage, controller.signal)
        .finally(() => clearTimeout(timer));
    } catch (error) {
      if (orderNeverLeft(error))
        return fail(
          `${vendor.displayName} could not be reached`,
          isStewardError(error) ? error.code : 'ERR_VENDOR_UNREACHABLE',
        );
      return unknownOutcome(error);
    }
    this.#o.disclosure.record(plan, { vendor, taskId });
    if (reply.steward !== 'receipt' || !reply.jws) {
      // The reason is vendor text on its way to the agent and the person: screened like any other.
      const said = screenedReason(reply.reason);
      return fail(
        `${vendor.displayName} refused the order${said ? ` (vendor says: “${said}”)` : ''}`,
        'ERR_ORDER_REFUSED',
      );
    }
    let receipt;
    try {
      receipt = verifyMessage(reply.jws, 'receipt', {
        audience: this.#o.brokerId,
        resolveKey: this.#resolverFor(vendor),
        replay: this.#o.replay,
        revocation: this.#o.revocation,
        clock: this.#clock,
      }).payload;
    } catch (error) {
      this.#refuse(taskId, vendor, error, reply.jws);
      return fail(
        `${vendor.displayName}'s receipt did not verify`,
        isStewardError(error) ? error.code : 'ERR_INTERNAL',
      );
    }
    const orderHash = hashToken(jws);
    if (receipt.orderId !== orderId || receipt.orderHash !== orderHash || receipt.status !== 'accepted') {
      return fail(
        `${vendor.displayName}'s receipt does not match the order (${receipt.status})`,
        'ERR_RECEIPT_MISMATCH',
      );
    }
    const order = payload as { total: Money };
    if (
      receipt.total.amountMinor !== order.total.amountMinor ||
      receipt.total.currency !== order.total.currency
    ) {
      // THREATS #14: a receipt for another amount is a bait-and-switch; nothing is committed.
      return fail(
        `${vendor.displayName}'s receipt states ${formatMoney(receipt.total)}, not the ordered ${formatMoney(order.total)}`,
        'ERR_RECEIPT_MISMATCH',
      );
    }
    this.#o.store.durably(() => {
      this.#o.ledger.commit(reservationId);
      this.#stmt(
        "UPDATE broker_orders SET status = 'accepted', receipt_jws = ?, updated_at = ? WHERE order_id = ?",
      ).run(reply.jws!, this.#iso(), orderId);
      this.#setTaskStatus(taskId, 'ordered');
    });
    this.#audit(
      {
        type: 'receipt.received',
        taskId,
        actor: `vendor:${vendor.origin}`,
        vendor: vendor.origin,
        summary: `${vendor.displayName} accepted order ${orderId}`,
        data: { orderId, receiptId: receipt.receiptId, orderHash },
      },
      { durable: true },
    );
    this.#audit(
      {
        type: 'ledger.committed',
        taskId,
        actor: 'broker',
        vendor: vendor.origin,
        summary: `${formatMoney(order.total)} committed to your budgets`,
        data: { reservationId, orderId },
      },
      { durable: true },
    );
    this.#progress({
      taskId,
      stage: 'receipt',
      message: `${vendor.displayName} confirmed the order`,
      data: { orderId },
    });
    return { status: 'ordered', reasons: [`${vendor.displayName} confirmed order ${orderId}`], orderId };
  }

  /**
   * The mediation pipeline for one vendor answer: verify (signature, key pinned to that vendor,
   * revocation, claims, replay), check it answers what was asked, screen every vendor string, store
   * it and log it. Throws a coded error for anything refused; the caller logs the refusal.
   */
  receiveOffer(
    taskId: string,
    vendorOrigin: string,
    reply: { steward: string; jws?: string; reason?: string },
    expect: { rfqId: string; round: number },
  ): ReceivedOffer | undefined {
    return this.#acceptOffer(taskId, this.#vendor(vendorOrigin), reply, expect);
  }

  /**
   * Mediates a window's worth of vendor answers in one commit. Each answer runs in its own savepoint,
   * so a refused one rolls back only its own writes; refusals are logged like single ones.
   */
  receiveOffers(
    taskId: string,
    batch: ReadonlyArray<{ vendorOrigin: string; reply: { steward: string; jws?: string; reason?: string } }>,
    expect: { rfqId: string; round: number },
  ): ReceivedOffer[] {
    const accepted: ReceivedOffer[] = [];
    this.#o.store.transaction(() => {
      for (const { vendorOrigin, reply } of batch) {
        const vendor = this.#vendor(vendorOrigin);
        try {
          const offer = this.#acceptOffer(taskId, vendor, reply, expect);
          if (offer) accepted.push(offer);
        } catch (error) {
          this.#refuse(taskId, vendor, error, reply.jws);
        }
      }
    });
    return accepted;
  }

  #acceptOffer(
    taskId: string,
    vendor: EnrolledVendor,
    reply: { steward: string; jws?: string; reason?: string },
    expect: { rfqId: string; round: number; previous?: ReceivedOffer },
  ): ReceivedOffer | undefined {
    // One commit for the replay record and the offer row: both or neither.
    return this.#o.store.transaction(() => this.#acceptOfferInTransaction(taskId, vendor, reply, expect));
  }

  #acceptOfferInTransaction(
    taskId: string,
    vendor: EnrolledVendor,
    reply: { steward: string; jws?: string; reason?: string; malformed?: string },
    expect: { rfqId: string; round: number; previous?: ReceivedOffer },
  ): ReceivedOffer | undefined {
    this.#admitVendorMessage(vendor);
    if (reply.malformed !== undefined) {
      // THREATS #18, #31, #39: several parts, extra keys or no part at all: refused and logged with a code.
      throw new BrokerError('ERR_OFFER_INVALID', `${vendor.displayName}'s answer broke the wire format: ${reply.malformed.slice(0, 200)}`, {
        details: { vendor: vendor.origin },
      });
    }
    if (reply.steward === 'refusal' || !reply.jws) {
      this.#audit({
        type: 'message.received',
        taskId,
        actor: `vendor:${vendor.origin}`,
        vendor: vendor.origin,
        summary: `${vendor.displayName} sent no offer`,
      });
      return undefined;
    }
    if (reply.steward !== 'offer')
      throw new BrokerError(
        'ERR_OFFER_INVALID',
        `${vendor.displayName} answered with \`${String(reply.steward).slice(0, 32)}\`, not an offer`,
        { details: { vendor: vendor.origin } },
      );
    const verified = verifyMessage(reply.jws, 'offer', {
      audience: this.#o.brokerId,
      resolveKey: this.#resolverFor(vendor),
      replay: this.#o.replay,
      revocation: this.#o.revocation,
      clock: this.#clock,
    });
    const offer = verified.payload;
    const problems: string[] = [];
    if (offer.vendor !== vendor.origin) problems.push(`names vendor \`${offer.vendor}\``);
    if (offer.rfqId !== expect.rfqId) problems.push('answers another request');
    if (offer.round !== expect.round) problems.push(`is round ${offer.round}, expected ${expect.round}`);
    if (expect.previous && offer.previousOfferId !== expect.previous.offer.offerId)
      problems.push('does not reference the countered offer');
    if (offer.expiresAt <= Math.floor(this.#clock.now() / 1000)) problems.push('has already expired');
    if (offer.payee.payoutId !== vendor.payoutId)
      problems.push(`pays \`${offer.payee.payoutId}\`, not the registered payout identity`);
    if (problems.length > 0)
      throw new BrokerError('ERR_OFFER_INVALID', `offer from ${vendor.displayName} ${problems.join('; ')}`, {
        details: { vendor: vendor.origin, offerId: offer.offerId },
      });
    // THREATS #4: the deal is in the structured fields. An offer that is mostly the vendor's prose
    // (over 1,000 characters of names, labels and note, and over a third of the signed payload; the
    // demo grocers' offers are under a tenth) is refused.
    const freeChars = offer.items.reduce((n, i) => n + i.name.length, 0) + offer.fees.reduce((n, f) => n + f.label.length, 0) + (offer.note?.length ?? 0);
    if (freeChars > MAX_FREE_TEXT_CHARS) {
      const payloadChars = JSON.stringify(offer).length;
      if (freeChars * 3 > payloadChars)
        throw new BrokerError(
          'ERR_OFFER_INVALID',
          `offer from ${vendor.displayName} is mostly free text (${freeChars} of ${payloadChars} characters); the deal must be in its structured fields`,
          { details: { vendor: vendor.origin, offerId: offer.offerId, freeChars, payloadChars } },
        );
    }
    // Screen every vendor string (names, fee labels, note).
    const flags: Flag[] = [];
    const screen = (text: string, field: string) => {
      const s = screenVendorText(text, field, vendor.origin);
      flags.push(...s.flags.map((f) => ({ ...f, offerId: offer.offerId })));
      return s;
    };
    offer.items.forEach((item, i) => screen(item.name, `items.${i}.name`));
    offer.fees.forEach((fee, i) => screen(fee.label, `fees.${i}.label`));
    const note = offer.note ? screen(offer.note, 'note') : undefined;
    if (expect.previous) {
      // THREATS #14: a counter answer may only lower the price of the same goods.
      const before = expect.previous.offer;
      const sameItems =
        JSON.stringify(before.items.map((i) => [i.sku, i.quantity, i.condition])) ===
        JSON.stringify(offer.items.map((i) => [i.sku, i.quantity, i.condition]));
      if (
        !sameItems ||
        offer.termsHash !== before.termsHash ||
        offer.billingPeriod !== before.billingPeriod ||
        offer.total.currency !== before.total.currency ||
        offer.total.amountMinor > before.total.amountMinor
      ) {
        throw new BrokerError(
          'ERR_OFFER_INVALID',
          `counter answer from ${vendor.displayName} changed the goods, terms or billing, or raised the price`,
          { details: { vendor: vendor.origin, offerId: offer.offerId } },
        );
      }
    }
    const sponsorText = offer.sponsored
      ? undefined
      : [...offer.items.map((i) => i.name), offer.note ?? ''].map((t) => firstMatch(SPONSORED_PATTERNS, t.normalize('NFKC'))).find((m) => m !== undefined);
    if (sponsorText) {
      // THREATS #26: paid placement text under `sponsored: false` is an undisclosed paid placement.
      flags.push({
        kind: 'paid_placement',
        severity: 'warning',
        summary: `${vendor.displayName} signed this offer as not sponsored, but its text reads like a paid placement`,
        confidence: 0.7,
        vendor: vendor.origin,
        offerId: offer.offerId,
        evidence: [],
        notes: [`signed \`sponsored: false\`; vendor text: “${sponsorText[0].slice(0, 120)}”`],
      });
    }
    // THREATS #8: a deadline shorter than the person's minimum time to decide is pressure, whatever
    // the text says. Flagged; the policy's `conflicts.short_deadline` says what it does (default: ask).
    const minimumSeconds = this.#o.policy().minimumDeliberationMinutes * 60;
    const leftSeconds = offer.expiresAt - Math.floor(this.#clock.now() / 1000);
    if (leftSeconds < minimumSeconds) {
      const left = leftSeconds < 120 ? `${leftSeconds} seconds` : `${Math.floor(leftSeconds / 60)} minutes`;
      flags.push({
        kind: 'short_deadline',
        severity: 'warning',
        summary: `${vendor.displayName}'s offer expires ${left} after it arrived, sooner than the ${minimumSeconds / 60} minutes your policy gives you to decide`,
        confidence: 1,
        vendor: vendor.origin,
        offerId: offer.offerId,
        evidence: [],
        notes: [`signed \`expiresAt\`: ${new Date(offer.expiresAt * 1000).toISOString()}`],
      });
    }
    // A sponsored label is flagged by the provenance port, with its evidence; it is never stripped
    // (the view keeps `sponsored`).
    const received: ReceivedOffer = {
      offer,
      offerHash: verified.hash,
      jws: reply.jws,
      flags,
      modelNote: note?.modelText ?? '',
    };
    this.#stmt(
      `INSERT INTO broker_offers (task_id, offer_id, vendor, round, jws, offer_hash, handle, payload_json, screened_json, flags_json, received_at, expires_at, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')`,
    ).run(
      taskId,
      offer.offerId,
      vendor.origin,
      offer.round,
      reply.jws,
      verified.hash,
      handleOf(verified.hash),
      JSON.stringify(offer),
      JSON.stringify({ modelNote: received.modelNote }),
      JSON.stringify(flags),
      this.#iso(),
      offer.expiresAt,
    );
    this.#audit({
      type: 'message.received',
      taskId,
      actor: `vendor:${vendor.origin}`,
      vendor: vendor.origin,
      flags: [...new Set(flags.map((f) => f.kind))],
      summary: `offer from ${vendor.displayName}: ${formatMoney(offer.total)}${offer.sponsored ? ' (sponsored)' : ''}`,
      data: { offerId: offer.offerId, offerHash: verified.hash, kid: verified.key.kid, round: offer.round },
    });
    this.#progress({
      taskId,
      stage: 'offer',
      message: `Offer from ${vendor.displayName}: ${formatMoney(offer.total)} (signature verified)`,
      data: { offerId: offer.offerId, vendor: vendor.origin },
    });
    return received;
  }

  #refuse(taskId: string, vendor: EnrolledVendor, error: unknown, raw?: string): void {
    const code = isStewardError(error) ? error.code : 'ERR_INTERNAL';
    const message = isStewardError(error)
      ? error.message
      : 'unexpected error while handling the vendor answer';
    this.#audit({
      type: 'message.rejected',
      taskId,
      actor: `vendor:${vendor.origin}`,
      vendor: vendor.origin,
      summary: `refused message from ${vendor.displayName}: ${message}`.slice(0, 1000),
      // The SHA-256 of the raw bytes refused, so the log can prove exactly what came in (THREATS #3).
      data: { code, ...(typeof raw === 'string' ? { messageHash: hashToken(raw), messageBytes: Buffer.byteLength(raw) } : {}) },
    });
    this.#progress({
      taskId,
      stage: 'refused',
      message: `Refused a message from ${vendor.displayName}: ${message}`,
      data: { code, vendor: vendor.origin },
    });
  }

  readonly #resolvers = new Map<string, { pinned: string; resolve: KeyResolver }>();

  /** Only the vendor's own pinned keys verify its messages; imported once per pinned set. */
  #resolverFor(vendor: EnrolledVendor): KeyResolver {
    const pinned = vendor.keyThumbprints.join(',');
    const cached = this.#resolvers.get(vendor.origin);
    if (cached && cached.pinned === pinned) return cached.resolve;
    const keys = new Map<string, VerificationKey>();
    for (const jwk of vendor.publicJwks) {
      const key = importVerificationKey(jwk, vendor.origin);
      keys.set(key.kid, key);
    }
    const resolve: KeyResolver = (kid) => keys.get(kid);
    this.#resolvers.set(vendor.origin, { pinned, resolve });
    return resolve;
  }

  #signFor<T extends 'rfq' | 'counterOffer'>(
    type: T,
    body: Parameters<typeof signMessage<T>>[1],
    vendor: EnrolledVendor,
    as: 'broker',
  ): string {
    const message = signMessage(type, body, {
      key: this.#o.keys[as],
      iss: this.#o.brokerId,
      aud: vendor.origin,
      clock: this.#clock,
    });
    this.#o.disclosure.scanOutbound(message.payload, {}, { vendor: vendor.origin, messageType: type });
    return message.token;
  }

  #request(input: Omit<PolicyRequest, 'vendor' | 'time'> & { vendor: EnrolledVendor }): PolicyRequest {
    const v = input.vendor;
    return {
      ...input,
      vendor: {
        origin: v.origin,
        verified: v.verified,
        signedCard: v.signedCard,
        enrolled: true,
        new: v.isNew,
        ...(v.registry ? { registry: v.registry } : {}),
        ...(v.verificationLevel ? { verificationLevel: v.verificationLevel } : {}),
        ...(v.trustTier ? { trustTier: v.trustTier } : {}),
      },
      time: this.#iso(),
    };
  }

  #decide(input: Omit<PolicyRequest, 'vendor' | 'time'> & { vendor: EnrolledVendor }): Decision {
    return this.#o.ledger.decideAndReserve(this.#o.policy(), this.#request(input)).decision;
  }

  /**
   * Why an order would break the task's budget, or undefined. The budget is the person's limit for
   * the whole task (THREATS #18: splitting one task into several orders does not get round it): the
   * orders of this task still counting (signed or accepted) plus this one. The reason never says
   * the budget or by how much (THREATS #35: the negotiating model never learns it).
   */
  #overTaskBudget(taskId: string, spec: TaskSpec, vendor: EnrolledVendor, offer: SignedOffer): string | undefined {
    const budget = spec.budget;
    if (!budget) return undefined;
    if (offer.total.currency !== budget.currency)
      return `over budget: ${vendor.displayName} prices in ${offer.total.currency}, not the currency of the budget you set for this task`;
    const placed = this.#stmt(
      `SELECT COALESCE(SUM(json_extract(f.payload_json, '$.total.amountMinor')), 0) AS minor
         FROM broker_orders o JOIN broker_offers f ON f.offer_hash = o.offer_hash AND f.task_id = o.task_id
        WHERE o.task_id = ? AND o.status IN ('signed', 'accepted') AND json_extract(f.payload_json, '$.total.currency') = ?`,
    ).get(taskId, budget.currency) as { minor: number };
    if (placed.minor + offer.total.amountMinor <= budget.amountMinor) return undefined;
    return placed.minor === 0
      ? `over budget: ${vendor.displayName}'s all-in total of ${formatMoney(offer.total)} is above the budget you set for this task`
      : `over budget: with ${formatMoney({ amountMinor: placed.minor, currency: budget.currency })} already ordered for this task, ${vendor.displayName}'s ${formatMoney(offer.total)} would go above the budget you set for it`;
  }

  #taskBudgetDenied(taskId: string, spec: TaskSpec, vendor: EnrolledVendor, offer: SignedOffer, offerId: string, reason: string): OrderOutcome {
    return this.#deniedOutcome(taskId, vendor, [reason], undefined, {
      policyVersion: this.#o.policy().version,
      summary: `order ${formatMoney(offer.total)} at ${vendor.displayName}: deny (above the task's budget${spec.budget ? ` of ${formatMoney(spec.budget)}` : ''})`,
      data: { offerId, rules: ['task.budget'], reasons: [reason] },
      remedies: ["raise the task's budget, or counter-offer for a lower all-in total"],
    });
  }

  /**
   * Keeps the terms text whose SHA-256 an offer names (fetched once per hash, from the vendor's
   * `/terms`). Answers why not, or undefined once the snapshot is stored.
   */
  async #snapshotTerms(taskId: string, vendor: EnrolledVendor, termsHash: string): Promise<string | undefined> {
    if (this.#stmt('SELECT 1 FROM broker_terms WHERE terms_hash = ?').get(termsHash)) return undefined;
    const refuse = (reason: string, data: Record<string, string>): string => {
      this.#audit({
        type: 'message.rejected',
        taskId,
        actor: `vendor:${vendor.origin}`,
        vendor: vendor.origin,
        summary: `${vendor.displayName}: ${reason}`,
        data: { ...data, termsHash },
      });
      return reason;
    };
    let bytes: Buffer;
    try {
      bytes = await this.#o.transport.fetchTerms(vendor, AbortSignal.timeout(10_000));
    } catch (error) {
      return refuse(`could not fetch the terms ${vendor.displayName}'s offer was signed under, so they cannot be kept with your order`, {
        code: 'ERR_TERMS_UNAVAILABLE',
        ...(isStewardError(error) ? { cause: error.code } : {}),
      });
    }
    const served = createHash('sha256').update(bytes).digest('base64url');
    if (served !== termsHash)
      return refuse(`the terms ${vendor.displayName} serves now are not the ones its offer was signed under`, { code: 'ERR_TERMS_MISMATCH', servedHash: served });
    let text: string;
    try {
      // Kept as text the person can read; bytes that are not UTF-8 would not hash back to the offer's.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return refuse(`the terms ${vendor.displayName} serves are not UTF-8 text, so they cannot be kept with your order`, { code: 'ERR_TERMS_UNAVAILABLE' });
    }
    this.#stmt('INSERT OR IGNORE INTO broker_terms (terms_hash, vendor, text, fetched_at) VALUES (?, ?, ?, ?)').run(termsHash, vendor.origin, text, this.#iso());
    return undefined;
  }

  /** The terms text kept for an ordered offer's `termsHash` (THREATS #36). */
  terms(termsHash: string): { termsHash: string; vendor: string; text: string; fetchedAt: string } {
    const row = this.#stmt('SELECT vendor, text, fetched_at FROM broker_terms WHERE terms_hash = ?').get(termsHash) as
      | { vendor: string; text: string; fetched_at: string }
      | undefined;
    if (!row) throw new BrokerError('ERR_TERMS_NOT_FOUND', `no terms kept with SHA-256 \`${termsHash.slice(0, 64)}\``, { details: { termsHash: termsHash.slice(0, 64) } });
    return { termsHash, vendor: row.vendor, text: row.text, fetchedAt: row.fetched_at };
  }

  /**
   * A refused order: the task (unless something else in it stands), the durable `decision` event when
   * the policy's own decision did not log one already (`refusal` names the broker's own rule), the
   * progress line and the outcome.
   */
  #deniedOutcome(
    taskId: string,
    vendor: EnrolledVendor,
    reasons: string[],
    decision?: Decision,
    refusal?: { policyVersion: string; summary: string; data: NonNullable<AuditEvent['data']>; remedies: string[] },
  ): OrderOutcome {
    this.#setTaskDenied(taskId, reasons[0]);
    if (!decision) {
      this.#audit(
        {
          type: 'decision',
          taskId,
          actor: 'broker',
          vendor: vendor.origin,
          decision: 'deny',
          ...(refusal
            ? { policyVersion: refusal.policyVersion, summary: refusal.summary, data: refusal.data }
            : { summary: `order refused: ${reasons.join('; ')}`.slice(0, 1000) }),
        },
        { durable: true },
      );
    }
    this.#progress({ taskId, stage: 'decision', message: `Refused: ${reasons.join('; ')}` });
    return {
      status: 'denied',
      reasons,
      remedies: decision?.remedies ?? refusal?.remedies ?? [],
      ...(decision ? { decision } : {}),
    };
  }

  #attachFlags(taskId: string, offers: readonly ReceivedOffer[], flags: readonly Flag[]): void {
    this.#o.store.transaction(() => {
      for (const offer of offers) {
        // Offer ids are the vendor's own, so a flag belongs to an offer by vendor and id together.
        const mine = flags.filter(
          (f) =>
            f.vendor === offer.offer.vendor && (f.offerId === undefined || f.offerId === offer.offer.offerId),
        );
        const merged = [
          ...offer.flags.filter((f) => !mine.some((m) => m.kind === f.kind && m.summary === f.summary)),
          ...mine,
        ];
        offer.flags.splice(0, offer.flags.length, ...merged);
        this.#stmt('UPDATE broker_offers SET flags_json = ? WHERE offer_hash = ?').run(
          JSON.stringify(merged),
          offer.offerHash,
        );
      }
    });
    for (const flag of flags) {
      this.#audit({
        type: 'flag',
        taskId,
        actor: 'broker',
        ...(flag.vendor ? { vendor: flag.vendor } : {}),
        flags: [flag.kind],
        summary: flag.summary,
        data: {
          offerId: flag.offerId ?? null,
          severity: flag.severity,
          evidence: flag.evidence.map(
            (e) =>
              `${e.childName ?? e.child} —${e.relation}→ ${e.parentName ?? e.parent} (${e.origin}: ${e.source.slice(0, 120)})`,
          ),
        },
      });
    }
  }

  #view(r: ReceivedOffer, spec: TaskSpec): OfferView {
    const o = r.offer;
    const vendor = this.#o.vendors.get(o.vendor);
    return {
      offerId: handleOf(r.offerHash),
      vendorOfferId: o.offerId,
      offerHash: r.offerHash,
      vendor: {
        origin: o.vendor,
        displayName: vendor?.displayName ?? o.vendor,
        verified: vendor?.verified ?? false,
        ...(vendor?.verificationLevel ? { verificationLevel: vendor.verificationLevel } : {}),
      },
      items: o.items.map((i) => ({
        sku: i.sku,
        name: screenVendorText(i.name, 'name').modelText || '(name hidden)',
        quantity: i.quantity,
        lineTotal: i.lineTotal,
        ...(i.requestIndex === undefined ? {} : { requestIndex: i.requestIndex }),
      })),
      fees: { amountMinor: o.fees.reduce((s, f) => s + f.amount.amountMinor, 0), currency: o.total.currency },
      total: o.total,
      billingPeriod: o.billingPeriod,
      termsHash: o.termsHash,
      delivery: o.delivery,
      expiresAt: o.expiresAt,
      sponsored: o.sponsored,
      round: o.round,
      constraintGaps: constraintGaps(r, spec),
      flags: r.flags.map((f) => ({ kind: f.kind, severity: f.severity, summary: f.summary })),
      untrustedVendorText: r.modelNote,
    };
  }

  #received(row: OfferRow): ReceivedOffer {
    return {
      offer: JSON.parse(row.payload_json) as SignedOffer,
      offerHash: row.offer_hash,
      jws: row.jws,
      flags: JSON.parse(row.flags_json) as Flag[],
      modelNote: (JSON.parse(row.screened_json) as { modelNote: string }).modelNote,
    };
  }

  #openOffers(taskId: string): ReceivedOffer[] {
    return (
      this.#stmt("SELECT * FROM broker_offers WHERE task_id = ? AND status = 'open'").all(
        taskId,
      ) as OfferRow[]
    ).map((r) => this.#received(r));
  }

  #openOfferById(taskId: string, offerId: string): ReceivedOffer {
    const row = this.#stmt(
      "SELECT * FROM broker_offers WHERE task_id = ? AND handle = ? AND status = 'open'",
    ).get(taskId, offerId) as OfferRow | undefined;
    if (!row)
      throw new BrokerError('ERR_OFFER_NOT_FOUND', `no open offer \`${offerId}\` in task \`${taskId}\``, {
        details: { taskId, offerId },
      });
    return this.#received(row);
  }

  #openOfferByHash(taskId: string, hash: string): ReceivedOffer {
    const row = this.#stmt('SELECT * FROM broker_offers WHERE task_id = ? AND offer_hash = ?').get(
      taskId,
      hash,
    ) as OfferRow;
    return this.#received(row);
  }

  #vendorsOf(offers: readonly ReceivedOffer[]): EnrolledVendor[] {
    return [...new Set(offers.map((o) => o.offer.vendor))]
      .map((origin) => this.#o.vendors.get(origin))
      .filter((v): v is EnrolledVendor => v !== undefined);
  }

  /**
   * Provenance flags about the vendors `shown`: detected on the vendors as their cards name them
   * (each looked up once), because look-alike detection must see the raw display name (a name shown
   * as its host still has to raise `confusable_name`); then every raw card name the flags quote is
   * replaced by the name shown (see {@link withScreenedName}).
   */
  #provenanceFlags(shown: readonly EnrolledVendor[], detect: (carded: EnrolledVendor[]) => Flag[]): Flag[] {
    const carded = shown.map((v) => this.#carded.get(v.origin) ?? v);
    const flags = detect(carded);
    const renames = shown
      .map((v, i) => [carded[i]!.displayName, v.displayName] as const)
      .filter(([raw, safe]) => raw !== safe && raw.length > 0);
    if (renames.length === 0) return flags;
    const fix = (text: string): string => renames.reduce((t, [raw, safe]) => t.replaceAll(raw, safe), text);
    return flags.map((f) => ({ ...f, summary: fix(f.summary), ...(f.notes ? { notes: f.notes.map(fix) } : {}) }));
  }

    #vendor(origin: string): EnrolledVendor {
    const v = this.#o.vendors.get(origin);
    if (!v)
      throw new BrokerError('ERR_VENDOR_UNKNOWN', `vendor \`${origin}\` is not enrolled`, {
        details: { vendor: origin },
      });
    return v;
  }

  #taskRow(taskId: string): TaskRow {
    const row = this.#stmt('SELECT * FROM broker_tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
    if (!row) throw new BrokerError('ERR_TASK_NOT_FOUND', `no task \`${taskId}\``, { details: { taskId } });
    return row;
  }

  /**
   * A refused order denies the task only while nothing else in it stands: an order placed (signed or
   * accepted) or an approval still waiting keeps the task's status, and the refusal stays in its
   * outcome and the audit log (review finding: one refusal used to hide a placed order or a waiting
   * approval behind `denied`).
   */
  #setTaskDenied(taskId: string, reason?: string): void {
    const standing = this.#stmt(
      `SELECT EXISTS (SELECT 1 FROM broker_orders WHERE task_id = ? AND status IN ('signed', 'accepted'))
           OR EXISTS (SELECT 1 FROM broker_approvals WHERE task_id = ? AND status = 'pending' AND expires_at > ?) AS standing`,
    ).get(taskId, taskId, Math.floor(this.#clock.now() / 1000)) as { standing: number };
    if (standing.standing === 0) this.#setTaskStatus(taskId, 'denied', reason);
  }

  #setTaskStatus(taskId: string, status: string, reason?: string): void {
    this.#o.store.transaction(() =>
      this.#stmt(
        'UPDATE broker_tasks SET status = ?, status_reason = ?, updated_at = ? WHERE task_id = ?',
      ).run(status, reason ?? null, this.#iso(), taskId),
    );
  }

  /**
   * A single-use payment token bound to this order (payee, maximum amount, expiry), when the person
   * keeps a payment means and the order will pass. INVARIANT: raw payment data never leaves; if the
   * signing transaction then refuses after all, the token names an order that never exists and expires.
   */
  async #paymentTokenIf(input: Parameters<PaymentPort['issue']>[0], willPass: () => boolean): Promise<{ paymentToken?: string }> {
    if (!this.#o.payments || !willPass()) return {};
    const token = await this.#o.payments.issue(input);
    return token ? { paymentToken: token } : {};
  }

  /** Every counter the policy's limits read (a missing one would fail closed). */
  #counters(
    taskId: string,
    vendor?: string,
  ): {
    ordersToday: number;
    vendorOrdersToday?: number;
    roundsSoFar: number;
    vendorsContacted: number;
    toolCalls: number;
  } {
    const row = this.#taskRow(taskId);
    return {
      ordersToday: this.#ordersToday(),
      ...(vendor === undefined ? {} : { vendorOrdersToday: this.#ordersToday(vendor) }),
      roundsSoFar: row.rounds,
      vendorsContacted: row.vendors_contacted,
      toolCalls: row.tool_calls,
    };
  }

  #countCall(taskId: string): void {
    this.#o.store.transaction(() =>
      this.#stmt('UPDATE broker_tasks SET tool_calls = tool_calls + 1 WHERE task_id = ?').run(taskId),
    );
  }

  #ordersToday(vendor?: string): number {
    const since = new Date(this.#clock.now() - 86_400_000).toISOString();
    if (vendor !== undefined)
      return (
        this.#stmt(
          "SELECT COUNT(*) AS n FROM broker_orders WHERE vendor = ? AND status IN ('signed','accepted') AND created_at >= ?",
        ).get(vendor, since) as { n: number }
      ).n;
    return (
      this.#stmt(
        "SELECT COUNT(*) AS n FROM broker_orders WHERE created_at >= ? AND status IN ('signed','accepted')",
      ).get(since) as { n: number }
    ).n;
  }

  readonly #statements = new Map<string, Statement>();
  readonly #vendorWindows = new Map<string, { start: number; count: number }>();

  /** Counts one message from a vendor; past the per-minute allowance it is refused (THREATS #33). */
  #admitVendorMessage(vendor: EnrolledVendor): void {
    const limit = this.#o.vendorMessagesPerMinute ?? 120;
    const now = this.#clock.now();
    const w = this.#vendorWindows.get(vendor.origin);
    if (!w || now - w.start >= 60_000) {
      this.#vendorWindows.set(vendor.origin, { start: now, count: 1 });
      return;
    }
    if (++w.count > limit) {
      throw new BrokerError('ERR_VENDOR_RATE_LIMITED', `${vendor.displayName} sent more than ${limit} messages in a minute; further messages are refused`, {
        details: { vendor: vendor.origin, limit },
      });
    }
  }

  /** Prepares each SQL statement once. */
  #stmt(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#o.store.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #iso(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  #audit(
    event: Omit<AuditEvent, 'at'> & { taskId?: string | undefined },
    options?: { durable?: boolean; payload?: unknown },
  ): void {
    const { taskId, ...rest } = event;
    this.#o.audit.append({ ...rest, ...(taskId ? { taskId } : {}), at: this.#iso() }, options);
  }

  #progress(event: ProgressEvent): void {
    this.#o.onProgress?.(event);
  }
}

/**
 * The vendor with a display name safe to show: its card's name when it screens clean (no invisible
 * or framing characters, nothing instruction-like, no link or claim), else the origin's host.
 */
export function withScreenedName(vendor: EnrolledVendor): EnrolledVendor {
  let safe = false;
  try {
    const s = screenVendorText(vendor.displayName, 'displayName');
    safe = !s.quarantined && s.flags.length === 0 && s.modelText === vendor.displayName && vendor.displayName.length <= 100;
  } catch {
    safe = false;
  }
  if (safe) return vendor;
  let host: string;
  try {
    host = new URL(vendor.origin).host;
  } catch {
    host = vendor.origin.slice(0, 100);
  }
  return { ...vendor, displayName: host };
}

/** A vendor's refusal reason as the agent may see it: screened, link-free, capped; empty when refused or quarantined. */
function screenedReason(reason: string | undefined): string {
  if (!reason) return '';
  try {
    return screenVendorText(reason.slice(0, 300), 'reason').modelText.slice(0, 100);
  } catch {
    return '';
  }
}

const FORMATTERS = new Map<string, { format: Intl.NumberFormat; digits: number }>();

/** `$12.34`-style rendering for messages to the person. */
export function formatMoney(m: Money): string {
  let f = FORMATTERS.get(m.currency);
  if (!f) {
    try {
      const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency });
      f = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
      FORMATTERS.set(m.currency, f);
    } catch {
      return `${m.amountMinor} ${m.currency} (minor units)`;
    }
  }
  return f.format.format(m.amountMinor / 10 ** f.digits);
}
