/**
 * How replicas of one training run talk: a sum over all replicas of a buffer each of them holds.
 * Every replica receives the bit-identical result (the sum is taken in rank order by each), which
 * is what keeps data-parallel replicas identical without ever shipping weights.
 */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** Replaces `buffer` with the element-wise sum of every replica's `buffer` (same length on all). */
  allReduceSum(buffer: Float32Array): void;
}

/** The one-replica case: the sum of one buffer is itself. */
export const SOLO: Communicator = { rank: 0, size: 1, allReduceSum: () => {} };

/** Thrown in a replica when another replica failed; the failing replica reports the real error. */
export class ReplicaAbortedError extends Error {
  readonly code = 'replica_aborted';
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
const CONTROL_INTS = 4;

/** Shared memory for one run: control words and, per call parity and rank, one slot of `capacity` floats. */
export interface CommunicatorMemory {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  capacity: number;
  size: number;
}

/** Allocates the shared memory for `size` replicas exchanging at most `capacity` floats per call. */
export function allocateCommunicator(size: number, capacity: number): CommunicatorMemory {
  return {
    control: new SharedArrayBuffer(CONTROL_INTS * 4),
    slots: new SharedArrayBuffer(2 * size * capacity * 4),
    capacity,
    size,
  };
}

/**
 * A communicator over SharedArrayBuffers for replicas in worker threads (the main thread is
 * rank 0 and blocks in Atomics.wait, which Node allows).
 *
 * Each call writes this rank's slot, meets the others at a barrier, then sums all slots. Slots
 * alternate between two halves by call parity: a replica can only overwrite a half after the
 * next barrier, which every replica reaches only after it finished reading that half. So one
 * barrier per call suffices.
 */
export class SharedCommunicator implements Communicator {
  private readonly control: Int32Array;
  private readonly slots: Float32Array;
  private calls = 0;

  constructor(
    private readonly memory: CommunicatorMemory,
    readonly rank: number,
  ) {
    this.control = new Int32Array(memory.control);
    this.slots = new Float32Array(memory.slots);
  }

  get size(): number {
    return this.memory.size;
  }

  allReduceSum(buffer: Float32Array): void {
    const { capacity, size } = this.memory;
    if (buffer.length > capacity) throw new Error(`all-reduce of ${buffer.length} floats exceeds capacity ${capacity}`);
    const half = (this.calls & 1) * size * capacity;
    this.calls++;
    this.slots.set(buffer, half + this.rank * capacity);
    this.barrier();
    const n = buffer.length;
    const first = this.slots.subarray(half, half + n);
    buffer.set(first);
    for (let r = 1; r < size; r++) {
      const base = half + r * capacity;
      for (let i = 0; i < n; i++) buffer[i] = (buffer[i] as number) + (this.slots[base + i] as number);
    }
  }

  /** Marks the run as failed so every replica stops at its next barrier instead of waiting forever. */
  abort(): void {
    Atomics.store(this.control, ABORT, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }

  private barrier(): void {
    const c = this.control;
    if (Atomics.load(c, ABORT) !== 0) throw new ReplicaAbortedError('another replica failed');
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.memory.size - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    while (Atomics.load(c, GENERATION) === generation) {
      Atomics.wait(c, GENERATION, generation, 1000);
    }
    if (Atomics.load(c, ABORT) !== 0) throw new ReplicaAbortedError('another replica failed');
  }
}
