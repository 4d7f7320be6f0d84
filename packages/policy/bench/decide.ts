/**
 * Decision latency of the policy engine against @cedar-policy/cedar-wasm on the same requests:
 * the default policy and a generated 200-rule policy, each with an equivalent Cedar policy set
 * (permit for allow; forbid for ask and deny, since Cedar has no "ask"). Answers are cross-checked
 * before anything is timed. Goal: median ≤ 5 µs per decision and ≥ 20× faster than cedar-wasm.
 */
import { readFileSync } from 'node:fs';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { FixedClock, type FlagKind } from '@steward/protocol';
import { stringify } from 'yaml';
import {
  decide,
  loadPolicy,
  type CompiledPolicy,
  type PolicyRequest,
  type SpendLookup,
} from '../src/index.ts';
import { measure, note, report } from '../../../test/bench/kit.ts';

// ---------- requests ----------
let seed = 42;
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return Math.floor(seed / 65_536) % n; // the low bits of this LCG cycle quickly
};
const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
const ACTIONS = [
  'order',
  'order',
  'order',
  'share_data',
  'contact_vendor',
  'enrol_vendor',
  'counter_offer',
  'recurring',
] as const;
const CATEGORIES = ['groceries', 'restaurant', 'travel', 'general'] as const;
const FLAGS: FlagKind[] = [
  'paid_placement',
  'affiliated_counterparty',
  'steering_suspected',
  'undisclosed_affiliation',
  'self_preferencing',
];
const CLASSES = ['name', 'address', 'email', 'phone', 'preferences', 'health', 'payment'] as const;
const PURPOSES = ['order', 'delivery', 'quote', 'marketing', 'booking'] as const;

interface BenchRequest {
  request: PolicyRequest;
  spent: Record<string, number>;
}

function makeRequests(n: number, currencies: readonly string[]): BenchRequest[] {
  const out: BenchRequest[] = [];
  for (let i = 0; i < n; i++) {
    const action = pick(ACTIONS);
    const request: PolicyRequest = {
      action,
      category: pick(CATEGORIES),
      vendor: {
        origin: 'https://shop.example',
        verified: rand(8) > 0,
        signedCard: rand(20) > 0,
        enrolled: true,
        new: rand(4) === 0,
      },
      amount: { amountMinor: pick([499, 1250, 2500, 4999, 5000, 9240, 60000]), currency: pick(currencies) },
      flags: rand(4) === 0 ? [pick(FLAGS)] : [],
      unaffiliatedAlternative: rand(2) === 0,
      time: '2026-03-10T12:00:00Z',
      counters: {
        ordersToday: rand(6),
        roundsSoFar: rand(4),
        vendorsContacted: rand(9),
        toolCalls: rand(210),
      },
    };
    if (action === 'recurring' || rand(16) === 0) request.recurring = { period: 'monthly' };
    if (action === 'share_data') {
      request.dataClasses = [...new Set([pick(CLASSES), ...(rand(2) ? [pick(CLASSES)] : [])])];
      request.purpose = pick(PURPOSES);
    }
    out.push({
      request,
      spent: { 'groceries-month': pick([0, 20000, 58000]), 'spending-month': pick([0, 100000, 149000]) },
    });
  }
  return out;
}

function cedarContext(b: BenchRequest): Record<string, cedar.CedarValueJson> {
  const r = b.request;
  return {
    category: r.category ?? '',
    amount: r.amount?.amountMinor ?? 0,
    currency: r.amount?.currency ?? '',
    verified: r.vendor.verified,
    signedCard: r.vendor.signedCard,
    recurring: r.recurring !== undefined || r.action === 'recurring',
    flags: r.flags,
    unaffiliatedAlternative: r.unaffiliatedAlternative ?? false,
    ordersToday: r.counters.ordersToday ?? 0,
    roundsSoFar: r.counters.roundsSoFar ?? 0,
    vendorsContacted: r.counters.vendorsContacted ?? 0,
    toolCalls: r.counters.toolCalls ?? 0,
    dataClasses: r.dataClasses ?? [],
    purpose: r.purpose ?? '',
    groceriesSpent: b.spent['groceries-month'] ?? 0,
    spendingSpent: b.spent['spending-month'] ?? 0,
  };
}

const CEDAR_SCHEMA = `entity Agent;
entity Vendor;
type Ctx = {
  category: String, amount: Long, currency: String, verified: Bool, signedCard: Bool, recurring: Bool,
  flags: Set<String>, unaffiliatedAlternative: Bool, ordersToday: Long, roundsSoFar: Long,
  vendorsContacted: Long, toolCalls: Long, dataClasses: Set<String>, purpose: String,
  groceriesSpent: Long, spendingSpent: Long,
};
action "order", "share_data", "contact_vendor", "enrol_vendor", "counter_offer", "recurring" appliesTo { principal: Agent, resource: Vendor, context: Ctx };
`;

// ---------- the default policy in Cedar (ask → forbid) ----------
const ORDERISH = 'action in [Action::"order", Action::"recurring"]';
const SHARE = 'action == Action::"share_data"';
const DEFAULT_CEDAR: Record<string, string> = {
  'trust.signed-card': 'forbid(principal, action, resource) when { !context.signedCard };',
  'per-order': `forbid(principal, ${ORDERISH}, resource) when { context.currency != "USD" || context.amount > 50000 };`,
  'groceries-month': `forbid(principal, ${ORDERISH}, resource) when { context.category == "groceries" && (context.currency != "USD" || context.groceriesSpent + context.amount > 60000) };`,
  'spending-month': `forbid(principal, ${ORDERISH}, resource) when { context.currency != "USD" || context.spendingSpent + context.amount > 150000 };`,
  'never-sensitive': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.containsAny(["health", "identity_document", "birth_date"]) };`,
  'address-for-delivery': `permit(principal, ${SHARE}, resource) when { context.dataClasses.containsAny(["name", "address"]) && ["delivery", "order"].contains(context.purpose) && ["groceries", "restaurant", "general"].contains(context.category) };`,
  'phone-for-delivery': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.contains("phone") && context.purpose == "delivery" };`,
  'email-relay': `permit(principal, ${SHARE}, resource) when { context.dataClasses.contains("email") && ["order", "delivery", "booking", "account", "support"].contains(context.purpose) };`,
  'preferences-for-quotes': `permit(principal, ${SHARE}, resource) when { context.dataClasses.contains("preferences") && ["quote", "order"].contains(context.purpose) };`,
  'unlisted-name-address': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.containsAny(["name", "address"]) && !(["delivery", "order"].contains(context.purpose) && ["groceries", "restaurant", "general"].contains(context.category)) };`,
  'unlisted-phone': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.contains("phone") && context.purpose != "delivery" };`,
  'unlisted-email': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.contains("email") && !(["order", "delivery", "booking", "account", "support"].contains(context.purpose)) };`,
  'unlisted-preferences': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.contains("preferences") && !(["quote", "order"].contains(context.purpose)) };`,
  'unlisted-other': `forbid(principal, ${SHARE}, resource) when { context.dataClasses.containsAny(["payment", "location"]) };`,
  'allow-orders': 'permit(principal, action == Action::"order", resource);',
  'ask-above-50': `forbid(principal, ${ORDERISH}, resource) when { context.currency != "USD" || context.amount > 5000 };`,
  'ask-unverified':
    'forbid(principal, action in [Action::"order", Action::"recurring", Action::"share_data"], resource) when { !context.verified };',
  'ask-recurring': 'forbid(principal, action, resource) when { context.recurring };',
  'allow-recurring-request': 'permit(principal, action == Action::"recurring", resource);',
  'allow-quotes':
    'permit(principal, action in [Action::"contact_vendor", Action::"counter_offer"], resource);',
  'ask-enrol': 'forbid(principal, action == Action::"enrol_vendor", resource);',
  ...Object.fromEntries(
    [
      'undisclosed_affiliation',
      'affiliated_counterparty',
      'steering_suspected',
      'self_preferencing',
      'sybil_competition',
      'confusable_name',
      'instruction_like_text',
    ].map((k) => [
      `conflict.${k}`,
      `forbid(principal, action, resource) when { context.flags.contains("${k}") };`,
    ]),
  ),
  'limit.max-vendors':
    'forbid(principal, action == Action::"contact_vendor", resource) when { context.vendorsContacted >= 8 };',
  'limit.max-rounds':
    'forbid(principal, action == Action::"counter_offer", resource) when { context.roundsSoFar >= 3 };',
  'limit.max-orders-per-day': `forbid(principal, ${ORDERISH}, resource) when { context.ordersToday >= 5 };`,
  'limit.max-tool-calls': 'forbid(principal, action, resource) when { context.toolCalls >= 200 };',
};

// ---------- a generated 200-rule policy, in both languages ----------
interface Spec {
  id: string;
  effect: 'allow' | 'ask' | 'deny';
  actions: string[];
  categories?: string[];
  amountAbove?: number;
  verified?: boolean;
  flag?: FlagKind;
}
function makeSpecs(n: number): Spec[] {
  const specs: Spec[] = [];
  for (const a of ['order', 'share_data', 'contact_vendor', 'enrol_vendor', 'counter_offer', 'recurring']) {
    for (const c of CATEGORIES)
      specs.push({
        id: `allow-${a}-${c}`.replace(/_/g, '-'),
        effect: 'allow',
        actions: [a],
        categories: [c],
      });
  }
  for (let i = specs.length; i < n; i++) {
    const s: Spec = {
      id: `rule-${i}`,
      effect: rand(3) === 0 ? 'deny' : 'ask',
      actions: [pick(['order', 'recurring', 'share_data', 'contact_vendor', 'counter_offer'])],
    };
    const kind = rand(4);
    if (kind === 0) {
      s.actions = rand(2) ? ['order'] : ['order', 'recurring'];
      s.amountAbove = 10_000 + rand(200) * 1000; // $100–$2,100: most orders pass
    } else if (kind === 1) s.categories = [pick(CATEGORIES)];
    else if (kind === 2) s.verified = false;
    else s.flag = pick(FLAGS);
    if (rand(2) && kind !== 1) s.categories = [pick(CATEGORIES), pick(CATEGORIES)];
    specs.push(s);
  }
  return specs;
}
function specYaml(specs: Spec[]): string {
  const rules = specs.map((s) => ({
    id: s.id,
    effect: s.effect,
    when: {
      action: s.actions,
      ...(s.categories ? { category: [...new Set(s.categories)] } : {}),
      ...(s.amountAbove !== undefined
        ? { amount: { above: `${(s.amountAbove / 100).toFixed(2)} USD` } }
        : {}),
      ...(s.verified !== undefined ? { vendor: { verified: s.verified } } : {}),
      ...(s.flag ? { flags: s.flag } : {}),
    },
  }));
  return stringify({
    version: 1,
    name: 'two-hundred',
    timezone: 'UTC',
    dataSharing: [{ id: 'share-all', data: [...CLASSES], effect: 'allow' }],
    rules,
  });
}
function specCedar(specs: Spec[]): Record<string, string> {
  const out: Record<string, string> = {
    'share-all': `forbid(principal, ${SHARE}, resource) when { !(${JSON.stringify([...CLASSES])}.containsAll(context.dataClasses)) };`,
  };
  for (const s of specs) {
    const conds: string[] = [];
    if (s.categories) conds.push(`${JSON.stringify([...new Set(s.categories)])}.contains(context.category)`);
    if (s.amountAbove !== undefined)
      conds.push(`(context.currency != "USD" || context.amount > ${s.amountAbove})`);
    if (s.verified !== undefined) conds.push(`context.verified == ${s.verified}`);
    if (s.flag) conds.push(`context.flags.contains("${s.flag}")`);
    const scope = `action in [${s.actions.map((a) => `Action::"${a}"`).join(', ')}]`;
    out[s.id] =
      `${s.effect === 'allow' ? 'permit' : 'forbid'}(principal, ${scope}, resource)${conds.length ? ` when { ${conds.join(' && ')} }` : ''};`;
  }
  return out;
}

// ---------- set-up, cross-check, measure ----------
const clock = new FixedClock(Date.parse('2026-03-10T12:00:00Z'));
const defaultPolicy = loadPolicy(
  readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8'),
  'default.yaml',
);
const specs = makeSpecs(200);
const bigPolicy = loadPolicy(specYaml(specs), 'two-hundred.yaml');

function prepareCedar(id: string, policies: Record<string, string>): void {
  const p = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (p.type !== 'success') throw new Error(`cedar policy set ${id}: ${JSON.stringify(p.errors)}`);
}
const schemaParse = cedar.preparseSchema('steward', CEDAR_SCHEMA);
if (schemaParse.type !== 'success') throw new Error(`cedar schema: ${JSON.stringify(schemaParse.errors)}`);
prepareCedar('default', DEFAULT_CEDAR);
prepareCedar('two-hundred', specCedar(specs));

interface Case {
  req: PolicyRequest;
  spend: SpendLookup;
  call: cedar.StatefulAuthorizationCall;
}
function cases(requests: BenchRequest[], psetId: string): Case[] {
  return requests.map((b) => ({
    req: b.request,
    spend: (q) => b.spent[q.budgetId] ?? 0,
    call: {
      principal: { type: 'Agent', id: 'me' },
      action: { type: 'Action', id: b.request.action },
      resource: { type: 'Vendor', id: b.request.vendor.origin },
      context: cedarContext(b),
      preparsedPolicySetId: psetId,
      preparsedSchemaName: 'steward',
      validateRequest: false,
      entities: [],
    },
  }));
}

function crossCheck(name: string, policy: CompiledPolicy, cs: Case[]): void {
  let allow = 0;
  for (const c of cs) {
    const ours = decide(policy, c.req, { spend: c.spend, clock });
    const theirs = cedar.statefulIsAuthorized(c.call);
    if (theirs.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(theirs.errors)}`);
    const cedarAllows = theirs.response.decision === 'allow';
    if ((ours.effect === 'allow') !== cedarAllows) {
      throw new Error(
        `${name}: answers differ for ${JSON.stringify(c.req)}: steward ${ours.effect} ${ours.determiningRules.join(',')}, cedar ${theirs.response.decision} ${theirs.response.diagnostics.reason.join(',')}`,
      );
    }
    if (ours.effect === 'allow') {
      allow++;
      const a = [...ours.determiningRules].sort().join(',');
      const b = [...theirs.response.diagnostics.reason].sort().join(',');
      if (a !== b) throw new Error(`${name}: allowing rules differ: steward ${a}, cedar ${b}`);
    } else if (ours.determiningRules[0] !== 'default-deny') {
      const fired = new Set(theirs.response.diagnostics.reason);
      const missing = ours.determiningRules.filter(
        (id) => !fired.has(id) && !id.startsWith('data-sharing.') && !id.endsWith('.alternative'),
      );
      if (missing.length)
        throw new Error(`${name}: cedar did not fire ${missing.join(',')} for ${JSON.stringify(c.req)}`);
    }
  }
  note(
    `${name}: ${cs.length} requests cross-checked, answers agree (${allow} allowed, ${cs.length - allow} asked or denied)`,
  );
}

const defaultCases = cases(makeRequests(512, ['USD', 'USD', 'USD', 'EUR']), 'default');
const bigCases = cases(makeRequests(512, ['USD']), 'two-hundred');
crossCheck('default policy', defaultPolicy, defaultCases);
crossCheck('200-rule policy', bigPolicy, bigCases);

const run = (policy: CompiledPolicy, cs: Case[]) => {
  let i = 0;
  return () => {
    const c = cs[i++ & 511]!;
    return decide(policy, c.req, { spend: c.spend, clock });
  };
};
const runCedar = (cs: Case[]) => {
  let i = 0;
  return () => cedar.statefulIsAuthorized(cs[i++ & 511]!.call);
};

const cedarDefault = measure('cedar-wasm, default policy (preparsed)', runCedar(defaultCases), 5_000, 1_000);
const ourDefault = measure('steward, default policy', run(defaultPolicy, defaultCases), 50_000, 5_000);
report('decide: default policy', cedarDefault, [ourDefault]);
const cedarBig = measure('cedar-wasm, 200 rules (preparsed)', runCedar(bigCases), 5_000, 1_000);
const ourBig = measure('steward, 200 rules', run(bigPolicy, bigCases), 50_000, 5_000);
report('decide: 200-rule policy', cedarBig, [ourBig]);

for (const [label, ours, theirs] of [
  ['default policy', ourDefault, cedarDefault],
  ['200-rule policy', ourBig, cedarBig],
] as const) {
  const ratio = theirs.medianUs / ours.medianUs;
  note(
    `${label}: steward median ${ours.medianUs.toFixed(2)} µs (p99 ${ours.p99Us.toFixed(2)} µs), cedar-wasm median ${theirs.medianUs.toFixed(2)} µs — ${ratio.toFixed(1)}× faster; goal median ≤ 5 µs ${ours.medianUs <= 5 ? 'met' : 'NOT met'}, ≥ 20× ${ratio >= 20 ? 'met' : 'NOT met'}`,
  );
}
