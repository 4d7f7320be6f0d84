import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/client/lib/sse.ts';

describe('SseParser', () => {
  it('parses events, multi-line data, ids and skips comments', () => {
    const p = new SseParser();
    const events = p.push(': connected\n\nid: 1\nevent: approval\ndata: {"a":1}\n\ndata: line one\ndata: line two\n\n');
    expect(events).toEqual([
      { event: 'approval', data: '{"a":1}', id: '1' },
      { event: 'message', data: 'line one\nline two', id: '1' },
    ]);
  });

  it('gives the same events however the stream is split into chunks, with any line ending (property)', () => {
    const events = fc.array(fc.record({ event: fc.constantFrom('progress', 'audit', 'chat'), data: fc.string({ maxLength: 30 }).filter((s) => !/[\r\n]/.test(s)) }), { maxLength: 8 });
    fc.assert(
      fc.property(events, fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 10 }), (list, eol, cuts) => {
        const text = list.map((e) => `event: ${e.event}${eol}data: ${e.data}${eol}${eol}`).join('');
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const p = new SseParser();
        const out = [];
        let last = 0;
        for (const at of [...points, text.length]) {
          out.push(...p.push(text.slice(last, at)));
          last = at;
        }
        expect(out.map((e) => ({ event: e.event, data: e.data }))).toEqual(list);
      }),
    );
  });

  it('keeps an event that has not ended yet until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('data: half')).toEqual([]);
    expect(p.push('\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'message', data: 'half' }]);
  });
});
