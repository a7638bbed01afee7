/**
 * Category values (IP addresses, device ids, terminals, countries) as 52-bit hashes, so distinct
 * counts and first-use memories compare numbers in typed arrays and need no dictionary that would
 * grow with every IP ever seen. Two different values collide with probability about 2⁻⁵², far
 * below anything a feature could show; the hash is fixed, so replayed and online values agree.
 */

/** The hash of a value, or NaN when the event has none (undefined or empty). */
export function hashCategory(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const text = typeof value === 'string' ? value : String(value);
  if (text.length === 0) return Number.NaN;
  // Two independent 32-bit FNV-1a style passes with a final avalanche each.
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a ^= a >>> 16;
  b = Math.imul(b ^ (b >>> 16), 0x7feb352d);
  b = Math.imul(b ^ (b >>> 15), 0x846ca68b);
  b ^= b >>> 16;
  return (a >>> 0) * 0x100000 + (b >>> 12);
}
