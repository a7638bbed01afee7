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

/** The least room in events an entity's array is shrunk to (a new entity starts with 4). */
export const MIN_EVENT_CAPACITY = 8;

/**
 * The room for `live` events in an array of `capacity`: halved (down to {@link MIN_EVENT_CAPACITY})
 * while they would fill at most an eighth of it, else unchanged.
 */
function shrunkRoom(live: number, capacity: number): number {
  let room = capacity;
  while (live * 8 <= room && room > MIN_EVENT_CAPACITY) room = Math.max(MIN_EVENT_CAPACITY, Math.floor(room / 2));
  return room;
}

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
      const oldest = this.oldestNeeded(loSlots);
      const live = this.end - oldest;
      const capacity = this.capacity;
      this.moveTo(oldest, live * 2 > capacity ? capacity * 2 : shrunkRoom(live, capacity), positionSlots);
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
   * Gives back room the events its windows still need no longer use (see {@link shrunkRoom});
   * returns whether it did. The array doubles when it is full and those events fill more than half
   * of it, so without this an entity kept room for the most it ever held: a terminal's busy day
   * for as long as the terminal lives. The appends shrink it when they find it full, and the
   * executor's sweeps call this for every entity, since one that has gone quiet may not fill its
   * array again for months.
   */
  shrinkToFit(loSlots: Int32Array, positionSlots: Int32Array): boolean {
    const oldest = this.oldestNeeded(loSlots);
    const room = shrunkRoom(this.end - oldest, this.capacity);
    if (room === this.capacity) return false;
    this.moveTo(oldest, room, positionSlots);
    return true;
  }

  /** The first event some window still needs (every window has passed the ones before). */
  private oldestNeeded(loSlots: Int32Array): number {
    let oldest = this.end;
    for (let i = 0; i < loSlots.length; i++) oldest = Math.min(oldest, this.cursors[loSlots[i] as number] as number);
    return oldest;
  }

  /**
   * Drops the events before `oldestNeeded` into an array with room for `room` events (the same
   * array when its size does not change); cursors shift with the events.
   */
  private moveTo(oldestNeeded: number, room: number, positionSlots: Int32Array): void {
    const stride = this.stride;
    if (room * stride === this.events.length) this.events.copyWithin(0, oldestNeeded * stride, this.end * stride);
    else {
      const moved = new Float64Array(room * stride);
      moved.set(this.events.subarray(oldestNeeded * stride, this.end * stride));
      this.events = moved;
    }
    const c = this.cursors;
    for (let i = 0; i < positionSlots.length; i++) {
      const slot = positionSlots[i] as number;
      c[slot] = (c[slot] as number) - oldestNeeded;
    }
    this.end -= oldestNeeded;
  }

  /** Capacity in events, for tests of bounded memory. */
  get capacity(): number {
    return this.events.length / this.stride;
  }
}
