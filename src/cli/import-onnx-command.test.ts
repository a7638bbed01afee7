import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeOnnxModel } from '../onnx/index.js';
import { assertNoStack, runVigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-cli-import-'));
after(() => rm(dir, { recursive: true, force: true }));

const vigil = runVigil;

/** p = σ(0.8·utilisation − 0.5·late_payments + 0.2): the "external" model, [N, 2] in, [N, 1] out. */
const modelBytes = encodeOnnxModel({
  producerName: 'test-external',
  graph: {
    name: 'pd',
    nodes: [
      { opType: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['z'] },
      { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
    ],
    initializers: [
      { name: 'w', dims: [2, 1], dataType: 'float32', values: Float32Array.of(0.8, -0.5) },
      { name: 'b', dims: [1], dataType: 'float32', values: Float32Array.of(0.2) },
    ],
    inputs: [{ name: 'x', elemType: 'float32', shape: ['N', 2] }],
    outputs: [{ name: 'p', elemType: 'float32', shape: ['N', 1] }],
  },
});

const modelPath = join(dir, 'pd.onnx');
const schemaPath = join(dir, 'schema.json');
const dataPath = join(dir, 'rows.csv');

before(async () => {
  await writeFile(modelPath, modelBytes);
  await writeFile(
    schemaPath,
    JSON.stringify({
      columns: [
        { name: 'utilisation', kind: 'numeric' },
        { name: 'late_payments', kind: 'numeric' },
        { name: 'id', kind: 'identifier' },
      ],
    }),
  );
  await writeFile(dataPath, 'id,late_payments,utilisation\nc1,0,0.5\nc2,3,1\n');
});

describe('vigil import-onnx', () => {
  test('imports, then vigil predict scores the bundle', async () => {
    const out = join(dir, 'bundle');
    const run = await vigil('import-onnx', '--model', modelPath, '--schema', schemaPath, '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /Imported .*pd\.onnx into .*bundle: input x ← 2 column\(s\) \(utilisation, late_payments\), output p \(1 per row\)/,
    );
    const scores = join(dir, 'scores.csv');
    const predict = await vigil('predict', '--model', out, '--data', dataPath, '--out', scores);
    assert.equal(predict.code, 0, predict.stderr);
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    assert.deepEqual((await readFile(scores, 'utf8')).trim().split('\n'), [
      'id,score,decision',
      `c1,${sigmoid(0.8 * 0.5 + 0.2).toFixed(6)},1`,
      `c2,${sigmoid(0.8 - 1.5 + 0.2).toFixed(6)},0`,
    ]);
    const tfjs = await vigil('predict', '--model', out, '--data', dataPath, '--out', scores, '--engine', 'tfjs');
    assert.equal(tfjs.code, 2);
    assert.match(tfjs.stderr, /--engine tfjs: .*wraps an external ONNX model/);
  });

  test('--json prints the result', async () => {
    const run = await vigil(
      'import-onnx',
      '--model',
      modelPath,
      '--schema',
      schemaPath,
      '--out',
      join(dir, 'b2'),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.deepEqual([result.inputName, result.outputName, result.outputWidth, result.output], ['x', 'p', 1, 'proba']);
    assert.deepEqual(result.inputColumns, ['utilisation', 'late_payments']);
  });

  test('bad flags exit 2 naming the flag', async () => {
    const base = ['import-onnx', '--model', modelPath, '--schema', schemaPath, '--out', join(dir, 'x')];
    for (const [args, pattern] of [
      [[...base, '--task', 'ranking'], /--task/],
      [[...base, '--output', 'score'], /--output/],
      [[...base, '--task', 'regression', '--output', 'proba'], /--output proba does not fit --task regression/],
      [['import-onnx', '--model', modelPath, '--out', join(dir, 'x')], /--schema/],
    ] as const) {
      const run = await vigil(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, pattern);
    }
  });

  test('bad files exit 1 with a message naming the file or the column', async () => {
    const cases: [string[], RegExp][] = [];
    cases.push([['--model', join(dir, 'missing.onnx'), '--schema', schemaPath], /missing\.onnx: no such ONNX file/]);
    const garbage = join(dir, 'garbage.onnx');
    await writeFile(garbage, 'garbage');
    cases.push([['--model', garbage, '--schema', schemaPath], /garbage\.onnx: onnxruntime cannot load the model/]);
    const categorical = join(dir, 'cat.json');
    await writeFile(categorical, JSON.stringify({ columns: { utilisation: 'numeric', segment: 'categorical' } }));
    cases.push([['--model', modelPath, '--schema', categorical], /column segment is categorical/]);
    const three = join(dir, 'three.json');
    await writeFile(three, JSON.stringify({ columns: { a: 'numeric', b: 'numeric', c: 'boolean' } }));
    cases.push([
      ['--model', modelPath, '--schema', three],
      /pd\.onnx: input x takes 2 values per row, but .*three\.json lists 3/,
    ]);
    const badJson = join(dir, 'bad.json');
    await writeFile(badJson, '{ "columns": ');
    cases.push([['--model', modelPath, '--schema', badJson], /bad\.json: not valid JSON/]);
    cases.push([
      ['--model', modelPath, '--schema', schemaPath, '--output-name', 'proba'],
      /no output named 'proba'; its outputs are: p/,
    ]);
    for (const [args, pattern] of cases) {
      const run = await vigil('import-onnx', ...args, '--out', join(dir, 'x'));
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, pattern);
      assertNoStack(run);
    }
  });
});
