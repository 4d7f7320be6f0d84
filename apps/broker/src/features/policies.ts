import {
  dryRun,
  formatMoney,
  loadPolicy,
  PolicyError,
  renderPolicyJsonSchema,
  runPolicyTests,
  type CompiledPolicy,
  type PolicyIssue,
  type PolicyVersionEntry,
} from '@steward/policy';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordedDecisions } from '../decisions.ts';
import type { Steward } from '../steward.ts';

/** Policy YAML as the person sends it; the policy package enforces its own size cap and reports it. */
const Yaml = z.strictObject({ yaml: z.string().min(1).max(1024 * 1024) });
const Message = z.string().trim().min(1).max(500);
/** A version: its number in the history, or a content hash prefix of 6+ characters. */
const VersionRef = z.string().regex(/^([1-9][0-9]{0,9}|[A-Za-z0-9_-]{6,128})$/, 'must be a version number or a content hash prefix of 6+ characters');

/** Where the person's candidate policies are said to come from in issues and history. */
const FILE = 'policy.yaml';

const issueView = (i: PolicyIssue) => ({ line: i.line, column: i.col, path: i.path, message: i.message, ...(i.hint ? { hint: i.hint } : {}) });

/** Compiles a candidate; a PolicyError keeps its code and its located issues (sent as problem `issues`). */
function compileCandidate(yaml: string): CompiledPolicy {
  return loadPolicy(yaml, FILE);
}

const versionView = (e: PolicyVersionEntry) => ({
  version: String(e.seq),
  hash: e.version,
  name: e.name,
  appliedAt: e.appliedAt,
  message: e.message,
  kind: e.kind,
  ...(e.restoredSeq === undefined ? {} : { restoredVersion: String(e.restoredSeq) }),
});

/**
 * The person's policies: read the active one, check a candidate (validate, its own tests, a dry run
 * against recorded decisions) without applying it, apply it (audited durably), see the history,
 * diff two versions and roll back. A broken policy is never applied.
 * @see docs/policies.md
 */
export function policiesFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    const versions = steward.policies;

    /** Appends a policy change's event to the audit log durably and tells open screens. */
    const record = (event: Parameters<Steward['audit']['appendDurably']>[0]): void => {
      const receipt = steward.audit.appendDurably(event);
      steward.hub.publish({ type: 'audit', data: { index: receipt.index, type: event.type, summary: event.summary } });
    };

    api.get('/policies/active', { schema: { tags: ['policies'], summary: 'the policy in force' } }, async () => {
      const { entry, policy } = versions.active();
      return { ...versionView(entry), yaml: policy.source };
    });

    api.get('/policies/schema', { schema: { tags: ['policies'], summary: 'the policy JSON Schema, for editors' } }, async (_request, reply) =>
      reply.type('application/schema+json; charset=utf-8').send(renderPolicyJsonSchema()),
    );

    api.post('/policies/validate', { schema: { body: Yaml, tags: ['policies'], summary: 'check a candidate policy (never applies it)' } }, async (request) => {
      try {
        loadPolicy(request.body.yaml, FILE);
        return { ok: true as const };
      } catch (error) {
        if (!(error instanceof PolicyError)) throw error;
        const issues = error.issues.length > 0 ? error.issues.slice(0, 100).map(issueView) : [{ line: 0, column: 0, path: '', message: error.message }];
        return { ok: false as const, code: error.code, issues };
      }
    });

    api.post('/policies/test', { schema: { body: Yaml, tags: ['policies'], summary: 'run the tests written in a candidate policy' } }, async (request) => {
      const policy = compileCandidate(request.body.yaml);
      const report = runPolicyTests(policy);
      const tests = policy.document.tests ?? [];
      const results = report.results.map((r, i) => ({
        name: r.name,
        ok: r.passed,
        expected: tests[i]?.expect ?? null,
        actual: { effect: r.decision.effect, rules: r.decision.determiningRules, redact: r.decision.obligations.redact, relay: r.decision.obligations.relay ?? [] },
        failures: r.failures,
      }));
      return {
        passed: results.filter((r) => r.ok).length,
        failed: results.filter((r) => !r.ok).length,
        results,
        covered: report.covered,
        uncovered: report.uncovered,
      };
    });

    api.post('/policies/dry-run', { schema: { body: Yaml, tags: ['policies'], summary: 'which recorded decisions a candidate would decide differently' } }, async (request) => {
      const policy = compileCandidate(request.body.yaml);
      const report = dryRun(policy, recordedDecisions(steward.store));
      return {
        candidateVersion: report.candidateVersion,
        compared: report.total,
        unchanged: report.unchanged,
        changed: report.changed.slice(-200).map((c) => ({
          at: c.before.decidedAt,
          summary: [
            c.request.action.replaceAll('_', ' '),
            c.request.amount ? formatMoney(c.request.amount) : '',
            c.request.dataClasses?.length ? c.request.dataClasses.join(', ') : '',
            `at ${c.request.vendor.origin}`,
          ]
            .filter(Boolean)
            .join(' '),
          before: c.before.effect,
          after: c.after.effect,
          direction: c.direction,
          rulesBefore: c.before.determiningRules,
          rulesAfter: c.after.determiningRules,
          reasons: c.why,
        })),
      };
    });

    api.post(
      '/policies/apply',
      { schema: { body: Yaml.extend({ message: Message }).strict(), tags: ['policies'], summary: 'apply a candidate policy (validated and tested first)' } },
      async (request) => {
        const policy = compileCandidate(request.body.yaml);
        const failed = runPolicyTests(policy).results.filter((r) => !r.passed);
        if (failed.length > 0) {
          throw new PolicyError('ERR_POLICY_TESTS_FAILED', `${failed.length} policy test${failed.length === 1 ? '' : 's'} failed; nothing was applied`, {
            details: { failed: failed.map((r) => r.name) },
          });
        }
        const change = versions.apply(request.body.yaml, { file: FILE, message: request.body.message });
        record(change.event);
        return { ...versionView(change.entry) };
      },
    );

    api.get('/policies/history', { schema: { querystring: z.strictObject({ limit: z.string().regex(/^[1-9][0-9]{0,2}$/).transform(Number).optional() }), tags: ['policies'] } }, async (request) => {
      const activeSeq = versions.active().entry.seq;
      const list = versions.history(request.query.limit ?? 100).filter((e) => !e.shadow);
      return { versions: list.map((e) => ({ ...versionView(e), active: e.seq === activeSeq })) };
    });

    api.get(
      '/policies/diff',
      { schema: { querystring: z.strictObject({ from: VersionRef, to: VersionRef.optional() }), tags: ['policies'], summary: 'unified diff of two versions (to defaults to the active one)' } },
      async (request) => ({ diff: versions.diff(request.query.from, request.query.to ?? versions.active().entry.seq) }),
    );

    api.post(
      '/policies/rollback',
      { schema: { body: z.strictObject({ version: VersionRef, message: Message.optional() }), tags: ['policies'], summary: 'apply an older version again (recorded as a rollback)' } },
      async (request) => {
        const change = versions.rollback(request.body.version, request.body.message ?? `rollback to version ${request.body.version}`);
        record(change.event);
        return { ...versionView(change.entry) };
      },
    );
  };
}
