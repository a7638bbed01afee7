/**
 * A scalable Bloom filter of event ids: says "certainly never seen" for almost every new id
 * without a look-up in SQLite, which cost the service a `SELECT` per event (about 4 µs and a
 * page-cache read). A "maybe" is checked against the store. Memory is about 1.2 bytes per id
 * (1 % false positives per layer); when a layer holds its capacity a layer twice as large is
 * added with a tighter rate, so the overall false-positive rate stays under 2 % however many ids
 * the store accumulates (Almeida et al., "Scalable Bloom Filters", 2007).
 */

/** One fixed-size Bloom filter with `hashes` probes by double hashing. */
class BloomLayer {
  readonly bits: Uint32Array;
  readonly nBits: number;
  count = 0;

  constructor(
    readonly capacity: number,
    falsePositiveRate: number,
    readonly hashes = Math.max(1, Math.round(-Math.log2(falsePositiveRate))),
  ) {
    // m = -n ln p / (ln 2)^2, rounded up to whole 32-bit words.
    const m = Math.ceil((-capacity * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
    this.bits = new Uint32Array(Math.ceil(m / 32));
    this.nBits = this.bits.length * 32;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < this.hashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.nBits;
      (this.bits as Uint32Array)[bit >>> 5] = ((this.bits[bit >>> 5] as number) | (1 << (bit & 31))) >>> 0;
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < this.hashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.nBits;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit hashes of a string (FNV-1a and a multiplicative hash, each finalised). */
function hashPair(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  // An odd step visits distinct bits for every probe.
  return [a >>> 0, (b | 1) >>> 0];
}

/** Ids added so far, approximately: never a false "absent". */
export class EventIdFilter {
  private readonly layers: BloomLayer[] = [];
  private readonly rate: number;

  /**
   * @param initialCapacity ids the first layer holds at its rate (later layers double)
   * @param falsePositiveRate of the first layer; each later one has 0.8 times its predecessor's
   */
  constructor(initialCapacity = 1 << 20, falsePositiveRate = 0.01) {
    this.rate = falsePositiveRate;
    this.layers.push(new BloomLayer(Math.max(1024, initialCapacity), falsePositiveRate));
  }

  add(id: string): void {
    let layer = this.layers[this.layers.length - 1] as BloomLayer;
    if (layer.count >= layer.capacity) {
      layer = new BloomLayer(layer.capacity * 2, this.rate * 0.8 ** this.layers.length);
      this.layers.push(layer);
    }
    const [h1, h2] = hashPair(id);
    layer.add(h1, h2);
  }

  /** False: `id` was never added. True: it probably was. */
  mightContain(id: string): boolean {
    const [h1, h2] = hashPair(id);
    for (const layer of this.layers) if (layer.has(h1, h2)) return true;
    return false;
  }

  /** Ids added. */
  get size(): number {
    return this.layers.reduce((n, l) => n + l.count, 0);
  }

  /** Bytes the filter holds. */
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }
}
