import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { bundleWebApp, type BundleOptions, type WebAsset, type WebBundle } from './bundle.ts';

/**
 * The page's Content-Security-Policy: only this origin's script, style, images and API; no inline
 * script or style, no plugins, no framing, and Trusted Types so no code path can assign HTML.
 * @see https://www.w3.org/TR/CSP3/
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types',
].join('; ');

/** Options of {@link webAppFeature}. */
export interface WebAppOptions extends BundleOptions {
  /** A bundle made earlier (tests share one); by default the plugin bundles at registration. */
  bundle?: WebBundle;
}

function send(reply: FastifyReply, asset: WebAsset): FastifyReply {
  return reply
    .header('content-security-policy', WEB_CSP)
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-store')
    .type(asset.contentType)
    .send(asset.body);
}

/**
 * The person's web app as a fastify plugin: bundles the app in memory at registration and serves
 * `/` and `/assets/*` with a strict CSP. Register it outside the token guard; the app asks for the
 * token and sends it on every API call itself.
 */
export function webAppFeature(options: WebAppOptions = {}): FastifyPluginAsync {
  return async (app) => {
    const bundle = options.bundle ?? (await bundleWebApp(options));
    app.get('/', async (_request, reply) => send(reply, bundle.index));
    app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
      const asset = bundle.assets.get(`/assets/${request.params.file}`);
      if (!asset) return reply.callNotFound();
      return send(reply, asset);
    });
  };
}
