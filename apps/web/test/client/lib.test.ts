import { AuditEventType, DataClass, FlagKind } from '@steward/protocol';
import { describe, expect, it } from 'vitest';
import { diffLines, parseUnified, withContext } from '../../src/client/lib/diff.ts';
import { formatMoney, formatTime, parseAmount, safeHref } from '../../src/client/lib/format.ts';
import { layoutGraph } from '../../src/client/lib/layout.ts';
import { readFields, setBudgetLimit, setConflictEffect, setSharingEffect } from '../../src/client/lib/policy-forms.ts';
import { AUDIT_EVENT_TYPES, DATA_CLASSES, FLAG_KINDS } from '../../src/client/lib/types.ts';

describe('lists kept in step with @steward/protocol', () => {
  it('has every audit event type, flag kind and data class', () => {
    expect([...AUDIT_EVENT_TYPES]).toEqual(AuditEventType.options);
    expect([...FLAG_KINDS]).toEqual(FlagKind.options);
    expect([...DATA_CLASSES]).toEqual(DataClass.options);
  });
});

describe('formatMoney', () => {
  it('formats minor units exactly, per currency', () => {
    expect(formatMoney({ amountMinor: 4210, currency: 'USD' })).toBe('$42.10');
    expect(formatMoney({ amountMinor: 5, currency: 'USD' })).toBe('$0.05');
    expect(formatMoney({ amountMinor: 4900, currency: 'JPY' })).toBe('¥4,900');
    expect(formatMoney({ amountMinor: 123456789012345, currency: 'USD' })).toBe('$1,234,567,890,123.45');
    expect(formatMoney({ amountMinor: 1.5, currency: 'USD' })).toBe('—');
    expect(formatMoney({ amountMinor: 100, currency: 'usd' })).toBe('—');
  });

  it('parses typed amounts into minor units without floats', () => {
    expect(parseAmount('42.10', 'USD')).toBe(4210);
    expect(parseAmount('0.1', 'USD')).toBe(10);
    expect(parseAmount('4900', 'JPY')).toBe(4900);
    expect(parseAmount('1.001', 'USD')).toBeUndefined();
    expect(parseAmount('-3', 'USD')).toBeUndefined();
    expect(parseAmount('1e3', 'USD')).toBeUndefined();
  });
});

describe('formatTime', () => {
  it('reads ISO strings and epoch seconds alike', () => {
    expect(formatTime(1_800_000_000)).toBe(formatTime('2027-01-15T08:00:00.000Z'));
    expect(formatTime(undefined)).toBe('—');
    expect(formatTime('not a date')).toBe('not a date');
  });
});

describe('safeHref', () => {
  it('links only plain http(s) URLs', () => {
    expect(safeHref('https://www.sec.gov/filing/1')).toBe('https://www.sec.gov/filing/1');
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', ' https://x', 'https://a b', '//evil.example', undefined]) {
      expect(safeHref(bad)).toBeUndefined();
    }
  });
});

describe('diffLines', () => {
  it('finds the changed lines and keeps the rest', () => {
    const d = diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne');
    expect(d).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: ' ', text: 'c' },
      { op: ' ', text: 'd' },
      { op: '+', text: 'e' },
    ]);
    const before = d.filter((l) => l.op !== '+').map((l) => l.text).join('\n');
    const after = d.filter((l) => l.op !== '-').map((l) => l.text).join('\n');
    expect(before).toBe('a\nb\nc\nd');
    expect(after).toBe('a\nB\nc\nd\ne');
  });

  it('elides long unchanged runs and parses unified diffs', () => {
    const lines = diffLines(Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n'), Array.from({ length: 20 }, (_, i) => (i === 10 ? 'X' : `l${i}`)).join('\n'));
    const shown = withContext(lines, 1);
    expect(shown[0]).toBeNull();
    expect(shown.filter((l) => l !== null)).toHaveLength(4);
    expect(parseUnified('--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y')).toEqual([
      { op: ' ', text: '--- a' },
      { op: ' ', text: '+++ b' },
      { op: ' ', text: '@@ -1 +1 @@' },
      { op: '-', text: 'x' },
      { op: '+', text: 'y' },
    ]);
  });
});

const POLICY = `# my policy
version: 1
budgets:
  - id: per-order
    limit: 500.00 USD # hard cap
    per: transaction
dataSharing:
  - id: never-sensitive
    data: [health]
    effect: deny
conflicts:
  paid_placement: allow
  self_preferencing:
    effect: ask
    requireUnaffiliatedAlternative: true
`;

describe('policy quick settings', () => {
  it('reads budgets, sharing rules and conflict handling', () => {
    expect(readFields(POLICY)).toEqual({
      budgets: [{ index: 0, id: 'per-order', limit: '500.00 USD', per: 'transaction', reason: '' }],
      sharing: [{ index: 0, id: 'never-sensitive', data: ['health'], effect: 'deny' }],
      conflicts: [
        { kind: 'paid_placement', effect: 'allow' },
        { kind: 'self_preferencing', effect: 'ask' },
      ],
    });
    expect(readFields('budgets: [')).toBeUndefined();
  });

  it('edits the YAML in place, keeping comments and other options', () => {
    const a = setBudgetLimit(POLICY, 0, '300.00 USD');
    expect(a).toContain('limit: 300.00 USD # hard cap');
    expect(a).toContain('# my policy');
    const b = setConflictEffect(a, 'self_preferencing', 'deny');
    expect(b).toContain('requireUnaffiliatedAlternative: true');
    expect(readFields(b)?.conflicts[1]).toEqual({ kind: 'self_preferencing', effect: 'deny' });
    const c = setSharingEffect(b, 0, 'ask');
    expect(readFields(c)?.sharing[0]?.effect).toBe('ask');
    expect(() => setBudgetLimit('budgets: [', 0, '1 USD')).toThrow(/fix the YAML/);
  });
});

describe('layoutGraph', () => {
  it('puts owners above what they own, and survives cycles and dangling edges', () => {
    const placed = layoutGraph(
      [
        { id: 'a', name: 'Holding' },
        { id: 'b', name: 'Shop' },
        { id: 'c', name: 'Brand' },
      ],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'a' },
        { from: 'x', to: 'a' },
      ],
      { width: 600, rowHeight: 100, top: 20 },
    );
    expect(placed).toHaveLength(3);
    for (const p of placed) expect(p.layer).toBeLessThan(3);
    const simple = layoutGraph([{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }], [{ from: 'a', to: 'b' }], { width: 600, rowHeight: 100, top: 20 });
    expect(simple.find((p) => p.id === 'a')!.y).toBeLessThan(simple.find((p) => p.id === 'b')!.y);
  });
});
