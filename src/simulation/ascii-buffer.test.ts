import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AsciiBuffer, encodeAscii } from './ascii-buffer.js';

const text = (write: (out: AsciiBuffer) => void): string => {
  const out = new AsciiBuffer(4);
  write(out);
  return out.take().toString('latin1');
};

describe('AsciiBuffer', () => {
  it('writes integers with optional zero padding', () => {
    assert.equal(
      text((o) => o.uint(0)),
      '0',
    );
    assert.equal(
      text((o) => o.uint(1_000_000)),
      '1000000',
    );
    assert.equal(
      text((o) => o.uint(42, 6)),
      '000042',
    );
  });

  it('writes decimals exactly as String() does for values rounded to that many places', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 4 }), (units, decimals) => {
        const value = units / 10 ** decimals;
        assert.equal(
          text((o) => o.decimal(value, decimals)),
          String(value),
        );
      }),
      { numRuns: 2_000 },
    );
    assert.equal(
      text((o) => o.decimal(0.00004, 4)),
      '0',
    );
  });

  it('grows when reserved and starts over after take()', () => {
    const out = new AsciiBuffer(2);
    const [label] = encodeAscii(['debt-consolidation']);
    out.reserve(64);
    out.ascii(label as Uint8Array);
    assert.equal(out.take().toString('latin1'), 'debt-consolidation');
    assert.equal(out.length, 0);
  });
});
