import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@steward/store';
import { MIGRATIONS } from '../src/index.ts';

/** A real SQLite file with the provenance tables, in a fresh temp dir; `cleanup` closes and removes it. */
export function tempStore(): { store: Store; dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-provenance-'));
  const path = join(dir, 'steward.db');
  const store = openStore(path, { migrations: { provenance: MIGRATIONS } });
  return {
    store,
    dir,
    path,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Expects `fn` to throw a coded error and returns it. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
  return 'did not throw';
}

/** Same as {@link codeOf} for async functions. */
export async function codeOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
  return 'did not throw';
}
