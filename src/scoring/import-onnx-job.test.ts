import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readBundle } from '../bundle/index.js';
import { readTable } from '../data/index.js';
import { BundleError, ConfigError, DataError, type VigilError } from '../errors.js';
import { encodeOnnxModel, type OnnxModel } from '../onnx/index.js';
import { loadScoringModel, runImportOnnxJob, runPredictJob } from './index.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-import-'));
after(() => rm(root, { recursive: true, force: true }));

const W = [0.00002, 1.5, -0.8];
const B = -1.2;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The "external" model: z = x·W + B on [N, 3] inputs named `float_input`, with outputs
 * `probabilities` (σ(z), [N, 1]), `logits` (z) and `two_class` ([1 − σ(z), σ(z)]), the shapes
 * skl2onnx and PyTorch exports have.
 */
function logisticOnnx(inputShape: (number | string)[] = ['N', 3]): Uint8Array {
  const model: OnnxModel = {
    producerName: 'test-external',
    graph: {
      name: 'external_logistic',
      nodes: [
        { opType: 'Gemm', inputs: ['float_input', 'w', 'b'], outputs: ['logits'] },
        { opType: 'Sigmoid', inputs: ['logits'], outputs: ['probabilities'] },
        { opType: 'Sub', inputs: ['one', 'probabilities'], outputs: ['negative'] },
        {
          opType: 'Concat',
          inputs: ['negative', 'probabilities'],
          outputs: ['two_class'],
          attributes: [{ name: 'axis', kind: 'int', value: 1 }],
        },
      ],
      initializers: [
        { name: 'w', dims: [3, 1], dataType: 'float32', values: Float32Array.from(W) },
        { name: 'b', dims: [1], dataType: 'float32', values: Float32Array.of(B) },
        { name: 'one', dims: [], dataType: 'float32', values: Float32Array.of(1) },
      ],
      inputs: [{ name: 'float_input', elemType: 'float32', shape: inputShape }],
      outputs: [
        { name: 'probabilities', elemType: 'float32', shape: ['N', 1] },
        { name: 'logits', elemType: 'float32', shape: ['N', 1] },
        { name: 'two_class', elemType: 'float32', shape: ['N', 2] },
      ],
    },
  };
  return encodeOnnxModel(model);
}

/** Softmax over three logits z_k = x·W_k: a multiclass model with one probability per class. */
function softmaxOnnx(): Uint8Array {
  return encodeOnnxModel({
    producerName: 'test-external',
    graph: {
      name: 'external_softmax',
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['z'] },
        { opType: 'Softmax', inputs: ['z'], outputs: ['p'], attributes: [{ name: 'axis', kind: 'int', value: 1 }] },
      ],
      initializers: [
        { name: 'w', dims: [3, 3], dataType: 'float32', values: Float32Array.of(0, 0, 0, 1, -1, 0, 0.5, 0, -0.5) },
      ],
      inputs: [{ name: 'x', elemType: 'float32', shape: ['N', 3] }],
      outputs: [{ name: 'p', elemType: 'float32', shape: ['N', 3] }],
    },
  });
}

const rows = [
  ['loan_id', 'income', 'utilisation', 'has_cosigner', 'region'],
  ['A1', '52000', '0.91', 'true', 'north'],
  ['A2', '', '0.10', 'false', 'south'],
  ['A3', '20000', '0.55', '', 'east'],
];
const expectedInputs = [
  [52000, 0.91, 1],
  [Number.NaN, 0.1, 0],
  [20000, 0.55, Number.NaN],
];
const logitOf = (x: number[]) => x.reduce((s, v, i) => s + v * (W[i] as number), B);

let dataPath = '';
let onnxPath = '';
let schemaPath = '';

before(async () => {
  dataPath = join(root, 'loans.csv');
  await writeFile(dataPath, `${rows.map((r) => r.join(',')).join('\n')}\n`);
  onnxPath = join(root, 'external.onnx');
  await writeFile(onnxPath, logisticOnnx());
  schemaPath = join(root, 'schema.json');
  await writeFile(
    schemaPath,
    JSON.stringify({
      columns: [
        { name: 'income', kind: 'numeric' },
        { name: 'utilisation', kind: 'numeric' },
        { name: 'has_cosigner', kind: 'boolean' },
        { name: 'loan_id', kind: 'identifier' },
      ],
    }),
  );
});

async function writeJson(name: string, json: unknown): Promise<string> {
  const path = join(root, name);
  await writeFile(path, JSON.stringify(json));
  return path;
}

const isError =
  (type: typeof VigilError, code: string, pattern?: RegExp) =>
  (e: unknown): boolean =>
    e instanceof type && e.code === code && (pattern === undefined || pattern.test(e.message));

describe('runImportOnnxJob', () => {
  test('wraps the file in a verified bundle that scores through loadScoringModel and predict', async () => {
    const outDir = join(root, 'imported');
    const result = await runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir });
    assert.deepEqual(result.inputColumns, ['income', 'utilisation', 'has_cosigner']);
    assert.equal(result.idColumn, 'loan_id');
    assert.equal(result.inputName, 'float_input');
    assert.equal(result.outputName, 'probabilities');
    assert.ok(Math.abs((result.probe[1] as number) - sigmoid(B)) < 1e-6);

    const bundle = await readBundle(outDir);
    assert.deepEqual(bundle.files['model.onnx'], new Uint8Array(await readFile(onnxPath)));
    assert.match(bundle.manifest.files['model.onnx'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(bundle.manifest.model.kind, 'onnx');

    const model = await loadScoringModel(outDir);
    assert.equal(model.engine, 'onnx');
    assert.equal(model.estimator, undefined);
    const { table } = await readTable(dataPath, { schema: bundle.manifest.inputSchema });
    const proba = await model.scoreTable(table);
    assert.equal(proba.nCols, 2);
    for (const [r, x] of expectedInputs.entries()) {
      const p = proba.data[2 * r + 1] as number;
      if (x.some(Number.isNaN)) assert.ok(Number.isNaN(p), 'missing values reach the model as NaN');
      else assert.ok(Math.abs(p - sigmoid(logitOf(x))) < 1e-6, `row ${r}`);
    }
    model.dispose();

    const outPath = join(root, 'scores.csv');
    const predicted = await runPredictJob({ modelDir: outDir, dataPath, outPath });
    assert.equal(predicted.engine, 'onnx');
    const lines = (await readFile(outPath, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'loan_id,score,decision');
    const p0 = sigmoid(logitOf(expectedInputs[0] as number[]));
    assert.equal(lines[1], `A1,${p0.toFixed(6)},${p0 >= 0.5 ? 1 : 0}`);
  });

  test('logit and two-column outputs give the same probabilities; multiclass and regression work', async () => {
    const { table } = await readTable(dataPath);
    const positive = async (outDir: string, column: number, nCols: number) => {
      const model = await loadScoringModel(outDir);
      const proba = await model.scoreTable(table);
      model.dispose();
      assert.equal(proba.nCols, nCols);
      return proba.data[column] as number;
    };
    const expected = sigmoid(logitOf(expectedInputs[0] as number[]));
    const viaLogit = join(root, 'imported-logit');
    await runImportOnnxJob({
      modelPath: onnxPath,
      schemaPath,
      outDir: viaLogit,
      output: 'logit',
      outputName: 'logits',
    });
    assert.ok(Math.abs((await positive(viaLogit, 1, 2)) - expected) < 1e-6);
    const twoColumns = join(root, 'imported-two');
    await runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir: twoColumns, outputName: 'two_class' });
    assert.ok(Math.abs((await positive(twoColumns, 1, 2)) - expected) < 1e-6);
    const regression = join(root, 'imported-regression');
    await runImportOnnxJob({
      modelPath: onnxPath,
      schemaPath,
      outDir: regression,
      task: 'regression',
      outputName: 'logits',
    });
    assert.ok(Math.abs((await positive(regression, 0, 1)) - logitOf(expectedInputs[0] as number[])) < 1e-3);

    const softmaxPath = join(root, 'softmax.onnx');
    await writeFile(softmaxPath, softmaxOnnx());
    const multiclass = join(root, 'imported-multiclass');
    const result = await runImportOnnxJob({
      modelPath: softmaxPath,
      schemaPath,
      outDir: multiclass,
      task: 'multiclass',
    });
    assert.equal(result.outputWidth, 3);
    assert.deepEqual((await readBundle(multiclass)).manifest.target.classes, ['0', '1', '2']);
    const model = await loadScoringModel(multiclass);
    const proba = await model.scoreTable(table);
    model.dispose();
    assert.equal(proba.nCols, 3);
    assert.ok(Math.abs((proba.data[0] as number) + (proba.data[1] as number) + (proba.data[2] as number) - 1) < 1e-6);
  });

  test('refuses a categorical column, naming it, and other unusable schemas', async () => {
    const categorical = await writeJson('schema-cat.json', {
      columns: { income: 'numeric', region: 'categorical', utilisation: 'numeric' },
    });
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath: categorical, outDir: join(root, 'x') }),
      isError(DataError, 'unsupported_column_kind', /column region is categorical/),
    );
    const numericName = await writeJson('schema-num.json', { columns: { income: 'numeric', '2': 'numeric' } });
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath: numericName, outDir: join(root, 'x') }),
      isError(DataError, 'unordered_column_name', /"2"/),
    );
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath: join(root, 'nope.json'), outDir: join(root, 'x') }),
      isError(ConfigError, 'file_not_found', /nope\.json/),
    );
  });

  test('refuses a model whose input width differs from the schema, naming both files', async () => {
    const two = await writeJson('schema-two.json', { columns: { income: 'numeric', utilisation: 'numeric' } });
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath: two, outDir: join(root, 'x') }),
      isError(
        DataError,
        'input_width_mismatch',
        /external\.onnx: input float_input takes 3 values per row, but .*schema-two\.json lists 2/,
      ),
    );
    // Without a stated width, the probe row finds the mismatch.
    const dynamic = join(root, 'dynamic.onnx');
    await writeFile(dynamic, logisticOnnx(['N', 'F']));
    await assert.rejects(
      runImportOnnxJob({ modelPath: dynamic, schemaPath: two, outDir: join(root, 'x') }),
      isError(DataError, 'probe_failed', /dynamic\.onnx: a probe row of 2 value\(s\) did not run/),
    );
  });

  test('refuses logits declared as probabilities, flags that do not fit, bad files and unknown names', async () => {
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir: join(root, 'x'), outputName: 'logits' }),
      isError(DataError, 'probe_failed', /not probabilities; if these are logits, pass --output logit/),
    );
    await assert.rejects(
      runImportOnnxJob({
        modelPath: onnxPath,
        schemaPath,
        outDir: join(root, 'x'),
        task: 'regression',
        output: 'proba',
      }),
      isError(ConfigError, 'invalid_flag', /--output proba does not fit --task regression/),
    );
    await assert.rejects(
      runImportOnnxJob({
        modelPath: onnxPath,
        schemaPath,
        outDir: join(root, 'x'),
        outputName: 'two_class',
        task: 'regression',
      }),
      isError(DataError, 'probe_failed', /2 values per row; a regression model gives 1/),
    );
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir: join(root, 'x'), outputName: 'nope' }),
      isError(DataError, 'unknown_output', /external\.onnx: the model has no output named 'nope'/),
    );
    const garbage = join(root, 'garbage.onnx');
    await writeFile(garbage, 'not a model');
    await assert.rejects(
      runImportOnnxJob({ modelPath: garbage, schemaPath, outDir: join(root, 'x') }),
      isError(DataError, 'invalid_onnx_model', /garbage\.onnx: onnxruntime cannot load the model/),
    );
    const occupied = join(root, 'occupied');
    await mkdir(occupied);
    await writeFile(join(occupied, 'notes.txt'), 'keep me');
    await assert.rejects(
      runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir: occupied }),
      isError(ConfigError, 'out_not_bundle'),
    );
    assert.equal(await readFile(join(occupied, 'notes.txt'), 'utf8'), 'keep me');
  });

  test('an imported bundle refuses the tfjs engine and an altered model file', async () => {
    const outDir = join(root, 'imported-tamper');
    await runImportOnnxJob({ modelPath: onnxPath, schemaPath, outDir });
    await assert.rejects(
      loadScoringModel(outDir, { engine: 'tfjs' }),
      isError(ConfigError, 'unsupported_engine', /wraps an external ONNX model/),
    );
    const bytes = await readFile(join(outDir, 'model.onnx'));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    await writeFile(join(outDir, 'model.onnx'), bytes);
    await assert.rejects(loadScoringModel(outDir), isError(BundleError, 'bundle_corrupted', /model\.onnx/));
  });
});

const torchCheck = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const torchMissing =
  torchCheck.status === 0
    ? false
    : `torch is not importable by /usr/bin/python3 (apt-get install python3-torch): ${(torchCheck.stderr || String(torchCheck.error)).trim().split('\n').pop()}`;

describe('a model exported by PyTorch', () => {
  // Skipped only outside CI: .ci/run installs torch, and there a missing torch must fail the run.
  const skip = process.env.CI === 'true' ? false : torchMissing;
  test('torch.onnx.export → import-onnx → scores equal to torch', { skip }, async () => {
    assert.equal(torchMissing, false, String(torchMissing));
    const torchPath = join(root, 'torch.onnx');
    // Four rows and torch's own outputs come back as JSON; the file uses torch's default names.
    const script = `
import json, sys, torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1), torch.nn.Sigmoid()).eval()
x = torch.randn(4, 3)
torch.onnx.export(m, torch.zeros(1, 3), sys.argv[1], input_names=["features"], output_names=["pd"],
                  dynamic_axes={"features": {0: "batch"}, "pd": {0: "batch"}}, opset_version=13)
print(json.dumps({"x": x.tolist(), "p": m(x).detach().flatten().tolist()}))
`;
    const run = spawnSync('/usr/bin/python3', ['-c', script, torchPath], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { x, p } = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { x: number[][]; p: number[] };
    const schema = await writeJson('torch-schema.json', {
      columns: [
        { name: 'a', kind: 'numeric' },
        { name: 'b', kind: 'numeric' },
        { name: 'c', kind: 'numeric' },
      ],
    });
    const csv = join(root, 'torch-rows.csv');
    await writeFile(csv, `a,b,c\n${x.map((r) => r.join(',')).join('\n')}\n`);
    const outDir = join(root, 'imported-torch');
    const result = await runImportOnnxJob({ modelPath: torchPath, schemaPath: schema, outDir });
    assert.deepEqual([result.inputName, result.outputName], ['features', 'pd']);
    const model = await loadScoringModel(outDir);
    const { table } = await readTable(csv, { schema: model.manifest.inputSchema });
    const proba = await model.scoreTable(table);
    model.dispose();
    for (const [r, expected] of p.entries()) {
      assert.ok(Math.abs((proba.data[2 * r + 1] as number) - expected) < 1e-5, `row ${r}`);
    }
  });
});
