import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderJsonSchemas } from '../src/index.ts';

const dir = new URL('../schemas/', import.meta.url);

describe('committed JSON Schema', () => {
  it('matches the zod schemas (run `pnpm schemas` after changing one)', () => {
    const rendered = renderJsonSchemas();
    const committed = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
    expect(committed).toEqual(Object.keys(rendered).map((n) => `${n}.schema.json`).sort());
    for (const [name, text] of Object.entries(rendered)) {
      expect(readFileSync(new URL(`${name}.schema.json`, dir), 'utf8'), `${name}.schema.json drifted`).toBe(text);
    }
  });

  it('closes every object to unknown keys', () => {
    const offer = JSON.parse(renderJsonSchemas().offer!) as { additionalProperties?: unknown };
    expect(offer.additionalProperties).toBe(false);
  });
});
