import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { type FeatureSpec, parseFeatureSpec } from './feature-spec.js';

/** Feature specs shipped with Vigil, selectable by name (e.g. `--features fraud-handbook`). */
export const BUILTIN_FEATURE_SPECS = ['fraud-handbook', 'fraud-handbook-plus', 'fraud-behaviour'] as const;

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

/**
 * A spec by built-in name (`fraud-handbook`) or from a JSON file path, checked either way; what
 * `--features` and `--spec` flags take.
 */
export function loadFeatureSpec(nameOrPath: string): FeatureSpec {
  if ((BUILTIN_FEATURE_SPECS as readonly string[]).includes(nameOrPath)) return builtinFeatureSpec(nameOrPath);
  if (!nameOrPath.endsWith('.json'))
    throw new ConfigError(
      'unknown_feature_spec',
      `'${nameOrPath}' is neither a built-in feature spec (${BUILTIN_FEATURE_SPECS.join(', ')}) nor a .json file`,
    );
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'unknown_feature_spec',
      `cannot read feature spec ${nameOrPath}: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('invalid_feature_spec', `${nameOrPath}: not JSON: ${(error as Error).message}`);
  }
  return parseFeatureSpec(parsed);
}
