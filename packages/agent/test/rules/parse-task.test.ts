import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TaskSpec } from '@steward/protocol';
import { continueRequest, parseRequest, type ParseContext, type ParseResult } from '../../src/index.ts';

interface Expect {
  kind: 'task' | 'question' | 'unknown';
  task?: { category: string; items: unknown[]; budget?: unknown; constraints: Record<string, unknown> };
  missing?: string[];
  partial?: Record<string, unknown>;
}
interface Case {
  text: string;
  now?: string;
  timeZone?: string;
  expect: Expect;
  then?: { text: string; expect: Expect }[];
}
const table = JSON.parse(readFileSync(new URL('./cases/phrasings.json', import.meta.url), 'utf8')) as {
  now: string;
  timeZone: string;
  cases: Case[];
};

function check(result: ParseResult, want: Expect): void {
  expect(result.kind).toBe(want.kind);
  if (result.kind === 'task' && want.task) {
    expect(() => TaskSpec.parse(result.task)).not.toThrow();
    expect(result.task.category).toBe(want.task.category);
    expect(result.task.items).toEqual(want.task.items);
    expect(result.task.budget).toEqual(want.task.budget);
    expect(result.task.constraints).toEqual(want.task.constraints);
  }
  if (result.kind === 'question') {
    expect(result.missing).toEqual(want.missing);
    expect(result.question.length).toBeGreaterThan(3);
    if (want.partial) expect(result.partial).toMatchObject(want.partial);
  }
  if (result.kind === 'unknown') expect(result.help).toContain('book a table');
}

describe('offline parser: table of phrasings', () => {
  const total = table.cases.reduce((n, c) => n + 1 + (c.then?.length ?? 0), 0);
  it('has at least 60 phrasings', () => expect(total).toBeGreaterThanOrEqual(60));

  for (const c of table.cases) {
    it(`${c.text}${c.then ? ` → ${c.then.map((t) => t.text).join(' → ')}` : ''}`, () => {
      const ctx: ParseContext = { now: Date.parse(c.now ?? table.now), timeZone: c.timeZone ?? table.timeZone };
      let result = parseRequest(c.text, ctx);
      check(result, c.expect);
      for (const step of c.then ?? []) {
        if (result.kind !== 'question') throw new Error('a follow-up needs a question to answer');
        result = continueRequest(result.partial, step.text, ctx);
        check(result, step.expect);
      }
    });
  }
});

describe('offline parser: properties', () => {
  const ctx: ParseContext = { now: Date.parse('2026-11-26T15:00:00Z'), timeZone: 'America/New_York' };

  it('never throws and always yields a valid task, question or help, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseRequest(text, ctx);
        if (r.kind === 'task') expect(TaskSpec.safeParse(r.task).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads any dollar amount exactly into minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 99 }), (dollars, cents) => {
        const r = parseRequest(`buy a lamp under $${dollars}.${String(cents).padStart(2, '0')}`, ctx);
        expect(r.kind).toBe('task');
        if (r.kind === 'task') expect(r.task.budget).toEqual({ amountMinor: dollars * 100 + cents, currency: 'USD' });
      }),
    );
  });

  it('never resolves a date without a year to the past, in any zone', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Auckland', 'America/Los_Angeles'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        fc.constantFrom(...zones),
        fc.constantFrom('tomorrow', 'this saturday', 'next friday', 'dec 12', '3/1', 'the 30th', 'today'),
        (now, timeZone, when) => {
          const r = parseRequest(`flights from Boston to Denver ${when}`, { now, timeZone });
          expect(r.kind).toBe('task');
          if (r.kind !== 'task') return;
          const today = new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(now));
          expect(r.task.constraints.departDate! >= today).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic for the same text, clock and zone', () => {
    const text = 'book a table for 4 at 7pm tomorrow near downtown';
    expect(parseRequest(text, ctx)).toEqual(parseRequest(text, ctx));
  });
});
