import { describe, expect, it } from 'vitest';
import {
  loadPolicy,
  MAX_POLICY_BYTES,
  parsePolicy,
  PolicyError,
  validatePolicy,
  type PolicyIssue,
} from '../src/index.ts';

const HEAD = 'version: 1\nname: t\ntimezone: Europe/Berlin\n';

function issuesOf(source: string, code = 'ERR_POLICY_INVALID'): readonly PolicyIssue[] {
  try {
    loadPolicy(source, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe(code);
    return (error as PolicyError).issues;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parse stage', () => {
  it('refuses a file over the byte cap before parsing it', () => {
    expect(() => parsePolicy(HEAD + '#'.repeat(MAX_POLICY_BYTES))).toThrow(
      expect.objectContaining({ code: 'ERR_POLICY_TOO_LARGE' }),
    );
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(() => parsePolicy(bomb)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_YAML_ALIASES' }));
  });

  it('reports YAML syntax errors with line and column', () => {
    const issues = issuesOf(HEAD + 'rules:\n  - id: a\n    effect: [allow\n', 'ERR_POLICY_YAML_SYNTAX');
    expect(issues[0]?.line).toBeGreaterThanOrEqual(6);
    expect(issues[0]?.file).toBe('test.yaml');
  });

  it('refuses duplicate keys instead of letting the last one win', () => {
    const issues = issuesOf(HEAD + 'name: again\n', 'ERR_POLICY_YAML_SYNTAX');
    expect(issues[0]).toMatchObject({ line: 4, col: 1 });
  });
});

describe('validate stage', () => {
  it('rejects an unknown field at its line and column, with a did-you-mean hint', () => {
    const issues = issuesOf(HEAD + 'rules:\n  - id: ask-big\n    effect: ask\n    wehn: { action: order }\n');
    expect(issues).toEqual([
      {
        file: 'test.yaml',
        line: 7,
        col: 5,
        path: 'rules.0.wehn',
        message: 'unknown field `wehn`',
        hint: 'did you mean `when`?',
      },
    ]);
  });

  it('rejects an unknown enum value with a hint', () => {
    const issues = issuesOf(HEAD + 'rules:\n  - id: a\n    effect: alow\n');
    expect(issues[0]).toMatchObject({
      line: 6,
      col: 13,
      path: 'rules.0.effect',
      hint: 'did you mean `allow`?',
    });
  });

  it('rejects a rule naming a budget that does not exist', () => {
    const issues = issuesOf(
      HEAD +
        'budgets:\n  - id: groceries-month\n    limit: 600.00 USD\n    per: month\nrules:\n  - id: a\n    effect: deny\n    when: { overBudget: grocery-month }\n',
    );
    expect(issues[0]).toMatchObject({
      line: 11,
      path: 'rules.0.when.overBudget',
      message: 'no budget has id `grocery-month`',
      hint: 'did you mean `groceries-month`?',
    });
  });

  it('rejects money without a currency, floats with too many decimals, and bad time zones', () => {
    const issues = issuesOf(
      'version: 1\nname: t\ntimezone: Mars/Olympus\nbudgets:\n  - id: a\n    limit: 50\n    per: day\n  - id: b\n    limit: 1.005 USD\n    per: day\n',
    );
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['timezone', 3],
      ['budgets.0.limit', 6],
      ['budgets.1.limit', 9],
    ]);
    expect(issues[2]?.message).toContain('2 decimal places');
  });

  it('rejects duplicate ids and the reserved default-deny id', () => {
    const issues = issuesOf(
      HEAD +
        'rules:\n  - id: a\n    effect: allow\n  - id: a\n    effect: deny\n  - id: default-deny\n    effect: deny\n',
    );
    expect(issues.map((i) => i.message)).toEqual([
      'id `a` is already used by rules.0',
      '`default-deny` is reserved for the default deny',
    ]);
  });

  it('rejects tests expecting rules that do not exist and relay on anything but email', () => {
    const issues = issuesOf(
      HEAD +
        'dataSharing:\n  - id: p\n    data: phone\n    effect: allow\n    relay: true\ntests:\n  - name: x\n    request: { action: order }\n    expect: { effect: deny, rules: [defualt-deny] }\n',
    );
    expect(issues.map((i) => i.path)).toEqual(['dataSharing.0.relay', 'tests.0.expect.rules.0']);
    expect(issues[1]?.hint).toBe('did you mean `default-deny`?');
  });

  it('reports every problem at once, sorted by position', () => {
    const issues = issuesOf('version: 2\nname: ""\ntimezone: UTC\nextra: 1\n');
    expect(issues.map((i) => i.line)).toEqual([1, 2, 4]);
  });

  it('validates as a separate stage from parsing', () => {
    const parsed = parsePolicy(HEAD + 'rules: []\n', 'ok.yaml');
    expect(validatePolicy(parsed).document.rules).toEqual([]);
    expect(parsed.version).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('approvals.minimumDeliberationMinutes (THREATS #8)', () => {
  it('defaults to 10 minutes, takes 0 (off) to 1440, and refuses anything else with its line', () => {
    expect(loadPolicy(HEAD, 'a.yaml').minimumDeliberationMinutes).toBe(10);
    expect(loadPolicy(HEAD + 'approvals:\n  minimumDeliberationMinutes: 0\n', 'b.yaml').minimumDeliberationMinutes).toBe(0);
    expect(loadPolicy(HEAD + 'approvals:\n  minimumDeliberationMinutes: 1440\n', 'c.yaml').minimumDeliberationMinutes).toBe(1440);
    for (const bad of ['-1', '1441', '2.5', '"ten"']) {
      const issues = issuesOf(HEAD + `approvals:\n  minimumDeliberationMinutes: ${bad}\n`);
      expect(issues[0]?.line, bad).toBe(5);
    }
  });
});

describe('approvals.maxPendingPerTask (THREATS #34)', () => {
  it('defaults to 3, takes 1 to 50, and refuses anything else with its line', () => {
    expect(loadPolicy(HEAD, 'a.yaml').maxPendingApprovalsPerTask).toBe(3);
    expect(loadPolicy(HEAD + 'approvals:\n  maxPendingPerTask: 1\n', 'b.yaml').maxPendingApprovalsPerTask).toBe(1);
    for (const bad of ['0', '51', '1.5']) {
      const issues = issuesOf(HEAD + `approvals:\n  maxPendingPerTask: ${bad}\n`);
      expect(issues[0]?.line, bad).toBe(5);
    }
  });
});
