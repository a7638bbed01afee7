import type { TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { VigilError } from '../../errors.js';
import { callKernel, freshCopy, type KernelReplacement, requireStock, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Conv2DBackpropFilter, the filter gradient of tf.conv2d and tf.conv1d. tfjs-wasm registers no
 * such kernel, so without this one a convolution cannot be trained on the wasm backend at all
 * (the gradient throws "kernel not registered"). It is built as im2col + one matrix product:
 *   dW[kh·kw·ci, co] = colsᵀ[kh·kw·ci, b·oh·ow] · dy[b·oh·ow, co],
 * where each column of colsᵀ is the input patch one output position saw (zeros where the patch
 * hangs over the padding). The product runs on the stock wasm BatchMatMul (XNNPACK, SIMD), with
 * dy copied first (see {@link freshCopy}). The stock Conv3DBackpropFilterV2 on a depth-1 view
 * gives the same result but measured about 20× slower than this.
 */

interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Writes the transposed im2col matrix of x (NHWC) for `info` into colsT, row-major
 * [filterHeight·filterWidth·inChannels, batch·outHeight·outWidth].
 */
export function im2colTransposed(x: Float32Array, colsT: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const positions = batchSize * outHeight * outWidth;
  let p = 0;
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, p++) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const iy = oy * strideHeight + kh - top;
          const rowInside = iy >= 0 && iy < inHeight;
          for (let kw = 0; kw < filterWidth; kw++) {
            const ix = ox * strideWidth + kw - left;
            let row = (kh * filterWidth + kw) * inChannels * positions + p;
            if (rowInside && ix >= 0 && ix < inWidth) {
              let xi = xBatch + (iy * inWidth + ix) * inChannels;
              for (let c = 0; c < inChannels; c++, xi++, row += positions) colsT[row] = x[xi] as number;
            } else {
              for (let c = 0; c < inChannels; c++, row += positions) colsT[row] = 0;
            }
          }
        }
      }
    }
  }
}

/** Vigil's Conv2DBackpropFilter kernel for NHWC float32 (what tf.conv1d and tf.conv2d produce). */
export const conv2dBackpropFilterReplacement: KernelReplacement = {
  kernelName: 'Conv2DBackpropFilter',
  create(stock) {
    const stockBatchMatMul = requireStock(stock, 'BatchMatMul');
    return (args) => {
      const { inputs, attrs, backend } = args as unknown as WasmKernelArgs<
        { x: TensorInfo; dy: TensorInfo },
        Conv2DBackpropFilterAttrs
      >;
      const { x, dy } = inputs;
      if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
        throw new VigilError(
          'unsupported_kernel_input',
          `Conv2DBackpropFilter on wasm supports NHWC float32 only (got ${attrs.dataFormat}, ${x.dtype}, ${dy.dtype})`,
        );
      }
      const info = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const k = info.filterHeight * info.filterWidth * info.inChannels;
      const positions = info.batchSize * info.outHeight * info.outWidth;
      if (k * positions === 0 || info.outChannels === 0) {
        const zeros = backend.makeOutput(attrs.filterShape, 'float32');
        backend.typedArrayFromHeap(zeros).fill(0);
        return zeros;
      }
      const colsT = backend.makeOutput([1, k, positions], 'float32');
      const dyMatrix = freshCopy(dy, [1, positions, info.outChannels], backend);
      try {
        im2colTransposed(
          backend.typedArrayFromHeap(x) as Float32Array,
          backend.typedArrayFromHeap(colsT) as Float32Array,
          info,
        );
        const dw = callKernel(
          stockBatchMatMul,
          backend,
          { a: colsT, b: dyMatrix },
          { transposeA: false, transposeB: false },
        );
        return { dataId: dw.dataId, shape: [...attrs.filterShape], dtype: 'float32' };
      } finally {
        // Neither intermediate becomes a tensor, so the engine would not free them.
        backend.disposeData(colsT.dataId);
        backend.disposeData(dyMatrix.dataId);
      }
    };
  },
};
