import { z } from 'zod';
import { BOUNDARY_SCHEMAS } from './registry.ts';

/** Renders every boundary schema as pretty JSON Schema text (draft 2020-12), by file name. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(BOUNDARY_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
    out[name] = JSON.stringify({ $id: `https://steward.dev/schemas/${name}.schema.json`, ...json }, null, 2) + '\n';
  }
  return out;
}
