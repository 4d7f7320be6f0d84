import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPolicyJsonSchema } from '../src/index.ts';

describe('committed policy JSON Schema', () => {
  it('matches the zod schema (run scripts/export-json-schema.ts after changing it)', () => {
    const committed = readFileSync(new URL('../schemas/policy.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderPolicyJsonSchema());
  });

  it('closes the top level and rules to unknown fields, so editors flag typos', () => {
    const schema = JSON.parse(renderPolicyJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.rules.items.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'timezone']));
  });
});
