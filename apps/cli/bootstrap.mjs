#!/usr/bin/env node
// `npm start` and `npm test` (or `pnpm start` / `pnpm test`) on a fresh clone: installs what Steward
// needs (pnpm, then the workspace with better-sqlite3 compiled against this Node's headers; for the
// tests also Debian's Chromium), then runs `steward start`, or the whole check (`pnpm run check`).
// Plain Node with no dependencies, because it runs before anything is installed.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM = '12.21.0';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`steward needs Node.js 20.19 or newer; this is ${process.version}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

if (!has('pnpm')) {
  console.log(`Installing pnpm ${PNPM} with npm…`);
  run('npm', ['install', '-g', `pnpm@${PNPM}`]);
}

const env = { ...process.env };
if (!env.npm_config_nodedir) {
  try {
    const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
    if (nodedir && nodedir !== 'undefined' && existsSync(join(nodedir, 'include', 'node'))) env.npm_config_nodedir = nodedir;
  } catch {
    // no nodedir configured: node-gyp uses its own headers
  }
}

const marker = join(root, 'node_modules', '.modules.yaml');
const lock = join(root, 'pnpm-lock.yaml');
const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
if (!fresh) {
  console.log('Installing dependencies (the first time this compiles SQLite, about a minute)…');
  run('pnpm', ['install', '--frozen-lockfile'], { env });
}

const [mode = 'start', ...args] = process.argv.slice(2);

if (mode === 'test') {
  // The browser tests drive Debian's Chromium, never a downloaded browser.
  if (!has('chromium')) {
    const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
    if (root_ && has('apt-get')) {
      console.log('Installing Debian\'s chromium for the browser tests…');
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', 'chromium'], { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    } else {
      console.error('The browser tests need Debian\'s chromium: run `sudo apt-get install -y chromium`, then `npm test` again.');
      process.exit(1);
    }
  }
  const t = spawnSync('pnpm', ['run', 'check'], { cwd: root, stdio: 'inherit', env });
  process.exit(t.status ?? 1);
}

const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'apps', 'cli', 'src', 'main.ts'), 'start', ...args], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 0);
