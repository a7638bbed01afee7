/**
 * Worker threads for replays: the groups of a spec (customer, terminal, IP, device windows) share
 * nothing while they replay, so each can run on its own core. The replay stays a synchronous call:
 * it hands a thread its groups, replays its own, then waits on shared memory for the thread's result
 * (`Atomics.wait`, `receiveMessageOnPort`). A thread that has not taken its task by then (still
 * starting, or failed to start) is cancelled and the caller replays those groups itself, so a
 * replay never depends on a thread being there.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import type { PackedEntities } from './entity-transfer.js';
import type { FeatureSpec } from './feature-spec.js';
import type { GroupColumns } from './replay-group.js';

/** Environment variable with the default number of threads a replay uses (1: none besides the caller). */
export const REPLAY_THREADS_ENV = 'VIGIL_REPLAY_THREADS';

/** Task states, in the task's shared Int32Array. */
export const TASK_QUEUED = 0;
export const TASK_TAKEN = 1;
export const TASK_DONE = 2;
export const TASK_CANCELLED = 3;

/** What the caller hands a thread: groups of the spec to replay over shared columns, into shared features. */
export interface ReplayTask {
  spec: FeatureSpec;
  groups: number[];
  /** Per entry of `groups`, its columns (on shared memory). */
  columns: GroupColumns[];
  /** nRows × nFeatures on shared memory: the thread writes its groups' columns. */
  features: Float64Array;
  nFeatures: number;
  /** One Int32 on shared memory: TASK_QUEUED → TASK_TAKEN (by the thread) → TASK_DONE, or TASK_CANCELLED (by the caller). */
  state: Int32Array;
}

/** The thread's answer: per group of the task its entities, packed, or what went wrong. */
export type ReplayTaskResult = { packed: PackedEntities[] } | { error: string };

interface ReplayThread {
  worker: Worker;
  /** Settles once the thread has loaded its code (or failed to). */
  ready: Promise<void>;
  /** The caller's end: tasks go out and results come back on it, results read synchronously. */
  port: MessagePort;
}

const threads: ReplayThread[] = [];

/**
 * The threads a replay uses by default, the caller included: `VIGIL_REPLAY_THREADS` when set, else
 * the machine's available parallelism (at most 8).
 */
export function defaultReplayThreads(): number {
  const configured = process.env[REPLAY_THREADS_ENV];
  if (configured !== undefined && configured !== '') {
    const n = Number(configured);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new ConfigError(
        'invalid_env',
        `${REPLAY_THREADS_ENV} must be an integer from 1 to 64, got ${JSON.stringify(configured)}`,
      );
    return n;
  }
  return Math.min(8, availableParallelism());
}

/**
 * Starts worker threads for replays ahead of use (they take a few hundred ms to start), so that a
 * replay after reading a file finds them ready: `threadCount` in all, the caller's included. They do
 * not keep the process alive. The promise settles when they have started (or failed to: a replay
 * then runs without them); there is no need to wait for it.
 */
export function startReplayThreads(threadCount = defaultReplayThreads()): Promise<void> {
  for (let i = threads.length; i < threadCount - 1; i++) threads.push(spawnThread());
  return Promise.all(threads.slice(0, Math.max(0, threadCount - 1)).map((t) => t.ready)).then(() => undefined);
}

function spawnThread(): ReplayThread {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./replay-worker-entry.mjs', import.meta.url), {
    workerData: { port: port2 },
    transferList: [port2],
  });
  // Held by the process only until it has started, so that waiting for `ready` is possible.
  let started = () => {};
  const ready = new Promise<void>((resolve) => {
    started = () => {
      worker.unref();
      resolve();
    };
  });
  const thread: ReplayThread = { worker, ready, port: port1 };
  worker.once('message', started);
  // A thread that fails to start or dies is dropped; the caller never waits for one that has not taken its task.
  worker.on('error', () => {
    forget(thread);
    started();
  });
  worker.on('exit', () => {
    forget(thread);
    started();
  });
  return thread;
}

/** A task handed to a thread, to be finished (or taken back) by {@link RunningTask.finish}. */
export interface RunningTask {
  /**
   * The thread's result once it is done; undefined when the thread had not taken the task (it is
   * then cancelled, and the caller replays its groups) or gave no answer within `timeoutMs` (the
   * thread is retired).
   */
  finish(timeoutMs: number): ReplayTaskResult | undefined;
}

/** Hands `task` to the `index`-th replay thread (started if need be). */
export function runOnThread(index: number, task: ReplayTask): RunningTask {
  startReplayThreads(index + 2);
  const thread = threads[index] as ReplayThread;
  thread.port.postMessage(task);
  return {
    finish(timeoutMs) {
      const state = task.state;
      if (Atomics.compareExchange(state, 0, TASK_QUEUED, TASK_CANCELLED) === TASK_QUEUED) return undefined;
      const deadline = performance.now() + timeoutMs;
      while (Atomics.load(state, 0) !== TASK_DONE) {
        const left = deadline - performance.now();
        if (left <= 0) {
          retire(thread);
          return undefined;
        }
        Atomics.wait(state, 0, TASK_TAKEN, Math.min(left, 1000));
      }
      const reply = receiveMessageOnPort(thread.port);
      if (reply === undefined) {
        retire(thread);
        return { error: 'the replay thread finished without an answer' };
      }
      return reply.message as ReplayTaskResult;
    },
  };
}

function forget(thread: ReplayThread): void {
  const at = threads.indexOf(thread);
  if (at >= 0) threads.splice(at, 1);
}

function retire(thread: ReplayThread): void {
  forget(thread);
  void thread.worker.terminate();
}

/** Stops the replay threads (they do not keep a process alive, but a test may want them gone). */
export async function stopReplayThreads(): Promise<void> {
  const running = threads.splice(0, threads.length);
  await Promise.all(running.map((t) => t.worker.terminate()));
}

/** A typed array of the same values on shared memory, for a thread to read (itself when it already is). */
export function shared<T extends Float64Array | Int32Array>(values: T): T {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const Ctor = values.constructor as { new (buffer: SharedArrayBuffer): T };
  const copy = new Ctor(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}
