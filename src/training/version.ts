import { createRequire } from 'node:module';

/** Vigil's own version, from package.json, recorded in every bundle. */
export const VIGIL_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
