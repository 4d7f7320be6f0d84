import type { z } from 'zod';
import { PolicyError, type PolicyIssue } from './errors.ts';
import { BUILTIN_IDS, DEFAULT_DENY } from './internal/ids.ts';
import { closest, knownKeysAt, locate } from './internal/locate.ts';
import type { ParsedPolicy } from './parse.ts';
import { PolicyDocument } from './schema.ts';

/** Stage 2 output: a policy that matches the schema and whose references all resolve. */
export interface ValidatedPolicy {
  file: string;
  source: string;
  version: string;
  document: PolicyDocument;
}

type Path = readonly PropertyKey[];

function flattenIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: Path = [],
): { path: Path; issue: z.core.$ZodIssue }[] {
  const out: { path: Path; issue: z.core.$ZodIssue }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest: the one that is not merely "wrong type".
      const best =
        issue.errors.find((branch) => branch.some((i) => i.code !== 'invalid_type' || i.path.length > 0)) ??
        issue.errors[0]!;
      out.push(...flattenIssues(best, path));
    } else {
      out.push({ path, issue });
    }
  }
  return out;
}

/**
 * Validates a parsed policy (stage 2): the schema (unknown fields, types, enums), then references
 * (unique ids, budgets named by rules, rules named by tests). Every problem carries file, line,
 * column and a hint where one helps; all problems are reported at once.
 * @see docs/policies.md
 */
export function validatePolicy(parsed: ParsedPolicy): ValidatedPolicy {
  const { file, doc, lines } = parsed;
  const issues: PolicyIssue[] = [];
  const at = (path: Path, message: string, hint?: string, key?: string): void => {
    const pos = locate(doc, lines, path, key);
    issues.push({
      file,
      ...pos,
      path: [...path, ...(key === undefined ? [] : [key])].map(String).join('.'),
      message,
      hint,
    });
  };
  const result = PolicyDocument.safeParse(parsed.value);
  if (!result.success) {
    for (const { path, issue } of flattenIssues(result.error.issues)) {
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeysAt(PolicyDocument, path);
        for (const key of issue.keys) {
          const guess = closest(key, known);
          at(
            path,
            `unknown field \`${key}\``,
            guess ? `did you mean \`${guess}\`?` : `allowed here: ${known.map((k) => `\`${k}\``).join(', ')}`,
            key,
          );
        }
      } else if (issue.code === 'invalid_value') {
        const got = valueAt(parsed.value, path);
        const options = issue.values.map(String);
        const guess = typeof got === 'string' ? closest(got, options) : undefined;
        at(
          path,
          `\`${String(got)}\` is not allowed here`,
          guess ? `did you mean \`${guess}\`?` : `use one of ${options.map((o) => `\`${o}\``).join(', ')}`,
        );
      } else {
        at(path, issue.message.replace(/^Invalid input: /, ''));
      }
    }
    throw invalid(file, issues);
  }
  const document = result.data;
  checkReferences(document, at);
  if (issues.length > 0) throw invalid(file, issues);
  return { file, source: parsed.source, version: parsed.version, document };
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const step of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[step] : undefined;
  return v;
}

function invalid(file: string, issues: PolicyIssue[]): PolicyError {
  issues.sort((a, b) => a.line - b.line || a.col - b.col);
  const first = issues[0]!;
  return new PolicyError(
    'ERR_POLICY_INVALID',
    `policy \`${file}\` has ${issues.length} problem${issues.length === 1 ? '' : 's'}; first at line ${first.line}, column ${first.col}: ${first.message}`,
    { issues, details: { file, count: issues.length, line: first.line, col: first.col } },
  );
}

const asArray = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

function checkReferences(d: PolicyDocument, at: (path: Path, message: string, hint?: string) => void): void {
  const ids = new Map<string, string>();
  const claim = (id: string, path: Path): void => {
    if (id === DEFAULT_DENY)
      at([...path, 'id'], `\`${id}\` is reserved for the default deny`, 'choose another id');
    else if (ids.has(id))
      at(
        [...path, 'id'],
        `id \`${id}\` is already used by ${ids.get(id)}`,
        'ids must be unique across budgets, data sharing and rules',
      );
    else ids.set(id, path.map(String).join('.'));
  };
  const budgets = new Set<string>();
  d.budgets?.forEach((b, i) => {
    claim(b.id, ['budgets', i]);
    budgets.add(b.id);
    if (b.per === 'transaction' && b.window !== undefined)
      at(['budgets', i, 'window'], 'a per-transaction budget has no window', 'remove `window`');
    if (b.per === 'transaction' && b.eachVendor === true)
      at(['budgets', i, 'eachVendor'], 'a per-transaction budget already applies to one order, so to one vendor', 'remove `eachVendor`, or use `per: day`, `week` or `month`');
  });
  d.dataSharing?.forEach((s, i) => {
    claim(s.id, ['dataSharing', i]);
    if (s.relay) {
      if (!asArray(s.data).includes('email') || asArray(s.data).length !== 1)
        at(
          ['dataSharing', i, 'relay'],
          '`relay` is only for email',
          'give email its own entry: `data: email`',
        );
      if (s.effect === 'deny')
        at(
          ['dataSharing', i, 'relay'],
          '`relay` means the email is shared through a relay; it cannot go with `deny`',
          'use `effect: allow` or `ask`',
        );
    }
  });
  d.rules?.forEach((r, i) => {
    claim(r.id, ['rules', i]);
    const w = r.when;
    if (w?.overBudget !== undefined && !budgets.has(w.overBudget)) {
      const guess = closest(w.overBudget, [...budgets]);
      at(
        ['rules', i, 'when', 'overBudget'],
        `no budget has id \`${w.overBudget}\``,
        guess ? `did you mean \`${guess}\`?` : 'define it under `budgets:`',
      );
    }
    if (w?.time?.hours && w.time.hours.from === w.time.hours.to)
      at(
        ['rules', i, 'when', 'time', 'hours'],
        '`from` and `to` are the same hour, so no time matches',
        'use e.g. `from: 22, to: 6`',
      );
    if (w?.amount?.above && w.amount.atMost && w.amount.above.currency !== w.amount.atMost.currency) {
      at(['rules', i, 'when', 'amount'], '`above` and `atMost` use different currencies');
    }
    for (const [name, c] of Object.entries(w?.counters ?? {})) {
      if (c && c.atLeast === undefined && c.below === undefined)
        at(['rules', i, 'when', 'counters', name], 'a counter condition needs `atLeast` or `below`');
    }
  });
  const known = new Set([...ids.keys(), ...BUILTIN_IDS]);
  d.tests?.forEach((t, i) => {
    t.expect.rules?.forEach((id, j) => {
      if (!known.has(id)) {
        const guess = closest(id, [...known]);
        at(
          ['tests', i, 'expect', 'rules', j],
          `no rule, budget or data-sharing entry has id \`${id}\``,
          guess ? `did you mean \`${guess}\`?` : undefined,
        );
      }
    });
    for (const id of Object.keys(t.spent ?? {})) {
      if (!budgets.has(id))
        at(['tests', i, 'spent', id], `no budget has id \`${id}\``, 'name a budget from `budgets:`');
    }
  });
}
