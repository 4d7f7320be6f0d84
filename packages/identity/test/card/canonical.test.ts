import { canonicalizeAgentCard } from '@a2a-js/sdk';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalCardSdk, canonicalCardSpec, canonicalJson, sdkUncoveredFields } from '../../src/card/canonical.ts';
import a2a from '../vectors/a2a-agent-card-canonicalization.json' with { type: 'json' };
import jcs from '../vectors/rfc8785-jcs.json' with { type: 'json' };
import { vendorCard } from '../fixtures.ts';

function doubleFromHex(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('RFC 8785 (JCS)', () => {
  it('canonicalises the §3.2.2 sample to the §3.2.4 bytes', () => {
    const out = canonicalJson(JSON.parse(jcs.sample.input_json_text));
    expect(out).toBe(jcs.sample.canonical_output);
    expect(Buffer.from(out, 'utf8').toString('hex')).toBe(jcs.sample.canonical_output_utf8_hex);
  });

  it('sorts property names by UTF-16 code units (§3.2.3)', () => {
    const out = canonicalJson(JSON.parse(jcs.sorting.input_json_text));
    expect(out).toBe(jcs.sorting.canonical_output);
    expect(Buffer.from(out, 'utf8').toString('hex')).toBe(jcs.sorting.canonical_output_utf8_hex);
  });

  it.each(jcs.numbers.cases)('serialises IEEE-754 $ieee754_hex as $canonical (Appendix B)', ({ ieee754_hex, canonical }) => {
    expect(canonicalJson(doubleFromHex(ieee754_hex))).toBe(canonical);
    expect(canonicalJson([doubleFromHex(ieee754_hex)])).toBe(`[${canonical}]`);
  });

  it.each(jcs.numbers.must_reject)('refuses $value', ({ ieee754_hex }) => {
    expect(() => canonicalJson(doubleFromHex(ieee754_hex))).toThrow(expect.objectContaining({ code: 'ERR_CARD_INVALID' }));
  });

  it('is idempotent and independent of key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalJson(v);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          const reversed = Object.fromEntries(Object.entries(v).reverse());
          expect(canonicalJson(reversed)).toBe(once);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('A2A §8.4.1 card canonicalisation', () => {
  it('produces the spec example (REQUIRED kept even when empty, empty optional repeated dropped)', () => {
    expect(canonicalCardSpec(a2a.input_fragment)).toBe(a2a.expected_canonical);
  });

  it('produces the @a2a-js/sdk 1.3.0 form', () => {
    expect(canonicalCardSdk(a2a.input_fragment)).toBe(a2a.a2a_js_sdk_1_3_0_output);
    expect(canonicalCardSdk(a2a.input_fragment)).not.toBe(canonicalCardSpec(a2a.input_fragment));
  });

  it('excludes signatures in both forms', () => {
    const card = { ...vendorCard(), signatures: [{ protected: 'abc', signature: 'def' }] };
    expect(canonicalCardSpec(card)).toBe(canonicalCardSpec(vendorCard()));
    expect(canonicalCardSdk(card)).toBe(canonicalCardSdk(vendorCard()));
  });

  it('reports what the SDK form leaves unsigned for a Steward card', () => {
    expect(sdkUncoveredFields(vendorCard())).toEqual(['protocolVersion', 'url']);
  });

  it('the SDK form matches the SDK itself on arbitrary cards (property)', () => {
    const text = fc.string({ maxLength: 8 });
    const card = fc.record(
      {
        name: text,
        description: text,
        version: text,
        url: text,
        capabilities: fc.record({ streaming: fc.boolean(), pushNotifications: fc.boolean(), extensions: fc.array(fc.record({ uri: text, required: fc.boolean(), params: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: ['uri'] }), { maxLength: 2 }) }, { requiredKeys: [] }),
        defaultInputModes: fc.array(text, { maxLength: 2 }),
        skills: fc.array(fc.record({ id: text, name: text, description: text, tags: fc.array(text, { maxLength: 2 }) }), { maxLength: 2 }),
      },
      { requiredKeys: ['name'] },
    );
    fc.assert(
      fc.property(card, (c) => {
        expect(canonicalCardSdk(c)).toBe(canonicalizeAgentCard(c as never));
        // The spec form is JCS: stable under a round trip.
        const spec = canonicalCardSpec(c);
        expect(canonicalJson(JSON.parse(spec))).toBe(spec);
      }),
      { numRuns: 200 },
    );
  });
});
