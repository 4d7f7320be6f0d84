import type { z } from 'zod';
import { toSchemaIssues } from '@steward/protocol';
import { AgentError } from '../errors.ts';

/** Parses what the broker returned with the port's strict schema; a mismatch is a coded error. */
export function checkResult<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = toSchemaIssues(r.error);
    throw new AgentError('ERR_AGENT_TOOL_RESULT_INVALID', `the broker's answer to \`${what}\` does not match the tools port`, {
      details: { tool: what, issues: issues.map((i) => `${i.path}: ${i.message}`) },
    });
  }
  return r.data;
}
