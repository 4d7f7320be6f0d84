import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { PolicyError, type PolicyIssue } from './errors.ts';

/** Largest policy file accepted, in bytes. */
export const MAX_POLICY_BYTES = 256 * 1024;
/** Most YAML aliases a policy may expand; more is treated as an alias bomb. */
export const MAX_POLICY_ALIASES = 32;

/** Stage 1 output: the YAML document with its source map, not yet validated. */
export interface ParsedPolicy {
  file: string;
  source: string;
  /** Content hash of the source (SHA-256, base64url): the policy version. */
  version: string;
  doc: Document;
  lines: LineCounter;
  /** The plain value of the document. */
  value: unknown;
}

/** The content hash that names a policy version: SHA-256 of the UTF-8 source, base64url. */
export function policyHash(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('base64url');
}

/**
 * Parses policy YAML (stage 1). Refuses files over {@link MAX_POLICY_BYTES}, YAML syntax errors
 * (with line and column), duplicate keys and alias bombs.
 * @see docs/policies.md
 */
export function parsePolicy(source: string, file = '<policy>'): ParsedPolicy {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new PolicyError(
      'ERR_POLICY_TOO_LARGE',
      `policy \`${file}\` is ${bytes} bytes, more than the ${MAX_POLICY_BYTES} allowed`,
      {
        details: { file, bytes, max: MAX_POLICY_BYTES },
      },
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: true,
    uniqueKeys: true,
    strict: true,
    version: '1.2',
  });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    const issues: PolicyIssue[] = problems.map((e) => ({
      file,
      line: e.linePos?.[0].line ?? 0,
      col: e.linePos?.[0].col ?? 0,
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
      hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear once per mapping' : undefined,
    }));
    const first = issues[0]!;
    throw new PolicyError(
      'ERR_POLICY_YAML_SYNTAX',
      `policy \`${file}\` is not valid YAML at line ${first.line}, column ${first.col}: ${first.message}`,
      {
        issues,
        details: { file, line: first.line, col: first.col },
      },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_POLICY_ALIASES });
  } catch (cause) {
    throw new PolicyError(
      'ERR_POLICY_YAML_ALIASES',
      `policy \`${file}\` expands too many YAML aliases (at most ${MAX_POLICY_ALIASES})`,
      {
        cause,
        details: { file, max: MAX_POLICY_ALIASES },
      },
    );
  }
  return { file, source, version: policyHash(source), doc, lines, value };
}
