/**
 * Writes the JSON Schema of every boundary schema to `packages/protocol/schemas/`.
 * Run `pnpm schemas` after changing a schema; `test/json-schema.test.ts` fails on drift.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderJsonSchemas } from '../src/json-schema.ts';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(renderJsonSchemas())) {
  writeFileSync(dir + name + '.schema.json', text);
}
console.log(`wrote ${Object.keys(renderJsonSchemas()).length} schemas to ${dir}`);
