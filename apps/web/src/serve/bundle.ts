import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build, type BuildResult } from 'esbuild';
import { WebError } from '../errors.ts';

/** One file of the bundled web app, held in memory. */
export interface WebAsset {
  /** URL path, e.g. `/assets/app.3f2a9c1b.js`. */
  path: string;
  contentType: string;
  body: Buffer;
  /** Content-addressed assets never change, so browsers may keep them for a year. */
  immutable: boolean;
}

/** The bundled app: index.html plus its content-addressed assets. */
export interface WebBundle {
  index: WebAsset;
  assets: ReadonlyMap<string, WebAsset>;
}

/** How to bundle the app. */
export interface BundleOptions {
  /** Minify the script (default true); tests of the bundle may turn it off to read it. */
  minify?: boolean;
  /** The client entry to bundle (default the app's own `src/client/main.tsx`); tests use a broken one. */
  entry?: string;
}

const CLIENT_ENTRY = fileURLToPath(new URL('../client/main.tsx', import.meta.url));
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f4b3f"/><path d="M9 17l5 5 9-11" stroke="#fff" stroke-width="3.5" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function shortHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12);
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * Bundles the web app in memory with esbuild: no build output is written or committed. The page
 * has no inline script or style, so the strict Content-Security-Policy holds.
 */
export async function bundleWebApp(options: BundleOptions = {}): Promise<WebBundle> {
  let result: BuildResult<{ write: false }>;
  try {
    result = await build({
      entryPoints: [options.entry ?? CLIENT_ENTRY],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
      minify: options.minify ?? true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      outdir: '/out',
      entryNames: 'app',
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
  } catch (error) {
    const errors =
      (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ??
      [];
    const first = errors[0];
    throw new WebError(
      'ERR_WEB_BUNDLE_FAILED',
      `the web app could not be bundled: ${first ? `\`${first.text}\`${first.location ? ` at ${first.location.file}:${first.location.line}` : ''}` : 'unknown esbuild error'}`,
      {
        cause: error,
        details: { errors: errors.slice(0, 5).map((e) => e.text) },
      },
    );
  }
  const assets = new Map<string, WebAsset>();
  let script: WebAsset | undefined;
  let style: WebAsset | undefined;
  for (const file of result.outputFiles) {
    const body = Buffer.from(file.contents);
    if (file.path.endsWith('.js')) {
      script = {
        path: `/assets/app.${shortHash(body)}.js`,
        contentType: 'text/javascript; charset=utf-8',
        body,
        immutable: true,
      };
      assets.set(script.path, script);
    } else if (file.path.endsWith('.css')) {
      style = {
        path: `/assets/app.${shortHash(body)}.css`,
        contentType: 'text/css; charset=utf-8',
        body,
        immutable: true,
      };
      assets.set(style.path, style);
    }
  }
  if (!script || !style)
    throw new WebError('ERR_WEB_BUNDLE_FAILED', 'the web app bundle is missing its script or its stylesheet');
  const iconBody = Buffer.from(ICON);
  const icon: WebAsset = {
    path: `/assets/icon.${shortHash(iconBody)}.svg`,
    contentType: 'image/svg+xml',
    body: iconBody,
    immutable: true,
  };
  assets.set(icon.path, icon);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Steward</title>
<link rel="icon" href="${escapeAttr(icon.path)}" type="image/svg+xml">
<link rel="stylesheet" href="${escapeAttr(style.path)}">
<script type="module" src="${escapeAttr(script.path)}"></script>
</head>
<body>
<noscript>Steward's web app needs JavaScript. The command line (<code>steward</code>) does everything without it.</noscript>
<div id="app"></div>
</body>
</html>
`;
  const index: WebAsset = {
    path: '/',
    contentType: 'text/html; charset=utf-8',
    body: Buffer.from(html),
    immutable: false,
  };
  return { index, assets };
}
