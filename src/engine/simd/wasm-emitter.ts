/**
 * A minimal WebAssembly binary emitter: one memory, functions built instruction by instruction.
 * Vigil's matrix kernels are generated (unrolled register tiles) rather than hand-written, and
 * emitting the binary directly keeps them readable as TypeScript, needs no toolchain, and lets
 * the same generator produce the FMA (relaxed SIMD) or the plain SIMD variant at run time.
 * Only the instructions the kernels use are here.
 */

export type ValueType = 'i32' | 'f32' | 'v128';

const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Unsigned LEB128. */
export function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function signedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(name: string): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsignedLeb(body.length), ...body];
}

const SIMD = 0xfd;

/**
 * The body of one function. Methods append instructions in stack-machine order and return
 * `this`, so a kernel reads like the WebAssembly text format: `f.get(a).get(b).i32Add()`.
 */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly localTypes: ValueType[] = [];

  constructor(readonly params: ValueType[]) {}

  /** Declares a local of `type` and returns its index. */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  get(index: number): this {
    return this.op(0x20, ...unsignedLeb(index));
  }
  set(index: number): this {
    return this.op(0x21, ...unsignedLeb(index));
  }
  tee(index: number): this {
    return this.op(0x22, ...unsignedLeb(index));
  }
  i32(value: number): this {
    return this.op(0x41, ...signedLeb(value));
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32ShrU(): this {
    return this.op(0x76);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32LeU(): this {
    return this.op(0x4d);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  /** `block … end`; `br 0` inside jumps to its end. */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `loop … end`; `br 0` inside jumps back to its start. */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  /** `if … end` on the i32 on the stack. */
  ifThen(body: () => void): this {
    this.op(0x04, 0x40);
    body();
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, ...unsignedLeb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...unsignedLeb(depth));
  }
  f32Load(offset = 0): this {
    return this.op(0x2a, 2, ...unsignedLeb(offset));
  }
  f32Store(offset = 0): this {
    return this.op(0x38, 2, ...unsignedLeb(offset));
  }
  f32(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(0x43, ...bytes);
  }
  v128Load(offset = 0): this {
    return this.simd(0x00, 4, ...unsignedLeb(offset));
  }
  /** Loads one f32 and splats it to all four lanes. */
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, 2, ...unsignedLeb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, 4, ...unsignedLeb(offset));
  }
  v128Zero(): this {
    return this.simd(0x0c, ...new Array<number>(16).fill(0));
  }
  f32x4Splat(): this {
    return this.simd(0x13);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  f32x4Max(): this {
    return this.simd(0xe9);
  }
  f32x4Sub(): this {
    return this.simd(0xe5);
  }
  f32x4Div(): this {
    return this.simd(0xe7);
  }
  f32x4Sqrt(): this {
    return this.simd(0xe3);
  }
  f32x4Min(): this {
    return this.simd(0xe8);
  }
  /** Rounds each lane to the nearest integer, ties to even. */
  f32x4Nearest(): this {
    return this.simd(0x6a);
  }
  /** Float lanes to int32 lanes, truncating and saturating. */
  i32x4TruncSatF32x4S(): this {
    return this.simd(0xf8);
  }
  i32x4Splat(): this {
    return this.simd(0x11);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  /** Shifts each int32 lane left by the i32 on the stack. */
  i32x4Shl(): this {
    return this.simd(0xab);
  }
  /** Lane-wise a > b as an all-ones / all-zeros mask. */
  f32x4Gt(): this {
    return this.simd(0x44);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  /** a·b + c, fused where the CPU has FMA (relaxed SIMD); the stack holds a, b, c. */
  f32x4RelaxedMadd(): this {
    return this.simd(0x105);
  }

  /** The encoded body: locals, then code, then `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.localTypes) groups.push([...unsignedLeb(1), VALUE_TYPE[type]]);
    const body = [...vector(groups), ...this.code, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.op(SIMD, ...unsignedLeb(opcode), ...immediates);
  }
}

/** A module with one exported memory (`memory`) and exported functions without results. */
export class ModuleEmitter {
  private readonly functions: { name: string; body: FunctionBody }[] = [];

  constructor(private readonly memoryPages: number) {}

  /** Adds an exported function; `build` appends its instructions. */
  addFunction(name: string, params: ValueType[], build: (f: FunctionBody) => void): void {
    const body = new FunctionBody(params);
    build(body);
    this.functions.push({ name, body });
  }

  encode(): Uint8Array<ArrayBuffer> {
    const types = this.functions.map(({ body }) => [
      0x60,
      ...vector(body.params.map((p) => [VALUE_TYPE[p]])),
      ...vector([]),
    ]);
    const bytes = [
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vector(types)),
      ...section(3, vector(this.functions.map((_, i) => unsignedLeb(i)))),
      ...section(5, vector([[0x00, ...unsignedLeb(this.memoryPages)]])),
      ...section(
        7,
        vector([
          [...utf8('memory'), 0x02, 0x00],
          ...this.functions.map(({ name }, i) => [...utf8(name), 0x00, ...unsignedLeb(i)]),
        ]),
      ),
      ...section(10, vector(this.functions.map(({ body }) => body.encode()))),
    ];
    return new Uint8Array(bytes);
  }
}
