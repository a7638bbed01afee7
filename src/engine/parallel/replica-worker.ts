import { parentPort } from 'node:worker_threads';
import { type GanJob, runGanReplica } from '../gan-replica.js';
import { initRuntime } from '../runtime.js';
import { type ReplicaJob, runReplica } from '../training-replica.js';
import { type CommunicatorMemory, ReplicaAbortedError, SharedCommunicator } from './communicator.js';

/** A message from the pool: train one replica of a run. */
export type ReplicaRequest = { memory: CommunicatorMemory; rank: number } & (
  | { kind: 'supervised'; job: ReplicaJob }
  | { kind: 'gan'; job: GanJob }
);

/** The answer: the replica's weight checksum, or why it failed. */
export type ReplicaReply = { ok: true; checksum: string } | { ok: false; message: string; aborted: boolean };

const port = parentPort;
if (port === null) throw new Error('replica-worker must run in a worker thread');

port.on('message', async (request: ReplicaRequest) => {
  const comm = new SharedCommunicator(request.memory, request.rank);
  try {
    const result =
      request.kind === 'gan' ? await runGanReplica(request.job, comm) : await runReplica(request.job, comm);
    port.postMessage({ ok: true, checksum: result.checksum } satisfies ReplicaReply);
  } catch (error) {
    const aborted = error instanceof ReplicaAbortedError;
    if (!aborted) comm.abort();
    port.postMessage({ ok: false, message: (error as Error).message, aborted } satisfies ReplicaReply);
  }
});
// Initialise TF.js before saying ready, so the first run's replicas start their steps together.
await initRuntime();
port.postMessage('ready');
