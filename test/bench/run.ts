/**
 * `pnpm bench [filter]`: runs every `packages/*\/bench/*.ts` and `apps/*\/bench/*.ts` script, one
 * after another in its own process (so one bench's memory never skews the next), and prints their
 * tables. A filter keeps only scripts whose path contains it, e.g. `pnpm bench identity`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const scripts: string[] = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.ts') && join(group, pkg, 'bench', f).includes(filter)) scripts.push(join(group, pkg, 'bench', f));
    }
  }
}
if (scripts.length === 0) {
  console.error(`no bench scripts match \`${filter}\``);
  process.exit(1);
}
console.log(`# Steward benchmarks — node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const s of scripts) {
  console.log(`\n# ${s}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', s], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
