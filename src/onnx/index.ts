/**
 * ONNX: export Vigil networks as standard `.onnx` files and score them, or models trained
 * elsewhere, with onnxruntime on the CPU.
 *
 * - {@link networkToOnnx}: a network spec and its weights → ONNX bytes (opset 17, hand-written
 *   protobuf, no extra dependency);
 * - {@link createOnnxRunner}: the same network as a {@link NetworkRunner} on onnxruntime, the
 *   fast path for scoring (tens of microseconds per row);
 * - {@link createOnnxRunnerFromBytes}: a runner over an external ONNX model (PyTorch, skl2onnx…).
 *
 * @example
 * const runner = await createOnnxRunner(spec, weights);
 * const logits = await runner.run(x, nRows);
 */
export {
  checkNetworkWeights,
  NETWORK_INPUT_NAME,
  NETWORK_OUTPUT_NAME,
  type NetworkToOnnxOptions,
  networkToOnnx,
} from './network-to-onnx.js';
export {
  encodeOnnxModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-model.js';
export {
  createOnnxRunner,
  createOnnxRunnerFromBytes,
  type OnnxBytesRunnerOptions,
  type OnnxModelRunner,
  type OnnxRunnerOptions,
  onnxRunnerFactory,
} from './onnx-runner.js';
export {
  type OnnxSession,
  type OnnxSessionOptions,
  type OnnxValueMetadata,
  onnxruntimeVersion,
  openOnnxSession,
} from './onnx-session.js';
