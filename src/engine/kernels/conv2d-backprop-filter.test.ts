import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NamedAttrMap, Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { VigilError } from '../../errors.js';
import { assertNoLeaks, assertReadoutsMatch, type Readout, runWith, tf } from './stock-comparison.js';

/**
 * tfjs-wasm has no Conv2DBackpropFilter, so the reference is the cpu backend (part of the
 * @tensorflow/tfjs union package), fed the same values.
 */
async function onCpu(fn: () => Tensor[]): Promise<Readout[]> {
  await tf.setBackend('cpu');
  try {
    const outs = fn();
    const read = outs.map((t) => ({ shape: [...t.shape], dtype: t.dtype, values: t.dataSync() as Float32Array }));
    tf.dispose(outs);
    return read;
  } finally {
    await tf.setBackend('wasm');
  }
}

function randomValues(n: number, seed: number): Float32Array {
  const t = tf.randomNormal([n], 0, 1, 'float32', seed);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

interface ConvCase {
  label: string;
  xShape: number[];
  filterShape: number[];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
}

const cases: ConvCase[] = [
  { label: 'conv1d k=2 valid', xShape: [8, 10, 3], filterShape: [2, 3, 4], strides: 1, pad: 'valid' },
  { label: 'conv1d k=3 same stride 2', xShape: [5, 11, 3], filterShape: [3, 3, 2], strides: 2, pad: 'same' },
  // The training layer's shape at batch 128 (the cpu reference takes seconds at 512).
  { label: 'conv1d training layer', xShape: [128, 10, 15], filterShape: [2, 15, 32], strides: 1, pad: 'valid' },
  {
    label: 'conv2d valid strides [2,1]',
    xShape: [2, 7, 6, 3],
    filterShape: [3, 2, 3, 5],
    strides: [2, 1],
    pad: 'valid',
  },
  { label: 'conv2d same, one example', xShape: [1, 5, 5, 2], filterShape: [3, 3, 2, 4], strides: 1, pad: 'same' },
  {
    label: 'conv2d same stride 2, odd sizes',
    xShape: [3, 7, 9, 1],
    filterShape: [4, 3, 1, 3],
    strides: 2,
    pad: 'same',
  },
  { label: 'conv2d pad 1', xShape: [2, 4, 4, 2], filterShape: [3, 3, 2, 2], strides: 1, pad: 1 },
  {
    label: 'conv2d explicit padding',
    xShape: [2, 5, 4, 2],
    filterShape: [2, 2, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];

/** Loss gradients of a convolution with respect to its input and its filter. */
function convGradients(c: ConvCase, xValues: Float32Array, fValues: Float32Array): Tensor[] {
  const x = tf.tensor(xValues, c.xShape);
  const filter = tf.tensor(fValues, c.filterShape);
  const conv =
    c.xShape.length === 3
      ? (v: Tensor, f: Tensor) => tf.conv1d(v as Tensor3D, f as Tensor3D, c.strides as number, c.pad as 'valid')
      : (v: Tensor, f: Tensor) => tf.conv2d(v as Tensor4D, f as Tensor4D, c.strides, c.pad);
  // A non-uniform loss, so that every position's gradient differs.
  const grads = tf.grads((v: Tensor, f: Tensor) => tf.sum(tf.square(conv(v, f))))([x, filter]);
  tf.dispose([x, filter]);
  return grads;
}

test('conv1d and conv2d filter (and input) gradients on wasm equal the cpu backend', async () => {
  let seed = 1;
  for (const c of cases) {
    const xValues = randomValues(
      c.xShape.reduce((p, q) => p * q, 1),
      seed++,
    );
    const fValues = randomValues(
      c.filterShape.reduce((p, q) => p * q, 1),
      seed++,
    );
    const expected = await onCpu(() => convGradients(c, xValues, fValues));
    const actual = runWith('Conv2DBackpropFilter', true, () => convGradients(c, xValues, fValues));
    // Sums of up to 1152 float32 products in another order than the cpu backend's. The input
    // gradient (the stock wasm Conv2DBackpropInput) drifts from cpu as much: up to 3e-5 at batch 512.
    assertReadoutsMatch(expected.slice(0, 1), actual.slice(0, 1), `${c.label}: input gradient`, 1e-4);
    assertReadoutsMatch(expected.slice(1), actual.slice(1), `${c.label}: filter gradient`, 1e-4);
  }
});

test('the kernel called directly matches the cpu backend for every padding and stride', async () => {
  const attrs = (pad: unknown, strides: [number, number]): NamedAttrMap =>
    ({ strides, pad, dataFormat: 'NHWC', filterShape: [2, 3, 2, 4] }) as unknown as NamedAttrMap;
  const xValues = randomValues(3 * 6 * 7 * 2, 50);
  for (const [pad, strides] of [
    ['valid', [1, 1]],
    ['same', [1, 1]],
    ['same', [2, 3]],
    ['valid', [3, 2]],
  ] as [string, [number, number]][]) {
    const info = tf.backend_util.computeConv2DInfo([3, 6, 7, 2], [2, 3, 2, 4], strides, 1, pad as 'same');
    const dyShape = [3, info.outHeight, info.outWidth, 4];
    const dyValues = randomValues(
      dyShape.reduce((p, q) => p * q, 1),
      51,
    );
    const run = () => [
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor(xValues, [3, 6, 7, 2]), dy: tf.tensor(dyValues, dyShape) },
          attrs(pad, strides),
        ) as Tensor,
    ];
    const expected = await onCpu(run);
    const actual = runWith('Conv2DBackpropFilter', true, () => tf.tidy(run));
    assertReadoutsMatch(expected, actual, `${pad} strides [${strides}]`, 1e-5);
  }
});

test('stock tfjs-wasm cannot train a convolution: the filter gradient has no kernel', () => {
  const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 60) as Tensor3D;
  const f = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 61);
  assert.throws(
    () =>
      runWith('Conv2DBackpropFilter', false, () =>
        tf.grad((v: Tensor) => tf.sum(tf.conv1d(x, v as Tensor3D, 1, 'valid')))(f),
      ),
    /Conv2DBackpropFilter/,
  );
  tf.dispose([x, f]);
});

test('NCHW input is refused with a typed error', () => {
  const x = tf.zeros([1, 2, 4, 4]);
  const dy = tf.zeros([1, 3, 3, 3]);
  assert.throws(
    () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NCHW',
        filterShape: [2, 2, 2, 3],
      } as unknown as NamedAttrMap),
    (error: unknown) => error instanceof VigilError && error.code === 'unsupported_kernel_input',
  );
  tf.dispose([x, dy]);
});

test('Conv2DBackpropFilter leaves no tensors or wasm memory behind', () => {
  const x = tf.randomNormal([64, 10, 15], 0, 1, 'float32', 70) as Tensor3D;
  const f = tf.randomNormal([2, 15, 8], 0, 1, 'float32', 71);
  assertNoLeaks(
    'Conv2DBackpropFilter',
    () => tf.grad((v: Tensor) => tf.sum(tf.conv1d(x, v as Tensor3D, 1, 'same')))(f),
    50,
  );
  tf.dispose([x, f]);
});
