import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { type FeatureSpec, parseFeatureSpec } from './feature-spec.js';

/** Feature specs shipped with Vigil, selectable by name (e.g. `--features fraud-handbook`). */
export const BUILTIN_FEATURE_SPECS = ['fraud-handbook', 'fraud-behaviour'] as const;

/** A built-in spec by name, parsed and checked like a user's file. */
export function builtinFeatureSpec(name: string): FeatureSpec {
  if (!(BUILTIN_FEATURE_SPECS as readonly string[]).includes(name))
    throw new ConfigError(
      'unknown_feature_spec',
      `no built-in feature spec '${name}' (built-in: ${BUILTIN_FEATURE_SPECS.join(', ')})`,
    );
  const path = new URL(`./specs/${name}.json`, import.meta.url);
  return parseFeatureSpec(JSON.parse(readFileSync(path, 'utf8')));
}
