import { evaluatePolicy, parsePolicyRequest, TEST_REQUEST_DEFAULTS, type CompiledPolicy, type SpendLedger, type SpendQuery } from '@steward/policy';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Steward } from '../steward.ts';

const DAY_MS = 86_400_000;

/** The budget window a policy uses now, found by asking the policy itself with a zero-amount probe order. */
function windowOf(policy: CompiledPolicy, budgetIndex: number, nowMs: number): SpendQuery | undefined {
  const budget = policy.budgets[budgetIndex]!;
  const spec = budget.spec;
  if (spec.per === 'transaction') return undefined;
  let seen: SpendQuery | undefined;
  const request = parsePolicyRequest({
    ...TEST_REQUEST_DEFAULTS,
    action: 'order',
    category: budget.categories?.[0] ?? 'general',
    vendor: { ...TEST_REQUEST_DEFAULTS.vendor, origin: budget.vendors?.[0] ?? TEST_REQUEST_DEFAULTS.vendor.origin },
    amount: { amountMinor: 0, currency: (spec.limit as { currency: string }).currency },
    time: new Date(nowMs).toISOString(),
  });
  evaluatePolicy(policy, request, (q) => {
    if (q.budgetId === spec.id) seen = q;
    return 0;
  });
  return seen;
}

/** Local midnight (epoch ms) of the day containing `ms` in `timeZone`. */
export function localDayStart(ms: number, timeZone: string): number {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const offsetAt = (t: number): number => {
    const p = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, Number(x.value)])) as Record<string, number>;
    return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  const p = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, Number(x.value)])) as Record<string, number>;
  const wall = Date.UTC(p.year!, p.month! - 1, p.day);
  let guess = wall - offsetAt(ms);
  guess = wall - offsetAt(guess);
  return guess;
}

/** The local calendar date (`YYYY-MM-DD`) of an instant in `timeZone`. */
function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

/** Money spent or held per local day over the last `days` days, from the ledger. */
function dailySeries(ledger: SpendLedger, currency: string, timeZone: string, nowMs: number, days: number) {
  const starts: number[] = [];
  let start = localDayStart(nowMs, timeZone);
  for (let i = 0; i < days; i++) {
    starts.unshift(start);
    // Step back into the previous day (23 h covers a DST day) and take its midnight.
    start = localDayStart(start - DAY_MS / 2, timeZone);
  }
  // The ledger answers "since"; a day's amount is the difference of two consecutive answers.
  const since = starts.map((s) => ledger.spent({ budgetId: 'series', currency, sinceMs: s, nowMs }));
  return starts.map((s, i) => ({ day: localDate(s, timeZone), amountMinor: since[i]! - (since[i + 1] ?? 0), currency }));
}

/**
 * Spending: each budget of the active policy with what is spent (committed, or reserved and
 * unexpired) in its current window, and a daily series for a chart.
 * @see docs/policies.md
 */
export function spendingFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/spending',
      { schema: { querystring: z.strictObject({ days: z.string().regex(/^[1-9][0-9]?$/, 'must be 1 to 90').transform(Number).pipe(z.number().max(90)).optional() }), tags: ['spending'], summary: 'budgets and what is spent' } },
      async (request) => {
        const policy = steward.policies.active().policy;
        const nowMs = steward.clock.now();
        const budgets = policy.budgets.map((b, i) => {
          const limit = b.spec.limit;
          const window = windowOf(policy, i, nowMs);
          let spent = window ? steward.ledger.spent(window) : 0;
          // A budget for each vendor on its own shows the vendor closest to its limit.
          let topVendor: string | undefined;
          if (window && b.spec.eachVendor) {
            // The probe asked for one vendor; the budget's own vendor list (if any) is what counts.
            const { vendors: _probe, ...rest } = window;
            const top = steward.ledger.topVendor(b.vendors ? { ...rest, vendors: b.vendors } : rest);
            spent = top?.amountMinor ?? 0;
            topVendor = top?.vendor;
          }
          return {
            id: b.spec.id,
            reason: b.spec.reason ?? '',
            limit,
            spent: { amountMinor: spent, currency: limit.currency },
            remaining: { amountMinor: Math.max(0, limit.amountMinor - spent), currency: limit.currency },
            window: b.spec.per === 'transaction' ? 'per order' : `${b.spec.window ?? 'calendar'} ${b.spec.per}`,
            ...(window ? { windowStart: new Date(window.sinceMs).toISOString() } : {}),
            ...(b.categories ? { categories: b.categories } : {}),
            ...(b.vendors ? { vendors: b.vendors } : {}),
            ...(b.spec.eachVendor ? { eachVendor: true, ...(topVendor ? { topVendor } : {}) } : {}),
            over: b.spec.over ?? 'deny',
          };
        });
        const currencies = [...new Set(policy.budgets.map((b) => (b.spec.limit as { currency: string }).currency))];
        const series = (currencies.length > 0 ? currencies : ['USD']).flatMap((c) => dailySeries(steward.ledger, c, policy.timezone, nowMs, request.query.days ?? 30));
        return { timezone: policy.timezone, budgets, series };
      },
    );
  };
}
