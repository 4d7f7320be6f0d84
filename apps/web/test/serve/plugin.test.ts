import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWebApp, WEB_CSP, WebError, webAppFeature, type WebBundle } from '../../src/index.ts';

let bundle: WebBundle;
let app: FastifyInstance;

beforeAll(async () => {
  bundle = await bundleWebApp();
  app = Fastify();
  await app.register(webAppFeature({ bundle }));
});
afterAll(async () => {
  await app.close();
});

function csp(): Map<string, string> {
  return new Map(WEB_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)]));
}

describe('webAppFeature', () => {
  it('serves index.html with a strict CSP, no caching and the right content type', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(WEB_CSP);
    const directives = csp();
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('require-trusted-types-for')).toBe("'script'");
    expect(WEB_CSP).not.toContain('unsafe-inline');
    expect(WEB_CSP).not.toContain('unsafe-eval');
  });

  it('has no inline script or style in the page', async () => {
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toMatch(/src="\/assets\/app\.[0-9a-f]{12}\.js"/);
    expect(scripts[0]![2]).toBe('');
    expect(html).not.toMatch(/<style\b|style="/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('serves every asset the page names, content-addressed and cached for a year', async () => {
    const html = (await app.inject({ method: 'GET', url: '/' })).body;
    const paths = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(3);
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const path of paths) {
      const res = await app.inject({ method: 'GET', url: path });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(types[path.split('.').pop()!]);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-security-policy']).toBe(WEB_CSP);
    }
  });

  it('answers 404 for assets it does not have, including path tricks', async () => {
    for (const url of ['/assets/app.js', '/assets/..%2fsrc%2findex.ts', '/assets/%2e%2e/package.json', '/src/client/main.tsx']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });

  it('bundles in memory and writes nothing next to the sources', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        if (name === 'node_modules') return [];
        const p = join(dir, name);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const outputs = walk(root).filter((p) => /\.(js|map)$|app\.[0-9a-f]+\.css$|\.html$/.test(p));
    expect(outputs).toEqual([]);
  });
});

describe('bundleWebApp', () => {
  it('refuses to serve a broken bundle with ERR_WEB_BUNDLE_FAILED, naming the place', async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 'steward-web-broken-')), 'main.tsx');
    writeFileSync(entry, 'import { nothing } from "./missing.ts";\nconsole.log(nothing);\n');
    const error = await bundleWebApp({ entry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebError);
    expect((error as WebError).code).toBe('ERR_WEB_BUNDLE_FAILED');
    expect((error as WebError).message).toContain('main.tsx:1');
  });
});

describe('the client sources', () => {
  it('never assign HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or dangerouslySetInnerHTML', () => {
    const root = fileURLToPath(new URL('../../src/client', import.meta.url));
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const p = join(dir, name);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const files = walk(root).filter((p) => /\.(ts|tsx)$/.test(p));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML|\beval\(|new Function\(/);
    }
  });
});
