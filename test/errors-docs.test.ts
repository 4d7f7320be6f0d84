/**
 * Keeps docs/errors.md in step with the code: every `*_ERROR_STATUS` map exported by a package's
 * front door must have each of its codes documented as a `### CODE` heading, and the docs must list
 * no code that does not exist. Statuses must be real HTTP error statuses.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

async function collectCodes(): Promise<Map<string, { pkg: string; status: number }>> {
  const codes = new Map<string, { pkg: string; status: number }>();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const entry = join(root, group, name, 'src', 'index.ts');
      if (!existsSync(entry)) continue;
      const mod = (await import(entry)) as Record<string, unknown>;
      for (const [exportName, value] of Object.entries(mod)) {
        if (!exportName.endsWith('_ERROR_STATUS') || typeof value !== 'object' || value === null) continue;
        for (const [code, status] of Object.entries(value as Record<string, number>)) {
          codes.set(code, { pkg: `${group}/${name}`, status });
        }
      }
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('documents every error code, and only real ones', async () => {
    const codes = await collectCodes();
    expect(codes.size).toBeGreaterThan(20);
    const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const documented = new Set([...docs.matchAll(/^### (ERR_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1]!));
    const missing = [...codes.keys()].filter((c) => !documented.has(c));
    const stale = [...documented].filter((c) => !codes.has(c));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    expect(stale, 'codes in docs/errors.md that no package raises').toEqual([]);
  }, 60_000);

  it('maps every code to an HTTP error status', async () => {
    for (const [code, { status }] of await collectCodes()) {
      expect(Number.isInteger(status) && status >= 400 && status <= 599, `${code} → ${status}`).toBe(true);
    }
  }, 60_000);

  it('uses each code in one package only', async () => {
    // collectCodes keeps the last package per code; count again to find duplicates
    const seen = new Map<string, string[]>();
    for (const group of ['packages', 'apps']) {
      for (const name of readdirSync(join(root, group))) {
        const entry = join(root, group, name, 'src', 'index.ts');
        if (!existsSync(entry)) continue;
        const mod = (await import(entry)) as Record<string, unknown>;
        for (const [exportName, value] of Object.entries(mod)) {
          if (!exportName.endsWith('_ERROR_STATUS') || typeof value !== 'object' || value === null) continue;
          for (const code of Object.keys(value)) seen.set(code, [...(seen.get(code) ?? []), name]);
        }
      }
    }
    const dupes = [...seen].filter(([, pkgs]) => new Set(pkgs).size > 1);
    expect(dupes).toEqual([]);
  }, 60_000);
});
