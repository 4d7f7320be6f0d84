export { webAppFeature, WEB_CSP } from './serve/plugin.ts';
export type { WebAppOptions } from './serve/plugin.ts';
export { bundleWebApp } from './serve/bundle.ts';
export type { WebBundle, WebAsset, BundleOptions } from './serve/bundle.ts';
