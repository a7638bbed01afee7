import { Worker } from 'node:worker_threads';
import type { ReplicaReply, ReplicaRequest } from './replica-worker.js';

/**
 * Worker threads kept for the life of the process, so the second and later training runs skip
 * thread start-up and TF.js initialisation. They are unref'd: an idle pool never keeps the
 * process alive.
 */
const workers: Worker[] = [];
const ready = new WeakMap<Worker, Promise<void>>();

function spawn(): Worker {
  const worker = new Worker(new URL('./replica-worker-boot.mjs', import.meta.url));
  worker.unref();
  ready.set(
    worker,
    new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    }),
  );
  worker.on('exit', () => {
    const at = workers.indexOf(worker);
    if (at >= 0) workers.splice(at, 1);
  });
  return worker;
}

/** `count` started workers, reusing idle ones. */
export async function replicaWorkers(count: number): Promise<Worker[]> {
  while (workers.length < count) workers.push(spawn());
  const chosen = workers.slice(0, count);
  await Promise.all(chosen.map((w) => ready.get(w)));
  return chosen;
}

/** Sends one replica's work to a worker; resolves with its reply. */
export function runOnWorker(worker: Worker, request: ReplicaRequest): Promise<ReplicaReply> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      worker.off('message', onMessage);
      reject(error);
    };
    const onMessage = (reply: ReplicaReply): void => {
      worker.off('error', onError);
      resolve(reply);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(request);
  });
}

/** Stops every pooled worker (tests and benchmarks that want a clean exit). */
export async function closeReplicaWorkers(): Promise<void> {
  const all = workers.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}
