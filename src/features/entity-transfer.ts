import { type EntityState, WINDOW_SLOTS } from './entity-state.js';
import { type Group, newEntity } from './feature-executor.js';
import { eventCapacity } from './replay-group.js';

/**
 * A group's entities packed into a few flat typed arrays, to move them between threads in one
 * message (transferring the buffers, copying nothing) instead of as thousands of objects.
 */
export interface PackedEntities {
  /** The key code of each packed entity. */
  codes: Int32Array;
  /** Per entity its held events [eventStarts[k], eventStarts[k + 1]) of `events`, in events (× stride values). */
  eventStarts: Int32Array;
  events: Float64Array;
  /** Per entity, fixed widths: the group's cursor slots, scalars, novelty memories and counts, sequence ring. */
  cursors: Float64Array;
  scalars: Float64Array;
  novelty: Float64Array;
  noveltyStored: Float64Array;
  sequence: Float64Array;
}

const SCALARS = 6;

/** The entities of `settled` (by key code; undefined: none) packed. */
export function packEntities(group: Group, settled: readonly (EntityState | undefined)[]): PackedEntities {
  const kept: number[] = [];
  let heldEvents = 0;
  settled.forEach((e, code) => {
    if (e === undefined) return;
    kept.push(code);
    heldEvents += e.end;
  });
  const k = kept.length;
  const stride = group.stride;
  const cursorSlots = group.windows.length * WINDOW_SLOTS + group.delays.length;
  const noveltyWidth = group.noveltyMemories.reduce((a, b) => a + b, 0);
  const memories = group.noveltyMemories.length;
  const packed: PackedEntities = {
    codes: Int32Array.from(kept),
    eventStarts: new Int32Array(k + 1),
    events: new Float64Array(heldEvents * stride),
    cursors: new Float64Array(k * cursorSlots),
    scalars: new Float64Array(k * SCALARS),
    novelty: new Float64Array(k * noveltyWidth),
    noveltyStored: new Float64Array(k * memories),
    sequence: new Float64Array(k * group.sequenceSlots),
  };
  let at = 0;
  kept.forEach((code, j) => {
    const e = settled[code] as EntityState;
    packed.events.set(e.events.subarray(0, e.end * stride), at * stride);
    at += e.end;
    packed.eventStarts[j + 1] = at;
    packed.cursors.set(e.cursors, j * cursorSlots);
    packed.scalars.set(
      [e.lastSeconds, e.lastLocatedSeconds, e.lastLatitude, e.lastLongitude, e.sequenceCount, e.sequenceHead],
      j * SCALARS,
    );
    let offset = j * noveltyWidth;
    for (const memory of e.novelty) {
      packed.novelty.set(memory, offset);
      offset += memory.length;
    }
    packed.noveltyStored.set(e.noveltyStored, j * memories);
    packed.sequence.set(e.sequence, j * group.sequenceSlots);
  });
  return packed;
}

/** The buffers of a packed group, to list as a message's transfers. */
export function packedBuffers(packed: PackedEntities): ArrayBuffer[] {
  return [
    packed.codes,
    packed.eventStarts,
    packed.events,
    packed.cursors,
    packed.scalars,
    packed.novelty,
    packed.noveltyStored,
    packed.sequence,
  ].map((a) => a.buffer as ArrayBuffer);
}

/** Calls `each(code, entity)` for every packed entity, rebuilt as its thread held it, in code order. */
export function unpackEntities(
  group: Group,
  packed: PackedEntities,
  each: (code: number, entity: EntityState) => void,
): void {
  const stride = group.stride;
  const cursorSlots = group.windows.length * WINDOW_SLOTS + group.delays.length;
  const noveltyWidth = group.noveltyMemories.reduce((a, b) => a + b, 0);
  const memories = group.noveltyMemories.length;
  for (let j = 0; j < packed.codes.length; j++) {
    const from = packed.eventStarts[j] as number;
    const live = (packed.eventStarts[j + 1] as number) - from;
    const entity: EntityState = newEntity(group, eventCapacity(live));
    entity.events.set(packed.events.subarray(from * stride, (from + live) * stride));
    entity.end = live;
    entity.cursors.set(packed.cursors.subarray(j * cursorSlots, (j + 1) * cursorSlots));
    const s = j * SCALARS;
    const scalars = packed.scalars;
    entity.lastSeconds = scalars[s] as number;
    entity.lastLocatedSeconds = scalars[s + 1] as number;
    entity.lastLatitude = scalars[s + 2] as number;
    entity.lastLongitude = scalars[s + 3] as number;
    entity.sequenceCount = scalars[s + 4] as number;
    entity.sequenceHead = scalars[s + 5] as number;
    let offset = j * noveltyWidth;
    for (const memory of entity.novelty) {
      memory.set(packed.novelty.subarray(offset, offset + memory.length));
      offset += memory.length;
    }
    entity.noveltyStored.set(packed.noveltyStored.subarray(j * memories, (j + 1) * memories));
    entity.sequence.set(packed.sequence.subarray(j * group.sequenceSlots, (j + 1) * group.sequenceSlots));
    each(packed.codes[j] as number, entity);
  }
}
