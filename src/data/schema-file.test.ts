import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { readTable } from './dataset-from-csv.js';
import { parseSchemaOverrides, readSchemaFile, safeParseSchemaOverrides } from './schema-file.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-schema-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeTemp(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('schema files', () => {
  test('accepts the map form and the Schema array form', () => {
    assert.deepEqual(parseSchemaOverrides({ columns: { a: 'categorical', b: 'numeric' } }), {
      a: 'categorical',
      b: 'numeric',
    });
    assert.deepEqual(
      parseSchemaOverrides({
        columns: [
          { name: 'a', kind: 'datetime' },
          { name: 'b', kind: 'identifier' },
          { name: 'c', kind: 'boolean' },
        ],
      }),
      { a: 'datetime', b: 'identifier', c: 'boolean' },
    );
  });

  test('lists every unknown kind, with a hint for near misses', () => {
    const result = safeParseSchemaOverrides({ columns: { a: 'number', b: 'categorical', c: 'blob', d: 3 } });
    assert.equal(result.success, false);
    assert.ok(!result.success);
    assert.deepEqual(
      result.issues.map((i) => [i.code, ...i.path]),
      [
        ['unknown_kind', 'columns', 'a'],
        ['unknown_kind', 'columns', 'c'],
        ['unknown_kind', 'columns', 'd'],
      ],
    );
    assert.match(result.issues[0]?.message ?? '', /unknown kind "number" \(did you mean "numeric"\?\)/);
    assert.match(
      result.issues[1]?.message ?? '',
      /expected one of numeric, categorical, boolean, datetime, identifier/,
    );
  });

  test('reports malformed structure and repeated names in the array form', () => {
    const bad = safeParseSchemaOverrides({
      columns: [{ name: 'a', kind: 'numeric' }, { kind: 'numeric' }, { name: 'a', kind: 'categorical' }, 'x'],
    });
    assert.ok(!bad.success);
    assert.deepEqual(
      bad.issues.map((i) => [i.code, ...i.path]),
      [
        ['invalid_type', 'columns', 1],
        ['duplicate_column', 'columns', 2, 'name'],
        ['invalid_type', 'columns', 3],
      ],
    );
    for (const json of [null, [], 'x', {}, { columns: 'numeric' }]) {
      assert.equal(safeParseSchemaOverrides(json).success, false, JSON.stringify(json));
    }
  });

  test('parseSchemaOverrides throws one ConfigError carrying every issue', () => {
    assert.throws(
      () => parseSchemaOverrides({ columns: { a: 'bool', b: 'text' } }, 'schema.json'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.code === 'invalid_schema_file' &&
        e.issues.length === 2 &&
        /schema\.json: 2 problems; first at columns\.a: unknown kind "bool" \(did you mean "boolean"\?\)/.test(
          e.message,
        ),
    );
  });

  test('readSchemaFile reads JSON files and reports bad JSON and missing files', async () => {
    const good = writeTemp('good.json', JSON.stringify({ columns: { n_credits: 'categorical', age: 'numeric' } }));
    const overrides = await readSchemaFile(good);
    assert.deepEqual(overrides, { n_credits: 'categorical', age: 'numeric' });
    const { schema } = await readTable(`${SHARED_DATA}/german_credit.csv`, { overrides });
    assert.equal(schema.columns.find((c) => c.name === 'n_credits')?.kind, 'categorical');

    await assert.rejects(
      readSchemaFile(writeTemp('broken.json', '{"columns": {')),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'invalid_schema_file' && /broken\.json: not valid JSON/.test(e.message),
    );
    await assert.rejects(
      readSchemaFile(join(dir, 'absent.json')),
      (e: unknown) => e instanceof ConfigError && e.code === 'file_not_found',
    );
  });

  test('columns the data lacks are reported when the data is read', async () => {
    const overrides = await readSchemaFile(
      writeTemp('typo.json', JSON.stringify({ columns: { purpos: 'categorical' } })),
    );
    await assert.rejects(
      readTable(`${SHARED_DATA}/german_credit.csv`, { overrides }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'unknown_column' && e.issues[0]?.path.join('.') === 'columns.purpos',
    );
  });
});
