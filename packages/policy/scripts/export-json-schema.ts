/**
 * Writes `packages/policy/schemas/policy.schema.json`. Run after changing the policy file schema:
 * `npx tsx packages/policy/scripts/export-json-schema.ts`; `test/json-schema.test.ts` fails on drift.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPolicyJsonSchema } from '../src/json-schema.ts';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(dir + 'policy.schema.json', renderPolicyJsonSchema());
console.log(`wrote ${dir}policy.schema.json`);
