import { FixedClock } from '@steward/protocol';
import { describe, expect, it } from 'vitest';
import {
  decide,
  dryRun,
  lintPolicy,
  loadPolicy,
  type PolicyRequest,
  type RecordedDecision,
} from '../src/index.ts';

const HEAD = 'version: 1\nname: p\ntimezone: UTC\n';
const CURRENT = loadPolicy(
  HEAD +
    'budgets:\n  - id: cap\n    limit: 100.00 USD\n    per: transaction\nrules:\n  - id: allow-orders\n    effect: allow\n    when: { action: order }\n  - id: ask-big\n    effect: ask\n    when: { amount: { above: 50.00 USD } }\n',
  'current.yaml',
);
const req = (amountMinor: number): PolicyRequest => ({
  action: 'order',
  category: 'groceries',
  vendor: { origin: 'https://shop.example', verified: true, signedCard: true, enrolled: true, new: false },
  amount: { amountMinor, currency: 'USD' },
  flags: [],
  time: '2026-03-10T12:00:00Z',
  counters: {},
});
const clock = new FixedClock(Date.parse('2026-03-10T12:00:00Z'));
const recorded: RecordedDecision[] = [2000, 7000, 15000].map((a) => ({
  request: req(a),
  decision: decide(CURRENT, req(a), { clock }),
}));

describe('dryRun', () => {
  it('lists only the decisions that would change, with direction and reasons', () => {
    const candidate = loadPolicy(
      CURRENT.source.replace('above: 50.00 USD', 'above: 80.00 USD'),
      'candidate.yaml',
    );
    const report = dryRun(candidate, recorded);
    expect(report).toMatchObject({ total: 3, unchanged: 2, candidateVersion: candidate.version });
    expect(report.changed).toHaveLength(1);
    expect(report.changed[0]).toMatchObject({
      index: 1,
      direction: 'looser',
      before: { effect: 'ask' },
      after: { effect: 'allow' },
    });
    expect(report.changed[0]?.why).toEqual(['this order matches (rule `allow-orders`)']);
  });

  it('reports nothing for the same policy', () => {
    expect(dryRun(CURRENT, recorded).changed).toEqual([]);
  });
});

describe('lintPolicy', () => {
  it('finds rules that never match, always error, are shadowed or repeated, and allows without a budget', () => {
    const p = loadPolicy(
      HEAD +
        [
          'rules:',
          '  - id: allow-orders',
          '    effect: allow',
          '    when: { action: order }',
          '  - id: empty-range',
          '    effect: ask',
          '    when: { amount: { above: 90.00 USD, atMost: 10.00 USD } }',
          '  - id: contact-amount',
          '    effect: deny',
          '    when: { action: contact_vendor, amount: { above: 1.00 USD } }',
          '  - id: no-orders',
          '    effect: deny',
          '    when: { action: [order, recurring] }',
          '  - id: allow-orders-again',
          '    effect: allow',
          '    when: { action: order }',
        ].join('\n') +
        '\n',
    );
    const findings = lintPolicy(p);
    const byCode = (code: string) => findings.filter((f) => f.code === code).map((f) => f.ruleId);
    expect(byCode('never-matches')).toEqual(['empty-range']);
    expect(byCode('always-errors')).toEqual(['contact-amount']);
    expect(byCode('shadowed')).toEqual(expect.arrayContaining(['allow-orders', 'allow-orders-again']));
    expect(byCode('duplicate')).toEqual(['allow-orders-again']);
    expect(byCode('allow-without-budget')).toEqual(['allow-orders', 'allow-orders-again']);
    expect(findings.find((f) => f.ruleId === 'empty-range')).toMatchObject({ line: 8, col: 5 });
  });

  it('reports what the candidate allows that the current policy asks about or denies', () => {
    const candidate = loadPolicy(
      CURRENT.source
        .replace('limit: 100.00 USD', 'limit: 1000.00 USD')
        .replace('above: 50.00 USD', 'above: 500.00 USD'),
    );
    const findings = lintPolicy(candidate, { current: CURRENT, recorded }).filter(
      (f) => f.code === 'loosens',
    );
    expect(findings).toHaveLength(2);
    expect(findings[0]?.message).toContain(
      'the current policy says ask (ask-big), the candidate says allow (allow-orders)',
    );
    expect(findings[1]?.message).toContain('the current policy says deny (cap)');
    expect(lintPolicy(CURRENT, { current: CURRENT, recorded }).filter((f) => f.code === 'loosens')).toEqual(
      [],
    );
  });
});
