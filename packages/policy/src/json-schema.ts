import { z } from 'zod';
import { PolicyDocument } from './schema.ts';

/**
 * The JSON Schema (draft 2020-12) of a policy file, as pretty text, so editors can autocomplete
 * and check YAML policies. Committed as `schemas/policy.schema.json`; a test fails on drift.
 */
export function renderPolicyJsonSchema(): string {
  const json = z.toJSONSchema(PolicyDocument, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io: 'input',
  });
  return (
    JSON.stringify(
      { $id: 'https://steward.dev/schemas/policy.schema.json', title: 'Steward policy', ...json },
      null,
      2,
    ) + '\n'
  );
}
