import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseJson } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import {
  MAX_POLICY_BYTES,
  MIGRATIONS,
  PolicyError,
  PolicyVersions,
  diffSources,
  dryRun,
  lintPolicy,
  loadPolicy,
  parseRecordedDecisions,
  runPolicyTests,
  type CompiledPolicy,
  type PolicyVersionEntry,
  type RecordedDecision,
} from '@steward/policy';
import type { CliContext } from '../context.ts';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function withVersions<T>(ctx: CliContext, fn: (versions: PolicyVersions, store: Store) => T): T {
  const store = openStore(ctx.dbPath, { migrations: { policy: MIGRATIONS } });
  try {
    return fn(new PolicyVersions(store), store);
  } finally {
    store.close();
  }
}

/** Reads a policy file with the byte cap applied before reading it whole. */
function readPolicyFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new PolicyError('ERR_POLICY_FILE_UNREADABLE', `cannot read policy file \`${path}\``, {
      cause,
      details: { file: path },
    });
  }
  if (size > MAX_POLICY_BYTES) {
    throw new PolicyError(
      'ERR_POLICY_TOO_LARGE',
      `policy \`${path}\` is ${size} bytes, more than the ${MAX_POLICY_BYTES} allowed`,
      {
        details: { file: path, bytes: size, max: MAX_POLICY_BYTES },
      },
    );
  }
  return readFileSync(path, 'utf8');
}

/** Loads a policy file, printing every located problem before the coded error propagates. */
function loadFile(path: string): CompiledPolicy {
  const name = relative(process.cwd(), path) || path;
  try {
    return loadPolicy(readPolicyFile(path), name);
  } catch (error) {
    if (error instanceof PolicyError) {
      for (const i of error.issues)
        process.stderr.write(`${i.file}:${i.line}:${i.col}: ${i.message}${i.hint ? ` (${i.hint})` : ''}\n`);
    }
    throw error;
  }
}

function policyFiles(args: string[]): string[] {
  const targets = args.length > 0 ? args : ['policies'];
  const files: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (p.endsWith('.yaml') || p.endsWith('.yml')) {
      files.push(p);
    }
  };
  for (const t of targets) {
    const p = resolve(t);
    if (!existsSync(p))
      throw new PolicyError('ERR_POLICY_FILE_UNREADABLE', `no such policy file or directory \`${t}\``, {
        details: { file: t },
      });
    walk(p);
  }
  return files;
}

function describeEntry(e: PolicyVersionEntry): string {
  const what = e.kind === 'rollback' ? `rollback to ${e.restoredSeq ?? '?'}` : 'apply';
  return `${String(e.seq).padStart(4)}  ${e.appliedAt}  ${e.version.slice(0, 12)}  ${e.name}${e.shadow ? ' (shadow)' : ''}  ${what}: ${e.message}`;
}

function sourceOf(versions: PolicyVersions, ref: string): { source: string; name: string } {
  if (existsSync(ref) && statSync(ref).isFile()) return { source: readPolicyFile(ref), name: ref };
  const v = versions.get(ref);
  return { source: v.source, name: `version ${v.seq}` };
}

/** `steward policy lint|test|diff|apply|history|rollback|dry-run`. */
export function register(program: Command, ctx: CliContext): void {
  const policy = program
    .command('policy')
    .description('check, test, apply and roll back your trust policies');

  policy
    .command('lint')
    .description(
      'validate a policy file and report rules that never match, shadowed rules, allows without a budget, and what it loosens compared with the active policy',
    )
    .argument('<file>', 'the candidate policy (YAML)')
    .option('--inputs <file>', 'recorded decision inputs (JSON) to compare on')
    .option('--json', 'print findings as JSON')
    .action((file: string, opts: { inputs?: string; json?: boolean }) => {
      const candidate = loadFile(resolve(file));
      const recorded = opts.inputs ? readInputs(opts.inputs) : [];
      const current = existsSync(ctx.dbPath)
        ? withVersions(ctx, (v) => (v.history(1).length > 0 ? v.active().policy : undefined))
        : undefined;
      const findings = lintPolicy(candidate, { current, recorded });
      if (opts.json) out(JSON.stringify(findings, null, 2));
      else {
        for (const f of findings)
          out(
            `${candidate.file}${f.line ? `:${f.line}:${f.col ?? 0}` : ''}: ${f.severity} ${f.code}: ${f.message}`,
          );
        out(
          findings.length === 0
            ? `${candidate.file}: ok (version ${candidate.version.slice(0, 12)})`
            : `${findings.length} finding${findings.length === 1 ? '' : 's'}`,
        );
      }
      if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
    });

  policy
    .command('test')
    .description('run the tests inside policy files (default: every file under ./policies)')
    .argument('[files...]', 'policy files or directories')
    .option('--fail-uncovered', 'fail when a rule is exercised by no test')
    .option('--json', 'print the reports as JSON')
    .action((files: string[], opts: { failUncovered?: boolean; json?: boolean }) => {
      const reports = policyFiles(files).map((f) => runPolicyTests(loadFile(f)));
      if (opts.json)
        out(
          JSON.stringify(
            reports.map((r) => ({
              ...r,
              results: r.results.map(({ name, passed, failures }) => ({ name, passed, failures })),
            })),
            null,
            2,
          ),
        );
      let failed = 0;
      let uncovered = 0;
      for (const r of reports) {
        if (!opts.json) out(r.file);
        for (const t of r.results) {
          if (!t.passed) failed++;
          if (!opts.json) {
            out(`  ${t.passed ? 'ok  ' : 'FAIL'} ${t.name}`);
            for (const f of t.failures) out(`       ${f}`);
          }
        }
        uncovered += r.uncovered.length;
        if (!opts.json)
          out(
            `  coverage: ${r.covered.length}/${r.covered.length + r.uncovered.length} rules${r.uncovered.length ? `; untested: ${r.uncovered.join(', ')}` : ''}`,
          );
      }
      if (failed > 0)
        throw new PolicyError(
          'ERR_POLICY_TESTS_FAILED',
          `${failed} policy test${failed === 1 ? '' : 's'} failed`,
          { details: { failed } },
        );
      if (opts.failUncovered && uncovered > 0) {
        throw new PolicyError(
          'ERR_POLICY_TESTS_UNCOVERED',
          `${uncovered} rule${uncovered === 1 ? ' is' : 's are'} exercised by no test`,
          { details: { uncovered } },
        );
      }
    });

  policy
    .command('diff')
    .description(
      'show the YAML diff between two versions or files (one argument: the active policy against it)',
    )
    .argument('<from>', 'a version number, content hash prefix, or file')
    .argument('[to]', 'a version number, content hash prefix, or file')
    .action((from: string, to: string | undefined) => {
      withVersions(ctx, (versions) => {
        const [a, b] =
          to === undefined
            ? [{ source: versions.active().policy.source, name: 'active' }, sourceOf(versions, from)]
            : [sourceOf(versions, from), sourceOf(versions, to)];
        const text = diffSources(a.source, b.source, a.name, b.name);
        out(text.trimEnd());
      });
    });

  policy
    .command('apply')
    .description('validate a policy file and make it the active policy (a shadow file runs alongside)')
    .argument('<file>', 'the policy (YAML)')
    .requiredOption('-m, --message <text>', 'why you are changing the policy')
    .option('--json', 'print the audit event as JSON')
    .action((file: string, opts: { message: string; json?: boolean }) => {
      const path = resolve(file);
      loadFile(path); // print located problems before anything is stored
      withVersions(ctx, (versions) => {
        const change = versions.apply(readPolicyFile(path), {
          file: relative(process.cwd(), path) || path,
          message: opts.message,
        });
        if (opts.json) out(JSON.stringify(change.event, null, 2));
        else
          out(
            `applied ${change.policy.name} as version ${change.entry.seq} (${change.entry.version.slice(0, 12)})${change.previous ? `, replacing version ${change.previous.seq}` : ''}`,
          );
      });
    });

  policy
    .command('history')
    .description('list applied policy versions, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action((opts: { limit: string; json?: boolean }) => {
      withVersions(ctx, (versions) => {
        const entries = versions.history(Math.max(1, Math.min(1000, Number.parseInt(opts.limit, 10) || 20)));
        if (opts.json) out(JSON.stringify(entries, null, 2));
        else if (entries.length === 0) out('no policy applied yet');
        else for (const e of entries) out(describeEntry(e));
      });
    });

  policy
    .command('rollback')
    .description('make an earlier version active again (recorded as a new version)')
    .argument('<version>', 'a version number or content hash prefix')
    .option('-m, --message <text>', 'why', 'rollback')
    .option('--json', 'print the audit event as JSON')
    .action((ref: string, opts: { message: string; json?: boolean }) => {
      withVersions(ctx, (versions) => {
        const change = versions.rollback(ref, opts.message);
        if (opts.json) out(JSON.stringify(change.event, null, 2));
        else
          out(
            `rolled back to version ${change.entry.restoredSeq ?? '?'}; active is now version ${change.entry.seq} (${change.entry.version.slice(0, 12)})`,
          );
      });
    });

  policy
    .command('dry-run')
    .description(
      'evaluate a candidate policy against recorded decision inputs and show which decisions would change',
    )
    .argument('<file>', 'the candidate policy (YAML)')
    .requiredOption('--inputs <file>', 'recorded inputs: a JSON array of { request, decision, spent? }')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { inputs: string; json?: boolean }) => {
      const candidate = loadFile(resolve(file));
      const report = dryRun(candidate, readInputs(opts.inputs));
      if (opts.json) {
        out(JSON.stringify(report, null, 2));
        return;
      }
      out(
        `${report.total} recorded decisions: ${report.unchanged} unchanged, ${report.changed.length} would change`,
      );
      for (const c of report.changed) {
        const r = c.request;
        out(
          `  #${c.index + 1} ${r.action}${r.category ? ` ${r.category}` : ''} ${r.vendor.origin}: ${c.before.effect} → ${c.after.effect} (${c.direction})`,
        );
        for (const w of c.why) out(`      ${w}`);
      }
    });
}

function readInputs(path: string): RecordedDecision[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PolicyError('ERR_POLICY_FILE_UNREADABLE', `cannot read recorded inputs \`${path}\``, {
      cause,
      details: { file: path },
    });
  }
  return parseRecordedDecisions(parseJson(text, { maxBytes: 50 * 1024 * 1024, maxDepth: 32 }));
}
