import { readFile } from 'node:fs/promises';
import { ConfigError, type Issue } from '../errors.js';
import type { SchemaOverrides } from './infer-schema.js';
import type { ColumnKind } from './table.js';

/** The column kinds a schema file may name. */
export const COLUMN_KINDS: readonly ColumnKind[] = ['numeric', 'categorical', 'boolean', 'datetime', 'identifier'];

// Spellings people reach for, mapped to the kind they mean, for "did you mean" hints only.
const KIND_HINTS: Record<string, ColumnKind> = {
  number: 'numeric',
  numerical: 'numeric',
  float: 'numeric',
  int: 'numeric',
  integer: 'numeric',
  category: 'categorical',
  string: 'categorical',
  text: 'categorical',
  bool: 'boolean',
  date: 'datetime',
  timestamp: 'datetime',
  time: 'datetime',
  id: 'identifier',
};

/** Outcome of {@link safeParseSchemaOverrides}: the overrides, or every problem found. */
export type SchemaOverridesResult = { success: true; data: SchemaOverrides } | { success: false; issues: Issue[] };

function isKind(value: unknown): value is ColumnKind {
  return typeof value === 'string' && (COLUMN_KINDS as readonly string[]).includes(value);
}

function kindIssue(path: (string | number)[], value: unknown): Issue {
  const hint = typeof value === 'string' ? KIND_HINTS[value.toLowerCase()] : undefined;
  const suggestion = hint === undefined ? '' : ` (did you mean "${hint}"?)`;
  return {
    code: 'unknown_kind',
    path,
    message: `unknown kind ${JSON.stringify(value)}${suggestion}; expected one of ${COLUMN_KINDS.join(', ')}`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates parsed schema-file JSON without throwing. Accepts the map form
 * `{"columns": {"purpose": "categorical", "amount": "numeric"}}` and the `Schema` array form
 * `{"columns": [{"name": "purpose", "kind": "categorical"}]}`; reports every unknown kind, malformed
 * entry and repeated column. Whether the columns exist is checked against the data when it is read.
 */
export function safeParseSchemaOverrides(json: unknown): SchemaOverridesResult {
  const issues: Issue[] = [];
  const data: SchemaOverrides = {};
  if (!isRecord(json) || !('columns' in json)) {
    return {
      success: false,
      issues: [{ code: 'invalid_type', path: [], message: 'expected an object with a "columns" property' }],
    };
  }
  const columns = json.columns;
  if (Array.isArray(columns)) {
    columns.forEach((entry: unknown, index) => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
        issues.push({
          code: 'invalid_type',
          path: ['columns', index],
          message: 'expected {"name": string, "kind": string}',
        });
        return;
      }
      if (!isKind(entry.kind)) {
        issues.push(kindIssue(['columns', index, 'kind'], entry.kind));
        return;
      }
      if (entry.name in data) {
        issues.push({
          code: 'duplicate_column',
          path: ['columns', index, 'name'],
          message: `column ${JSON.stringify(entry.name)} is listed more than once`,
        });
        return;
      }
      data[entry.name] = entry.kind;
    });
  } else if (isRecord(columns)) {
    for (const [name, kind] of Object.entries(columns)) {
      if (isKind(kind)) data[name] = kind;
      else issues.push(kindIssue(['columns', name], kind));
    }
  } else {
    issues.push({
      code: 'invalid_type',
      path: ['columns'],
      message: 'expected an object of column name → kind, or an array of {"name", "kind"}',
    });
  }
  return issues.length === 0 ? { success: true, data } : { success: false, issues };
}

/**
 * Validates parsed schema-file JSON, throwing `ConfigError('invalid_schema_file')` with every
 * issue. See {@link safeParseSchemaOverrides} for the accepted forms.
 * @param source names the file in the error message
 */
export function parseSchemaOverrides(json: unknown, source = 'schema'): SchemaOverrides {
  const result = safeParseSchemaOverrides(json);
  if (result.success) return result.data;
  const first = result.issues[0] as Issue;
  const where = first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  const count = result.issues.length === 1 ? '1 problem' : `${result.issues.length} problems`;
  throw new ConfigError('invalid_schema_file', `${source}: ${count}; first${where}: ${first.message}`, {
    issues: result.issues,
  });
}

/**
 * Reads and validates a JSON schema file of column-kind overrides.
 * @throws ConfigError `file_not_found`, or `invalid_schema_file` for bad JSON or content
 * @example
 * // schema.json: {"columns": {"n_credits": "categorical"}}
 * const overrides = await readSchemaFile('schema.json');
 * await readTable('german_credit.csv', { overrides });
 */
export async function readSchemaFile(path: string): Promise<SchemaOverrides> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('file_not_found', `${path}: no such schema file`, { cause: error });
    throw new ConfigError('unreadable_file', `${path}: cannot read the schema file (${code})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('invalid_schema_file', `${path}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  return parseSchemaOverrides(json, path);
}
