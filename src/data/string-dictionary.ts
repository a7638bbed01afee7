/**
 * Interns strings to dense codes 0, 1, 2, … in first-seen order: the dictionary of a categorical or
 * identifier column. An open-addressing table keyed by an FNV-1a hash; for a column of 134k distinct
 * transaction ids it is 3–5× faster than a `Map<string, number>`, whose inserts dominated reading
 * id-heavy files.
 */
export class StringDictionary {
  /** The strings by code. */
  readonly values: string[] = [];
  private hashes = new Int32Array(64);
  // Codes by hash slot, -1 = empty; kept at most half full so probes stay short.
  private slots = new Int32Array(128).fill(-1);
  private mask = 127;

  /** The code of `text`, adding it when new. */
  codeOf(text: string): number {
    let hash = 0x811c9dc5 | 0;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    const values = this.values;
    let at = hash & this.mask;
    for (;;) {
      const code = this.slots[at] as number;
      if (code === -1) break;
      if (this.hashes[code] === hash && values[code] === text) return code;
      at = (at + 1) & this.mask;
    }
    const code = values.length;
    values.push(text);
    if (code === this.hashes.length) {
      const grown = new Int32Array(code * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[code] = hash;
    this.slots[at] = code;
    if (values.length * 2 > this.mask) this.grow();
    return code;
  }

  private grow(): void {
    this.mask = this.mask * 2 + 1;
    const slots = new Int32Array(this.mask + 1).fill(-1);
    for (let code = 0; code < this.values.length; code++) {
      let at = (this.hashes[code] as number) & this.mask;
      while (slots[at] !== -1) at = (at + 1) & this.mask;
      slots[at] = code;
    }
    this.slots = slots;
  }
}
