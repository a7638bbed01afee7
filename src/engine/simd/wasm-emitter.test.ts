import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModuleEmitter, signedLeb, unsignedLeb } from './wasm-emitter.js';

test('LEB128 encodings match the WebAssembly spec examples', () => {
  assert.deepEqual(unsignedLeb(0), [0]);
  assert.deepEqual(unsignedLeb(127), [0x7f]);
  assert.deepEqual(unsignedLeb(128), [0x80, 0x01]);
  assert.deepEqual(unsignedLeb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(signedLeb(0), [0]);
  assert.deepEqual(signedLeb(-1), [0x7f]);
  assert.deepEqual(signedLeb(63), [0x3f]);
  assert.deepEqual(signedLeb(64), [0xc0, 0x00]);
  assert.deepEqual(signedLeb(-123456), [0xc0, 0xbb, 0x78]);
});

test('an emitted module validates and runs: a loop summing floats from its memory', () => {
  const module = new ModuleEmitter(1);
  // sum(at, n) stores Σ memory[at .. at+n) at address 0.
  module.addFunction('sum', ['i32', 'i32'], (f) => {
    const total = f.local('v128');
    const end = f.local('i32');
    f.v128Zero().set(total);
    f.get(0).get(1).i32(4).i32Mul().i32Add().set(end);
    f.block(() =>
      f.loop(() => {
        f.get(0).get(end).i32LtU().i32Eqz().brIf(1);
        f.get(total).get(0).v128Load32Splat(0).f32x4Add().set(total);
        f.get(0).i32(4).i32Add().set(0);
        f.br(0);
      }),
    );
    f.i32(0).get(total).v128Store(0);
  });
  const bytes = module.encode();
  assert.ok(WebAssembly.validate(bytes));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = exports.memory as WebAssembly.Memory;
  const heap = new Float32Array(memory.buffer);
  heap.set([1.5, 2, 3.25, -1], 16);
  (exports.sum as (at: number, n: number) => void)(64, 4);
  assert.deepEqual([...heap.subarray(0, 4)], [5.75, 5.75, 5.75, 5.75]);
});
