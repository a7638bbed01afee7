import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulReplacement } from './batch-mat-mul.js';
import { conv2dBackpropFilterReplacement } from './conv2d-backprop-filter.js';
import { equalReplacement } from './equal.js';
import { identityReplacement } from './identity.js';
import { sumReplacement } from './sum.js';
import { tanhReplacement } from './tanh.js';
import { tileReplacement } from './tile.js';
import { transposeReplacement } from './transpose.js';
import { type KernelReplacement, requireStock } from './wasm-backend.js';

/**
 * Vigil's replacements for tfjs-wasm kernels that are slow on the shapes training produces, or
 * missing. Each file holds one kernel and says why it exists; each is tested against the stock
 * kernel (or the cpu backend where wasm has none) and timed by `npm run bench:kernels`.
 */
export const KERNEL_REPLACEMENTS: readonly KernelReplacement[] = [
  batchMatMulReplacement,
  transposeReplacement,
  sumReplacement,
  conv2dBackpropFilterReplacement,
  equalReplacement,
  tileReplacement,
  identityReplacement,
  tanhReplacement,
];

/**
 * Every kernel a replacement replaces or builds on, as tfjs-wasm registered it, captured once
 * before the first replacement went in (undefined: wasm has no such kernel).
 */
let stockKernels: Map<string, KernelConfig | undefined> | undefined;
const fastKernelFuncs = new Map<string, KernelFunc>();

/** Kernels the replacements call into, beyond the ones they replace. */
const BUILDING_BLOCKS = ['Add', 'Sigmoid', 'Sub'];

function captureStockKernels(): Map<string, KernelConfig | undefined> {
  const names = [...KERNEL_REPLACEMENTS.map((r) => r.kernelName), ...BUILDING_BLOCKS];
  const captured = new Map(names.map((name) => [name, tf.getKernel(name, 'wasm')] as const));
  // Fail before anything is unregistered when the wasm backend is not set up yet.
  requireStock((name) => captured.get(name), 'BatchMatMul');
  return captured;
}

/**
 * Installs (or removes) all of Vigil's wasm kernel replacements. Called from the runtime module only,
 * after `setBackend('wasm')`. Disabling restores exactly the stock registrations (and leaves kernels
 * wasm lacks, such as Conv2DBackpropFilter, unregistered again).
 */
export function registerFastKernels(enabled: boolean): void {
  stockKernels ??= captureStockKernels();
  const stock = stockKernels;
  const lookup = (name: string) => stock.get(name);
  for (const replacement of KERNEL_REPLACEMENTS) {
    const { kernelName } = replacement;
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    if (enabled) {
      let kernelFunc = fastKernelFuncs.get(kernelName);
      if (!kernelFunc) {
        kernelFunc = replacement.create(lookup);
        fastKernelFuncs.set(kernelName, kernelFunc);
      }
      // No setupFunc: the stock kernels' setup already ran and bound their wasm functions.
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    } else {
      const original = stock.get(kernelName);
      if (original) tf.registerKernel({ ...original, setupFunc: undefined });
    }
  }
}
