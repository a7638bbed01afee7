import {
  allocateCommunicator,
  type Communicator,
  type CommunicatorMemory,
  SharedCommunicator,
} from './communicator.js';
import { replicaWorkers, runOnWorker } from './replica-pool.js';
import type { ReplicaRequest } from './replica-worker.js';

/** A copy of `values` in shared memory, readable in place by every replica. */
export function sharedCopy(values: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(values.byteLength));
  out.set(values);
  return out;
}

/**
 * Runs `threads` replicas: ranks 1.. in pooled worker threads (from `request`), rank 0 on this
 * thread (`runLocal`), and returns rank 0's result with every rank's weight checksum.
 * A failure in any replica aborts the others and surfaces as the failing replica's error.
 */
export async function runDataParallel<R extends { checksum: string }>(
  threads: number,
  exchangeLength: number,
  request: (memory: CommunicatorMemory, rank: number) => ReplicaRequest,
  runLocal: (comm: Communicator) => Promise<R>,
): Promise<{ result: R; checksums: string[] }> {
  // Validation outputs are exchanged in pieces of 65,536 floats; steps need the gradient length.
  const memory = allocateCommunicator(threads, Math.max(exchangeLength, 1 << 16));
  const workers = await replicaWorkers(threads - 1);
  const replies = workers.map((worker, i) => runOnWorker(worker, request(memory, i + 1)));
  const comm = new SharedCommunicator(memory, 0);
  let result: R;
  try {
    result = await runLocal(comm);
  } catch (error) {
    comm.abort();
    // Prefer a worker's own error over this thread's "another replica failed".
    const answers = await Promise.all(replies);
    const failed = answers.find((a) => !a.ok && !a.aborted);
    if (failed && !failed.ok) throw new Error(`training replica failed: ${failed.message}`, { cause: error });
    throw error;
  }
  const answers = await Promise.all(replies);
  const checksums = [result.checksum];
  for (const a of answers) {
    if (!a.ok) throw new Error(`training replica failed: ${a.message}`);
    checksums.push(a.checksum);
  }
  return { result, checksums };
}
