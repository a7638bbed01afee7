/**
 * The subset of the ONNX `ModelProto` that Vigil writes, as plain data, and its encoder.
 * Field numbers are those of `onnx/onnx.proto` (stable since IR version 3).
 */
import { ProtoWriter } from './protobuf-writer.js';

/** ONNX `TensorProto.DataType` values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
export const ONNX_DOUBLE = 11;

const ELEM_TYPES = { float32: ONNX_FLOAT, float64: ONNX_DOUBLE, int64: ONNX_INT64 } as const;

/** IR version 8 (ONNX 1.10+): read by every onnxruntime since 1.10. */
export const ONNX_IR_VERSION = 8;
/** The default-domain opset the exporter targets (onnxruntime ≥ 1.12 runs it). */
export const ONNX_OPSET = 17;

/** A constant tensor (graph initializer or tensor attribute). */
export type OnnxTensor =
  | { name: string; dims: number[]; dataType: 'float32'; values: Float32Array }
  | { name: string; dims: number[]; dataType: 'int64'; values: BigInt64Array };

/** One node attribute; `kind` picks the AttributeProto field. */
export type OnnxAttribute =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'floats'; value: number[] }
  | { name: string; kind: 'ints'; value: number[] }
  | { name: string; kind: 'strings'; value: string[] };

export interface OnnxNode {
  opType: string;
  /** Tensor names; `''` marks an optional input or output left out. */
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: OnnxAttribute[];
}

/** A graph input or output: a tensor with fixed sizes or named (dynamic) dimensions. */
export interface OnnxValueInfo {
  name: string;
  elemType: keyof typeof ELEM_TYPES;
  /** A number is a fixed size, a string a symbolic dimension such as the batch size `'N'`. */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  irVersion?: number;
  opsetVersion?: number;
  /** `metadata_props`: free key/value pairs readers can show (onnxruntime's `modelMetadata`). */
  metadata?: Record<string, string>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.int64(1, d);
  w.int64(2, t.dataType === 'float32' ? ONNX_FLOAT : ONNX_INT64);
  w.string(8, t.name);
  // raw_data is little-endian by the ONNX spec; DataView makes that explicit whatever the host.
  const raw = new Uint8Array(t.values.length * (t.dataType === 'float32' ? 4 : 8));
  const view = new DataView(raw.buffer);
  if (t.dataType === 'float32') {
    for (let i = 0; i < t.values.length; i++) view.setFloat32(i * 4, t.values[i] as number, true);
  } else {
    for (let i = 0; i < t.values.length; i++) view.setBigInt64(i * 8, t.values[i] as bigint, true);
  }
  w.bytes(9, raw);
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(1, a.name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int64(3, a.value);
      break;
    case 'string':
      w.bytes(4, new TextEncoder().encode(a.value));
      break;
    case 'floats':
      for (const v of a.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of a.value) w.int64(8, v);
      break;
    case 'strings':
      for (const v of a.value) w.bytes(9, new TextEncoder().encode(v));
      break;
  }
  w.int64(20, ATTRIBUTE_TYPE[a.kind]);
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, (aw) => writeAttribute(aw, a));
  if (n.domain !== undefined) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  // TypeProto.tensor_type → TypeProto.Tensor { elem_type, shape: TensorShapeProto { dim* } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int64(1, ELEM_TYPES[v.elemType]);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int64(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/**
 * Encodes a model as ONNX protobuf bytes (what a `.onnx` file holds).
 *
 * @example
 * const bytes = encodeOnnxModel({ producerName: 'vigil', graph: { name: 'g', nodes: [
 *   { opType: 'Sigmoid', inputs: ['input'], outputs: ['output'] }], initializers: [],
 *   inputs: [{ name: 'input', elemType: 'float32', shape: ['N', 1] }],
 *   outputs: [{ name: 'output', elemType: 'float32', shape: ['N', 1] }] } });
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int64(1, model.irVersion ?? ONNX_IR_VERSION);
  w.string(2, model.producerName);
  if (model.producerVersion !== undefined) w.string(3, model.producerVersion);
  if (model.docString !== undefined) w.string(6, model.docString);
  w.message(7, (gw) => writeGraph(gw, model.graph));
  // OperatorSetIdProto { domain = '' (the default ONNX domain), version }
  w.message(8, (ow) => ow.string(1, '').int64(2, model.opsetVersion ?? ONNX_OPSET));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (mw) => mw.string(1, key).string(2, value));
  }
  return w.finish();
}
