import { readFileSync } from 'node:fs';

/** Steward's version, from the root package.json. */
export const STEWARD_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
