import { test } from 'node:test';
import { Adam } from './adam.js';
import { initRuntime } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

test('one-pass Adam follows tf.train.adam step for step', async () => {
  const tf = await initRuntime();
  const sizes = [7, 12];
  const params = sizes.map((n, i) => randomValues(i + 1, n));
  const variables = params.map((p) => tf.variable(tf.tensor1d(p)));
  const ours = new Adam({ learningRate: 0.01 }, sizes);
  const theirs = tf.train.adam(0.01);
  for (let step = 0; step < 25; step++) {
    const grads = sizes.map((n, i) => randomValues(100 * step + i, n, 1 + step / 10));
    ours.update(params, grads);
    const named: Record<string, ReturnType<typeof tf.tensor1d>> = {};
    variables.forEach((v, i) => {
      named[v.name] = tf.tensor1d(grads[i] as Float32Array);
    });
    theirs.applyGradients(named as never);
    tf.dispose(Object.values(named));
  }
  for (const [i, v] of variables.entries())
    assertClose(params[i] as Float32Array, valuesOf(v), 1e-6, 1e-5, `variable ${i}`);
  theirs.dispose();
  tf.dispose(variables);
});
