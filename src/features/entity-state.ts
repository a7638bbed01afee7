/**
 * One entity's state (a customer, terminal, IP or device): its recent events in one growable
 * typed array, its windows' cursors and running sums in another, the previous event and located
 * event, novelty memories and the sequence ring. An update touches a few cache lines per entity.
 */

/** Per event: time, amount, label, ordinal, then the hashed category values distinct windows count. */
export const EVENT_TIME = 0;
export const EVENT_AMOUNT = 1;
export const EVENT_LABEL = 2;
export const EVENT_ORDINAL = 3;
export const EVENT_FIXED_FIELDS = 4;

/** Per window: the first event inside and the running amount and label sums over [lo, hi). */
export const WINDOW_LO = 0;
export const WINDOW_AMOUNT = 1;
export const WINDOW_LABEL = 2;
export const WINDOW_SLOTS = 3;

export class EntityState {
  events: Float64Array;
  /** Events held: [0, end). */
  end = 0;
  /** Per window {@link WINDOW_SLOTS} numbers, then per distinct delay the end (exclusive) of the events old enough. */
  readonly cursors: Float64Array;
  lastSeconds = Number.NaN;
  lastLocatedSeconds = Number.NaN;
  lastLatitude = 0;
  lastLongitude = 0;
  /** Per firstUse feature: the last distinct values seen, hashed, and how many were ever stored. */
  readonly novelty: Float64Array[];
  readonly noveltyStored: Float64Array;
  /** Feature vectors of the previous events, oldest overwritten first; `sequenceCount` held, newest at `sequenceHead - 1`. */
  sequence: Float64Array;
  sequenceCount = 0;
  sequenceHead = 0;

  constructor(
    readonly stride: number,
    cursorSlots: number,
    noveltyMemories: readonly number[],
    sequenceSlots: number,
    initialEvents = 4,
  ) {
    this.events = new Float64Array(initialEvents * stride);
    this.cursors = new Float64Array(cursorSlots);
    this.novelty = noveltyMemories.map((m) => new Float64Array(m));
    this.noveltyStored = new Float64Array(noveltyMemories.length);
    this.sequence = new Float64Array(sequenceSlots);
  }

  /**
   * Appends an event's fixed fields (`fields` at the EVENT_ offsets) and returns its offset, so the caller can write the category
   * values. `loSlots` are the cursor slots of the windows' first events (nothing before the
   * smallest is needed any more); `positionSlots` every slot that holds an event position.
   */
  append(fields: Float64Array, loSlots: Int32Array, positionSlots: Int32Array): number {
    if ((this.end + 1) * this.stride > this.events.length) {
      let oldest = this.end;
      for (let i = 0; i < loSlots.length; i++) oldest = Math.min(oldest, this.cursors[loSlots[i] as number] as number);
      this.makeRoom(oldest, positionSlots);
    }
    const at = this.end * this.stride;
    const e = this.events;
    e[at + EVENT_TIME] = fields[EVENT_TIME] as number;
    e[at + EVENT_AMOUNT] = fields[EVENT_AMOUNT] as number;
    e[at + EVENT_LABEL] = fields[EVENT_LABEL] as number;
    e[at + EVENT_ORDINAL] = fields[EVENT_ORDINAL] as number;
    this.end++;
    return at;
  }

  /**
   * Drops events before `oldestNeeded` (every window has passed them) and grows the array when the
   * live part still fills more than half of it; cursors shift with the events.
   */
  private makeRoom(oldestNeeded: number, positionSlots: Int32Array): void {
    const stride = this.stride;
    const live = this.end - oldestNeeded;
    if (live * stride <= this.events.length / 2) {
      this.events.copyWithin(0, oldestNeeded * stride, this.end * stride);
    } else {
      const grown = new Float64Array(this.events.length * 2);
      grown.set(this.events.subarray(oldestNeeded * stride, this.end * stride));
      this.events = grown;
    }
    const c = this.cursors;
    for (let i = 0; i < positionSlots.length; i++) {
      const slot = positionSlots[i] as number;
      c[slot] = (c[slot] as number) - oldestNeeded;
    }
    this.end = live;
  }

  /** Capacity in events, for tests of bounded memory. */
  get capacity(): number {
    return this.events.length / this.stride;
  }
}
