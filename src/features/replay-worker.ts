/**
 * A replay thread (see replay-threads.ts): takes a task unless the caller cancelled it, replays
 * its groups into the shared features, and answers with their entities, packed.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { packEntities, packedBuffers } from './entity-transfer.js';
import { FeatureExecutor, type Group } from './feature-executor.js';
import { replayGroup } from './replay-group.js';
import { type ReplayTask, type ReplayTaskResult, TASK_DONE, TASK_QUEUED, TASK_TAKEN } from './replay-threads.js';

const port = (workerData as { port: MessagePort }).port;

port.on('message', (task: ReplayTask) => {
  if (Atomics.compareExchange(task.state, 0, TASK_QUEUED, TASK_TAKEN) !== TASK_QUEUED) return;
  let result: ReplayTaskResult;
  let transfer: ArrayBuffer[] = [];
  try {
    const executor = new FeatureExecutor(task.spec);
    let buffer: Float64Array | undefined;
    const packed = task.groups.map((g, k) => {
      const group = executor.groups[g] as Group;
      const n = task.columns[k]?.codes.length ?? 0;
      if (buffer === undefined || buffer.length < n * group.stride) buffer = new Float64Array(n * group.stride);
      const settled = replayGroup(executor, g, task.columns[k] as (typeof task.columns)[number], task, buffer);
      return packEntities(group, settled);
    });
    result = { packed };
    transfer = packed.flatMap(packedBuffers);
  } catch (error) {
    result = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(result, transfer);
  Atomics.store(task.state, 0, TASK_DONE);
  Atomics.notify(task.state, 0);
});

// Loaded: the caller's startReplayThreads() resolves.
parentPort?.postMessage('ready');
