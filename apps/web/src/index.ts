export { webAppFeature, WEB_CSP } from './serve/plugin.ts';
export type { WebAppOptions } from './serve/plugin.ts';
export { bundleWebApp } from './serve/bundle.ts';
export type { WebBundle, WebAsset, BundleOptions } from './serve/bundle.ts';
export { WebError, WEB_ERROR_STATUS } from './errors.ts';
export type { WebErrorCode } from './errors.ts';
