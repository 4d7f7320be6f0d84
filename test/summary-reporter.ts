/**
 * Prints one plain closing line after the run — `vitest: N passed, N failed, N skipped` — that any CI
 * can read without knowing vitest's own summary format.
 */
import { writeSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load counts as a failure even when it collected no test.
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    const line = `vitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    // Written synchronously at exit, after vitest's own summary, so it is the run's last line.
    process.once('exit', () => writeSync(1, `\n${line}`));
  }
}
