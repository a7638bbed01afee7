/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, 32-bit, length
 * delimited). Written by hand so exporting a model needs no protobuf library or generated code;
 * onnxruntime and the `onnx` Python package read the result like any other `.onnx` file.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/**
 * Appends protobuf fields to a growing byte buffer. Nested messages are written by a child
 * writer and added as bytes, since their length prefix must come first.
 *
 * @example
 * const w = new ProtoWriter();
 * w.string(1, 'input').int64(2, 7);
 * const bytes = w.finish();
 */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  private rawVarint(value: bigint): void {
    // int64 fields encode negatives as their 64-bit two's complement (always 10 bytes).
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  private rawBytes(bytes: Uint8Array): void {
    this.rawVarint(BigInt(bytes.length));
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** An `int32`, `int64` or enum field. */
  int64(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf field ${field}: ${value} is not a safe integer`);
    }
    this.tag(field, WIRE_VARINT);
    this.rawVarint(BigInt(value));
    return this;
  }

  /** A `float` field (32-bit IEEE 754, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** A `string` field, UTF-8. */
  string(field: number, value: string): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawBytes(utf8.encode(value));
    return this;
  }

  /** A `bytes` field, or an already encoded nested message. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawBytes(value);
    return this;
  }

  /** A nested message written by `write` into a child writer. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    write(child);
    return this.bytes(field, child.finish());
  }

  /** The bytes written so far (a copy sized to fit). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
