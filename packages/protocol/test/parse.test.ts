import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, parseJson } from '../src/index.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  return 'none';
}

describe('parseJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseJson('{"a":[1,2,{"b":"c"}]}')).toEqual({ a: [1, 2, { b: 'c' }] });
  });

  it('refuses deep nesting before parsing (THREATS #30)', () => {
    const bomb = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(codeOf(() => parseJson(bomb, { maxBytes: 1_000_000 }))).toBe('ERR_JSON_TOO_DEEP');
  });

  it('does not count brackets inside strings as nesting', () => {
    const text = JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' });
    expect(parseJson(text, { maxDepth: 2 })).toEqual({ s: '['.repeat(42) });
  });

  it('refuses oversized input (THREATS #29)', () => {
    expect(codeOf(() => parseJson(JSON.stringify({ d: 'x'.repeat(300_000) })))).toBe('ERR_JSON_TOO_LARGE');
    // multi-byte characters count as bytes, not UTF-16 units
    expect(codeOf(() => parseJson(JSON.stringify({ d: '€'.repeat(40) }), { maxBytes: 100 }))).toBe('ERR_JSON_TOO_LARGE');
  });

  it('refuses prototype-poisoning keys (THREATS #31)', () => {
    expect(codeOf(() => parseJson('{"__proto__":{"approved":true}}'))).toBe('ERR_SCHEMA_INVALID');
    expect(codeOf(() => parseJson('{"a":{"constructor":{"prototype":{"x":1}}}}'))).toBe('ERR_SCHEMA_INVALID');
    expect(({} as Record<string, unknown>).approved).toBeUndefined();
  });

  it('refuses malformed JSON with its own code', () => {
    expect(codeOf(() => parseJson('{"a":'))).toBe('ERR_JSON_MALFORMED');
  });

  it('round-trips any JSON value within the limits, and refuses exactly those with a poisoning key (property)', () => {
    // Regression: fast-check can generate `__proto__` keys; parseJson must refuse those and only those.
    const poisoned = (v: unknown): boolean => {
      if (Array.isArray(v)) return v.some(poisoned);
      if (typeof v !== 'object' || v === null) return false;
      const keys = Object.keys(v);
      if (keys.includes('__proto__')) return true;
      const ctor = (v as Record<string, unknown>).constructor;
      if (keys.includes('constructor') && typeof ctor === 'object' && ctor !== null && Object.keys(ctor).includes('prototype')) return true;
      return keys.some((k) => poisoned((v as Record<string, unknown>)[k]));
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        const expected = JSON.parse(text) as unknown;
        if (poisoned(expected)) expect(codeOf(() => parseJson(text, { maxBytes: 10_000_000 }))).toBe('ERR_SCHEMA_INVALID');
        else expect(parseJson(text, { maxBytes: 10_000_000 })).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
    expect(codeOf(() => parseJson('[[{"__proto__":null}]]'))).toBe('ERR_SCHEMA_INVALID');
  });
});
