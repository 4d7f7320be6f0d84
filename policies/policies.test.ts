/**
 * Runs the tests inside every policy file under `policies/`: each must load, pass all of its own
 * tests, exercise every rule, and lint clean. Editing a shipped policy without its tests fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintPolicy, loadPolicy, runPolicyTests } from '../packages/policy/src/index.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
})(root).sort();

describe('policies/', () => {
  it('ships the default policy and at least three examples', () => {
    const names = files.map((f) => relative(root, f));
    expect(names).toEqual(
      expect.arrayContaining([
        'default.yaml',
        'examples/frugal-household.yaml',
        'examples/privacy-first.yaml',
        'examples/business-travel.yaml',
      ]),
    );
  });

  for (const file of files) {
    const name = relative(root, file);
    describe(name, () => {
      const policy = loadPolicy(readFileSync(file, 'utf8'), name);
      const report = runPolicyTests(policy);

      it('has tests', () => {
        expect(report.results.length).toBeGreaterThanOrEqual(10);
      });
      for (const result of report.results) {
        it(result.name, () => {
          expect(result.failures).toEqual([]);
        });
      }
      it('exercises every rule in its tests', () => {
        expect(report.uncovered).toEqual([]);
      });
      it('lints clean', () => {
        expect(lintPolicy(policy)).toEqual([]);
      });
    });
  }
});
