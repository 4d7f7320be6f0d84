import { describe, expect, it } from 'vitest';
import { ev, openLog } from './helpers.ts';

function seeded() {
  const { log } = openLog();
  for (let i = 0; i < 30; i++) {
    log
      .append(
        ev(i, {
          at: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
          vendor: i % 3 === 0 ? 'https://a.example' : 'https://b.example',
          taskId: i < 10 ? 'task-1' : 'task-2',
          ...(i % 5 === 0
            ? { type: 'decision' as const, decision: i % 10 === 0 ? ('deny' as const) : ('allow' as const) }
            : {}),
          ...(i % 7 === 0 ? { flags: ['undisclosed_affiliation' as const] } : {}),
          summary: i === 13 ? 'refused: fake urgency in offer from lookalike vendor' : `offer ${i} received`,
          data: { n: i, reasons: i === 21 ? ['cap exceeded by drip pricing'] : [] },
        }),
      )
      .catch(() => undefined);
  }
  log.flush();
  return log;
}

describe('AuditLog.query', () => {
  it('filters by vendor, task, type, decision, flag and time, newest first', () => {
    const log = seeded();
    const idx = (q: Parameters<typeof log.query>[0]) => log.query(q).entries.map((e) => e.index);
    expect(idx({ vendor: 'https://a.example', taskId: 'task-1' })).toEqual([9, 6, 3, 0]);
    expect(idx({ types: ['decision'], decision: 'deny' })).toEqual([20, 10, 0]);
    expect(idx({ flag: 'undisclosed_affiliation', order: 'asc' })).toEqual([0, 7, 14, 21, 28]);
    expect(idx({ since: '2026-11-05T00:00:00Z', until: '2026-11-08T00:00:00Z' })).toEqual([6, 5, 4]);
  });

  it('searches summaries and reasons by words, safely quoted', () => {
    const log = seeded();
    expect(log.query({ text: 'fake urgency' }).entries.map((e) => e.index)).toEqual([13]);
    expect(log.query({ text: 'drip' }).entries.map((e) => e.index)).toEqual([21]);
    expect(log.query({ text: 'urgency NOT" OR *' }).entries).toEqual([]);
  });

  it('pages with an opaque cursor that is bound to its filter', () => {
    const log = seeded();
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = log.query({ taskId: 'task-2', limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.index));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 29 - i));
    const first = log.query({ taskId: 'task-2', limit: 7 });
    expect(() => log.query({ taskId: 'task-1', cursor: first.nextCursor! })).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_CURSOR_INVALID' }),
    );
    expect(() => log.query({ cursor: 'not-a-cursor' })).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_CURSOR_INVALID' }),
    );
  });

  it('refuses malformed filters with a code', () => {
    const log = seeded();
    const code = expect.objectContaining({ code: 'ERR_AUDIT_QUERY_INVALID' });
    expect(() => log.query({ limit: 0 })).toThrow(code);
    expect(() => log.query({ since: 'yesterday' })).toThrow(code);
    expect(() => log.query({ types: ['nope' as never] })).toThrow(code);
    expect(() => log.query({ text: '   ' })).toThrow(code);
  });
});
