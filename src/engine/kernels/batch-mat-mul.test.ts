import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNoLeaks, assertReadoutsMatch, stockVersusFast, tf } from './stock-comparison.js';

const shapes: [number[], number[]][] = [
  [
    [7, 5],
    [5, 3],
  ],
  [
    [64, 30],
    [30, 16],
  ],
  [
    [2, 9, 4],
    [2, 4, 6],
  ],
  [
    [1, 1],
    [1, 1],
  ],
  [
    [512, 24],
    [24, 40],
  ], // 512 rows: the transposes take the blocked path
];

test('BatchMatMul with transpose flags equals the stock kernel in values and gradients', () => {
  let seed = 1;
  for (const [aShape, bShape] of shapes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aDims = [...aShape];
        const bDims = [...bShape];
        const r = aDims.length;
        // Store the operands already transposed so that matMul(transpose flags) is well-formed.
        if (transposeA) [aDims[r - 2], aDims[r - 1]] = [aDims[r - 1] as number, aDims[r - 2] as number];
        if (transposeB) [bDims[r - 2], bDims[r - 1]] = [bDims[r - 1] as number, bDims[r - 2] as number];
        const a = tf.randomNormal(aDims, 0, 1, 'float32', seed++);
        const b = tf.randomNormal(bDims, 0, 1, 'float32', seed++);
        const { stock, fast } = stockVersusFast('BatchMatMul', () => {
          const product = tf.matMul(a, b, transposeA, transposeB);
          const grads = tf.grads((x: Tensor, y: Tensor) =>
            tf.sum(tf.mul(tf.matMul(x, y, transposeA, transposeB), tf.matMul(x, y, transposeA, transposeB))),
          )([a, b]);
          return [product, ...grads];
        });
        // XNNPACK adds the products in another order than the stock strided loop; over 512 terms
        // (the gradients of the last shape) float32 rounding drifts further.
        const tolerance = Math.max(...aShape, ...bShape) > 100 ? 1e-4 : 1e-5;
        assertReadoutsMatch(stock, fast, `${aShape}x${bShape} tA=${transposeA} tB=${transposeB}`, tolerance);
        tf.dispose([a, b]);
      }
    }
  }
});

test('BatchMatMul leaves no tensors or wasm memory behind', () => {
  const a = tf.randomNormal([128, 64], 0, 1, 'float32', 11);
  const b = tf.randomNormal([128, 32], 0, 1, 'float32', 12);
  assertNoLeaks('BatchMatMul', () => tf.grads((x: Tensor) => tf.sum(tf.matMul(x, b, true, false)))([a]), 200);
  tf.dispose([a, b]);
});
