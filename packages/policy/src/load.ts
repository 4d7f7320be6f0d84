import { toSchemaIssues } from '@steward/protocol';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import { PolicyError } from './errors.ts';
import { parsePolicy } from './parse.ts';
import { PolicyRequest } from './request.ts';
import { validatePolicy } from './validate.ts';

/**
 * Parses, validates and compiles policy YAML in one call. Throws {@link PolicyError} with located
 * issues; nothing is half-loaded.
 * @see docs/policies.md
 */
export function loadPolicy(source: string, file = '<policy>'): CompiledPolicy {
  return compilePolicy(validatePolicy(parsePolicy(source, file)));
}

/** Checks a request the broker built against {@link PolicyRequest}; throws `ERR_POLICY_REQUEST_INVALID`. */
export function parsePolicyRequest(value: unknown): PolicyRequest {
  const result = PolicyRequest.safeParse(value);
  if (!result.success) {
    const issues = toSchemaIssues(result.error);
    throw new PolicyError(
      'ERR_POLICY_REQUEST_INVALID',
      `policy request is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      {
        details: { paths: issues.map((i) => i.path) },
      },
    );
  }
  return result.data;
}
