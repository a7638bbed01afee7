/**
 * The service's audit store: every decision and label in one SQLite file (WAL), committed before
 * the service answers. Appends that arrive while a commit is pending join the next one (group
 * commit), so a burst of requests shares one transaction and one sync.
 */
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ConfigError, DataError } from '../errors.js';
import type { DecisionLog, DecisionRecord, LabelRecord, StoredEvent } from './decision-log.js';
import { EventIdFilter } from './event-id-filter.js';

/** Schema version in the `meta` table; a file of another version is refused. */
export const AUDIT_SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
  event_id TEXT PRIMARY KEY,
  received_at_ms INTEGER NOT NULL,
  event_time TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  event_json TEXT NOT NULL,
  features_json TEXT NOT NULL,
  model_version TEXT NOT NULL,
  score REAL,
  decision TEXT NOT NULL,
  reasons_json TEXT NOT NULL,
  rules_hit_json TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  ordinal INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  rules_version TEXT
);
CREATE TABLE IF NOT EXISTS labels (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL,
  label INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  applied_online INTEGER NOT NULL,
  seen_events INTEGER
);
CREATE INDEX IF NOT EXISTS labels_event ON labels (event_id);
`;

/**
 * Version 2: ordinals count every event the file holds (stable across runs, so a late label finds
 * an event scored by an earlier run), labels record how many events the online state had taken
 * when they were applied (where a replay applies them again), and shadow models' scores.
 */
const SCHEMA_V2 = `
CREATE INDEX IF NOT EXISTS decisions_ordinal ON decisions (ordinal);
CREATE TABLE IF NOT EXISTS shadow_scores (
  model_version TEXT NOT NULL,
  event_id TEXT NOT NULL,
  score REAL,
  decision TEXT NOT NULL,
  PRIMARY KEY (model_version, event_id)
) WITHOUT ROWID;
`;

/**
 * Version 3: no index of the decisions by customer, terminal, IP or device. Those indexes are keyed
 * by identifiers in no order, so every decision wrote a page of each to the WAL (commits of 20:
 * 17.2 KiB written and 77 µs of CPU a decision with the four, 3.7 KiB and 32 µs without;
 * bench/audit-insert-cost.ts); entity
 * profiles find their recent decisions in memory instead (`EntityDecisions`).
 */
const MIGRATE_V2 = `
DROP INDEX IF EXISTS decisions_customer;
DROP INDEX IF EXISTS decisions_terminal;
DROP INDEX IF EXISTS decisions_ip;
DROP INDEX IF EXISTS decisions_device;
`;

/**
 * Brings a version 1 file to version 2: the per-run ordinals become one sequence over the file
 * (runs in the order they started, each run's events in its order), and labels get the column
 * `seen_events` (null for the old ones: they are not replayed).
 */
const MIGRATE_V1 = `
ALTER TABLE labels ADD COLUMN seen_events INTEGER;
UPDATE decisions SET ordinal = r.n FROM (
  SELECT d.event_id, row_number() OVER (ORDER BY s.start, d.ordinal) - 1 AS n
  FROM decisions d JOIN (SELECT run_id, min(rowid) AS start FROM decisions GROUP BY run_id) s USING (run_id)
) r WHERE decisions.event_id = r.event_id;
`;

/** The inserts of the hot path, with positional parameters: the writer thread runs the same SQL. */
const INSERT_SQL = {
  decisions: `INSERT INTO decisions (event_id, received_at_ms, event_time, customer_ref, terminal_id, event_json,
      features_json, model_version, score, decision, reasons_json, rules_hit_json, latency_ms, ordinal, run_id,
      rules_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  shadows: 'INSERT INTO shadow_scores (model_version, event_id, score, decision) VALUES (?, ?, ?, ?)',
  labels: 'INSERT INTO labels (event_id, label, received_at_ms, applied_online, seen_events) VALUES (?, ?, ?, ?, ?)',
} as const;

/** One append's rows as plain values (what crosses to the writer thread), per statement of {@link INSERT_SQL}. */
interface InsertRows {
  decisions: unknown[][];
  shadows: unknown[][];
  labels: unknown[][];
}

function decisionRows(records: readonly DecisionRecord[]): InsertRows {
  const rows: InsertRows = { decisions: [], shadows: [], labels: [] };
  for (const r of records) {
    rows.decisions.push([
      r.eventId,
      r.receivedAtMs,
      r.event.timestamp,
      r.event.customerId,
      r.event.terminalId,
      JSON.stringify(r.event),
      JSON.stringify(r.features),
      r.modelVersion,
      Number.isNaN(r.score) ? null : r.score,
      r.decision,
      JSON.stringify(r.reasons),
      JSON.stringify(r.rulesHit),
      r.latencyMs,
      r.ordinal,
      r.runId,
      r.rulesVersion ?? null,
    ]);
    for (const shadow of r.shadows ?? [])
      rows.shadows.push([
        shadow.modelVersion,
        r.eventId,
        Number.isNaN(shadow.score) ? null : shadow.score,
        shadow.decision,
      ]);
  }
  return rows;
}

interface DecisionRow {
  event_id: string;
  received_at_ms: number;
  event_json: string;
  features_json: string;
  model_version: string;
  score: number | null;
  decision: DecisionRecord['decision'];
  reasons_json: string;
  rules_hit_json: string;
  latency_ms: number;
  ordinal: number;
  run_id: string;
  rules_version: string | null;
}

function recordOfRow(row: DecisionRow): DecisionRecord {
  return {
    eventId: row.event_id,
    receivedAtMs: row.received_at_ms,
    event: JSON.parse(row.event_json) as StoredEvent,
    features: JSON.parse(row.features_json, (_k, v) => (v === null ? Number.NaN : v)) as Record<string, number>,
    modelVersion: row.model_version,
    score: row.score ?? Number.NaN,
    decision: row.decision,
    reasons: JSON.parse(row.reasons_json) as string[],
    rulesHit: JSON.parse(row.rules_hit_json) as string[],
    latencyMs: row.latency_ms,
    ordinal: row.ordinal,
    runId: row.run_id,
    ...(row.rules_version === null ? {} : { rulesVersion: row.rules_version }),
  };
}

export interface AuditStoreOptions {
  /**
   * A fingerprint of the pseudonymisation key (never the key): stored in a new file, and a file
   * holding another one is refused, since its pseudonyms would not match new ones.
   */
  keyFingerprint?: string;
  /**
   * What a decision whose append has resolved survives:
   * `'process'` (default) the process dying — killed, crashed, out of memory — for certain, and an
   * operating-system crash or power cut too once it was answered more than
   * {@link walSyncIntervalMs} earlier (its commit waits for no disk sync; the WAL is synced off the
   * caller's thread every interval);
   * `'machine'` all of them at once (each group commit's WAL frames are synced to disk before its
   * appends resolve: by the writer thread's `synchronous = FULL`, and for writes on the caller's
   * thread by an `fdatasync` on libuv's pool rather than on the caller's thread). Every answer
   * then waits for the disk's cache flush, and a virtual disk's flushes can stall for tens of ms
   * (`npm run bench:disk-sync`).
   */
  durability?: AuditDurability;
  /**
   * With `durability: 'process'`, sync the WAL every this many ms when anything was committed
   * since the last sync began (default 100; 0: only at checkpoints). This bounds what a power cut
   * can take to the decisions of the last interval, plus a sync under way, without any answer
   * waiting for the disk.
   */
  walSyncIntervalMs?: number;
  /**
   * How the WAL file is synced (default `fs.fdatasync`); tests hold it to check that nothing of
   * `machine` resolves before its sync, and that `process` syncs on its timer.
   */
  syncWal?: (fd: number, done: (error: Error | null) => void) => void;
  /**
   * Checkpoint the WAL on a worker thread every this many ms instead of in the writer (default
   * 250; 0 leaves SQLite's automatic checkpoints in the writer): a checkpoint syncs the database
   * file, which on the service's thread would stall every request behind it.
   */
  checkpointIntervalMs?: number;
  /**
   * Insert and commit decisions and labels on a worker thread. Default: on a file, when the
   * machine has more than 2 cores. Writes given as callbacks (`write`: alerts) run on the
   * caller's thread, in a transaction right after the writer's, before any append of the group
   * resolves. The thread takes the inserts (~17 µs a decision) off the service's thread, but
   * hands each group over and back, which costs the service's thread about as much at 2,500
   * decisions/s (the group as JSON, two messages); on 2 cores it also competes with the
   * service's thread for a core (measured: 1.21 cores in all with it, 1.08 without, client p50
   * 4.5 against 2.8 ms; docs/benchmarks.md).
   */
  writerThread?: boolean;
}

const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;
const DEFAULT_WAL_SYNC_INTERVAL_MS = 100;

/** The durability levels of {@link AuditStoreOptions.durability}. */
export const AUDIT_DURABILITY = ['machine', 'process'] as const;
export type AuditDurability = (typeof AUDIT_DURABILITY)[number];

/**
 * One group committed on the caller's thread: how long its transaction held that thread (inserts
 * and commit; the writer thread's commits are not timed here), and the decisions and other writes
 * (labels, alerts) it held.
 */
export interface AuditCommit {
  seconds: number;
  decisions: number;
  otherWrites: number;
}

/**
 * Calls each listener with `value`. A listener's fault is warned about and stops nothing: not the
 * other listeners, the syncs or commits, nor the appends waiting for them.
 */
function tellListeners<T>(listeners: readonly ((value: T) => void)[], value: T, what: 'sync' | 'commit'): void {
  for (const listener of listeners)
    try {
      listener(value);
    } catch (error) {
      process.emitWarning(`an audit store ${what} listener failed: ${error instanceof Error ? error.message : error}`);
    }
}

/** One finished sync of the WAL: how long it took, and whether it failed. */
export interface WalSync {
  seconds: number;
  failed: boolean;
}

/** A pending append: its rows (or a write callback) and who waits for their commit. */
interface Pending {
  rows?: InsertRows;
  run?: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Makes committed WAL frames durable off the caller's thread. SQLite with `synchronous = FULL`
 * syncs the WAL inside COMMIT, on the thread that commits: the service's event loop stood still
 * for every disk sync (most of a core's time at a few thousand decisions a second). Committing
 * with `synchronous = NORMAL` writes the same frames without the sync; an `fdatasync` of the WAL
 * file on libuv's pool then makes every frame written so far durable, and only then do the
 * appends of those commits resolve. One sync at a time: commits made while one runs wait for the
 * next, which covers all of them (group commit across syncs). For `process` durability it syncs
 * on a timer instead ({@link syncEvery}), with no append waiting.
 */
class WalSyncer {
  private fd: number | undefined;
  private running: Pending[] | undefined;
  private waiting: Pending[] = [];
  private closed = false;
  /** When the oldest commit that no sync started since covers was made (epoch ms); undefined: none. */
  private pendingSinceMs: number | undefined;
  /** When the oldest commit the running sync covers was made. */
  private inFlightSinceMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The last timed sync failed (warned once until one succeeds). */
  private failing = false;

  /** `onIdle` runs whenever a sync has finished and none is waiting; `onSynced` after every sync. */
  constructor(
    private readonly walPath: string,
    private readonly sync: NonNullable<AuditStoreOptions['syncWal']>,
    private readonly onIdle: () => void,
    private readonly onSynced: (sync: WalSync) => void,
  ) {}

  /** Whether a sync is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves `committed` once a sync started after this call has finished. */
  afterCommit(committed: Pending[]): void {
    this.noteCommitted();
    this.waiting.push(...committed);
    if (this.running === undefined) this.start();
  }

  /**
   * Syncs every `intervalMs` whatever was committed ({@link noteCommitted}) since the last sync
   * began, one sync at a time; a sync the disk holds up delays the next, never an answer.
   */
  syncEvery(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.pendingSinceMs === undefined || this.running !== undefined || this.closed) return;
      this.start();
    }, intervalMs);
    // Only what is committed needs it; it must not keep the process alive.
    this.timer.unref();
  }

  /** A commit that the next sync is to cover. */
  noteCommitted(): void {
    this.pendingSinceMs ??= Date.now();
  }

  /** When the oldest commit not yet on disk was made (epoch ms); undefined when every commit is. */
  get oldestUnsyncedAtMs(): number | undefined {
    if (this.inFlightSinceMs === undefined) return this.pendingSinceMs;
    if (this.pendingSinceMs === undefined) return this.inFlightSinceMs;
    return Math.min(this.inFlightSinceMs, this.pendingSinceMs);
  }

  private walFd(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.walPath, 'r');
      // The WAL's directory entry must be durable too, once.
      const dir = openSync(dirname(this.walPath), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.fd;
  }

  private start(): void {
    const group = this.waiting;
    this.waiting = [];
    this.running = group;
    this.inFlightSinceMs = this.pendingSinceMs;
    this.pendingSinceMs = undefined;
    const startedMs = performance.now();
    let fd: number;
    try {
      fd = this.walFd();
    } catch (error) {
      this.finish(group, error as Error, startedMs);
      return;
    }
    this.sync(fd, (error) => this.finish(group, error, startedMs));
  }

  private finish(group: Pending[], error: Error | null, startedMs: number): void {
    // A sync still running at close was done again there, and its group settled.
    if (this.closed) return;
    this.running = undefined;
    // What a failed sync covered is still not on disk: the next one covers it.
    if (error !== null) this.pendingSinceMs = this.oldestUnsyncedAtMs;
    this.inFlightSinceMs = undefined;
    this.onSynced({ seconds: (performance.now() - startedMs) / 1000, failed: error !== null });
    for (const p of group) {
      if (error === null) p.resolve();
      else p.reject(new DataError('audit_store_sync_failed', `syncing ${this.walPath} failed: ${error.message}`));
    }
    if (this.timer !== undefined) {
      // A timed sync has no one to fail: the next tick tries again, and the operator hears of it
      // once per run of failures.
      if (error !== null) {
        if (!this.failing)
          process.emitWarning(`syncing ${this.walPath} failed: ${error.message}; retrying every interval`, {
            code: 'audit_store_sync_failed',
          });
      }
      this.failing = error !== null;
    }
    if (this.waiting.length > 0) this.start();
    else this.onIdle();
  }

  /** Syncs whatever is committed, on this thread (closing), and stops. */
  close(): void {
    clearInterval(this.timer);
    const left = [...(this.running ?? []), ...this.waiting];
    const unsynced = this.oldestUnsyncedAtMs !== undefined;
    this.waiting = [];
    this.closed = true;
    if (this.fd === undefined && !unsynced && left.length === 0) return;
    try {
      if (unsynced || left.length > 0) fdatasyncSync(this.walFd());
      this.pendingSinceMs = undefined;
      this.inFlightSinceMs = undefined;
      for (const p of left) p.resolve();
    } catch (error) {
      for (const p of left) p.reject(error);
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A group of appends handed to the writer thread, and what to do with its answer. */
interface WriterGroup {
  id: number;
  /** Per append, null (committed) or its error; `'failed'` when the writer could not write the group at all. */
  then: (errors: (string | null)[] | 'failed') => void;
}

/**
 * The main thread's side of `audit-writer.mjs`: one group in flight at a time; its answer lists,
 * per append, null (committed) or the error that failed it alone.
 */
class AuditWriter {
  private readonly worker: Worker;
  private readonly replies: MessagePort;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private inFlight: WriterGroup | undefined;
  private failed = false;

  constructor(
    path: string,
    synchronous: 'FULL' | 'NORMAL',
    /** SQLite's automatic checkpoints of the writer's connection: 0 while a checkpointer thread runs. */
    autoCheckpoint: number,
    /** The writer cannot write (it did not open the file, or died): the store writes itself from now on. */
    private readonly onFailure: (inFlight: WriterGroup | undefined, reason: string) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    this.worker = new Worker(new URL('./audit-writer.mjs', import.meta.url), {
      workerData: { path, synchronous, sql: INSERT_SQL, replies: port2, done: this.done.buffer, autoCheckpoint },
      transferList: [port2],
    });
    port1.on('message', (message: { id?: number; errors?: (string | null)[]; failed?: string }) =>
      this.onMessage(message),
    );
    port1.unref();
    const fail = (error: unknown) => this.fail(error instanceof Error ? error.message : String(error));
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(`the writer thread exited with code ${code}`);
    });
    this.worker.unref();
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Sets the writer connection's automatic checkpoints (the checkpointer thread stopped: SQLite's own again). */
  setAutoCheckpoint(pages: number): void {
    if (!this.failed) this.worker.postMessage({ autoCheckpoint: pages });
  }

  send(groups: InsertRows[], then: WriterGroup['then']): void {
    const group = { id: this.nextId++, then };
    this.inFlight = group;
    // Held while a group is in flight, so a process waiting only for a commit does not exit.
    this.replies.ref();
    // As one JSON string: copying a string to the thread is a memcpy, while the structured clone
    // of the same rows as arrays of values cost the service's thread ~9 µs a decision (6 % of its
    // time at 5,000 decisions/s).
    this.worker.postMessage({ id: group.id, groups: JSON.stringify(groups) });
  }

  private onMessage(message: { id?: number; errors?: (string | null)[]; failed?: string }): void {
    if (message.failed !== undefined) {
      this.fail(message.failed);
      return;
    }
    const group = this.inFlight;
    if (message.errors === undefined || group === undefined || message.id !== group.id) return;
    this.inFlight = undefined;
    this.replies.unref();
    group.then(message.errors);
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    const group = this.inFlight;
    this.inFlight = undefined;
    this.replies.unref();
    this.onFailure(group, reason);
  }

  /** Waits on this thread for the group in flight (closing the store) and hands it its answer. */
  drainSync(timeoutMs = 30_000): void {
    const group = this.inFlight;
    if (group === undefined || this.failed) return;
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight === group && Date.now() < deadline) {
      Atomics.wait(this.done, 0, Atomics.load(this.done, 0), 50);
      for (let m = receiveMessageOnPort(this.replies); m !== undefined; m = receiveMessageOnPort(this.replies))
        this.onMessage(m.message);
    }
    if (this.inFlight === group) this.fail('the writer thread did not answer');
  }

  /** Stops the writer and waits (bounded) until its connection is closed. */
  stop(timeoutMs = 5_000): void {
    const running = !this.failed;
    this.failed = true;
    this.worker.postMessage('stop');
    this.replies.close();
    if (!running) return;
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.done, 0) !== -1 && Date.now() < deadline)
      Atomics.wait(this.done, 0, Atomics.load(this.done, 0), 50);
  }
}

/**
 * The audit store on a SQLite file (created when missing), in WAL mode. A decision whose append
 * has resolved is committed: it survives the process dying, and with `durability: 'machine'` the
 * machine failing too ({@link AuditStoreOptions.durability}).
 *
 * @example
 * const store = AuditStore.open('vigil.db', { keyFingerprint });
 * await store.append(records); // committed
 * store.close();
 */
export class AuditStore implements DecisionLog {
  private readonly db: Database.Database;
  private readonly inserts: Record<keyof InsertRows, Database.Statement>;
  /** One transaction over a group's writes, and one over a single write (when the group's fails). */
  private readonly commitAll: (batch: Pending[]) => void;
  private readonly commitOne: (p: Pending) => void;
  private readonly maxOrdinal: Database.Statement<[], { n: number | null }>;
  private readonly selectDecision: Database.Statement<[string], DecisionRow>;
  private readonly existsDecision: Database.Statement<[string], { one: number }>;
  private readonly selectByOrdinal: Database.Statement<[number], DecisionRow>;
  private readonly appendListeners: ((records: readonly DecisionRecord[]) => void)[] = [];
  private readonly syncListeners: ((sync: WalSync) => void)[] = [];
  private readonly commitListeners: ((commit: AuditCommit) => void)[] = [];
  /** Hands each finished WAL sync to the {@link onWalSync} listeners. */
  private readonly synced = (sync: WalSync) => tellListeners(this.syncListeners, sync, 'sync');
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private checkpointer: Worker | undefined;
  /** Set to 1 by the checkpointer once its connection is closed. */
  private readonly checkpointerClosed = new Int32Array(new SharedArrayBuffer(4));
  /** Syncs the WAL after this thread's commits (durability `machine` on a file); undefined: they resolve at once. */
  private readonly walSyncer: WalSyncer | undefined;
  /** Syncs the WAL on a timer, no append waiting (durability `process` on a file, unless turned off). */
  private readonly walTimedSyncer: WalSyncer | undefined;
  /** Writes decisions and labels off this thread; undefined: this thread writes them. */
  private writer: AuditWriter | undefined;
  /** Every event id appended or in the file: {@link has} asks SQLite only when it says "maybe". */
  private readonly eventIds: EventIdFilter;

  private constructor(
    readonly path: string,
    db: Database.Database,
    options: AuditStoreOptions,
  ) {
    this.db = db;
    const onFile = path !== ':memory:' && path !== '';
    const machine = options.durability === 'machine';
    this.walSyncer =
      machine && onFile
        ? new WalSyncer(`${path}-wal`, options.syncWal ?? fdatasync, () => this.afterWrite(), this.synced)
        : undefined;
    const walSyncIntervalMs = options.walSyncIntervalMs ?? DEFAULT_WAL_SYNC_INTERVAL_MS;
    if (!machine && onFile && walSyncIntervalMs > 0) {
      this.walTimedSyncer = new WalSyncer(`${path}-wal`, options.syncWal ?? fdatasync, () => {}, this.synced);
      this.walTimedSyncer.syncEvery(walSyncIntervalMs);
    }
    if (onFile && (options.writerThread ?? availableParallelism() > 2))
      this.writer = new AuditWriter(
        path,
        machine ? 'FULL' : 'NORMAL',
        (options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS) > 0 ? 0 : 1000,
        (group, reason) => this.writerFailed(group, reason),
      );
    this.inserts = {
      decisions: db.prepare(INSERT_SQL.decisions),
      shadows: db.prepare(INSERT_SQL.shadows),
      labels: db.prepare(INSERT_SQL.labels),
    };
    // Made once: better-sqlite3 builds a transaction function with its variants each time it is asked.
    const runHere = (p: Pending) => {
      p.run?.();
      if (p.rows !== undefined) {
        for (const row of p.rows.decisions) this.inserts.decisions.run(row);
        for (const row of p.rows.shadows) this.inserts.shadows.run(row);
        for (const row of p.rows.labels) this.inserts.labels.run(row);
      }
    };
    this.commitAll = db.transaction((batch: Pending[]) => {
      for (const p of batch) runHere(p);
    });
    this.commitOne = db.transaction(runHere);
    this.maxOrdinal = db.prepare('SELECT max(ordinal) AS n FROM decisions');
    this.selectDecision = db.prepare('SELECT * FROM decisions WHERE event_id = ?');
    this.existsDecision = db.prepare('SELECT 1 AS one FROM decisions WHERE event_id = ?');
    this.selectByOrdinal = db.prepare('SELECT * FROM decisions WHERE ordinal = ?');
    const count = (db.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
    this.eventIds = new EventIdFilter(Math.max(1 << 20, 2 * count));
    for (const id of db.prepare('SELECT event_id FROM decisions').pluck().iterate()) this.eventIds.add(id as string);
  }

  /**
   * Opens (or creates) the store at `path`.
   *
   * @throws DataError `audit_store_unreadable` when the file is not a Vigil audit store of this
   *   version; ConfigError `pseudonym_key_mismatch` when it was written with another key
   */
  static open(path: string, options: AuditStoreOptions = {}): AuditStore {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      // NORMAL for both: with `machine`, the WAL is synced after each commit by WalSyncer (in
      // memory there is nothing to sync, and FULL changes nothing).
      db.pragma(path === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
    } catch (cause) {
      throw new DataError(
        'audit_store_unreadable',
        `${path} cannot be opened as an audit store: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    try {
      const meta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
      const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      let version = meta.get('schema_version')?.value;
      if (version === '1') {
        db.transaction(() => {
          db.exec(MIGRATE_V1);
          db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
        })();
        version = '2';
      }
      if (version === '2') {
        db.transaction(() => {
          db.exec(MIGRATE_V2);
          db.prepare("UPDATE meta SET value = '3' WHERE key = 'schema_version'").run();
        })();
        version = '3';
      }
      if (version === undefined) setMeta.run('schema_version', String(AUDIT_SCHEMA_VERSION));
      else if (version !== String(AUDIT_SCHEMA_VERSION))
        throw new DataError(
          'audit_store_unreadable',
          `${path} is an audit store of schema version ${version}; this Vigil reads version ${AUDIT_SCHEMA_VERSION}`,
        );
      db.exec(SCHEMA_V2);
      if (options.keyFingerprint !== undefined) {
        const stored = meta.get('pseudonym_key_fingerprint')?.value;
        if (stored === undefined) setMeta.run('pseudonym_key_fingerprint', options.keyFingerprint);
        else if (stored !== options.keyFingerprint)
          throw new ConfigError(
            'pseudonym_key_mismatch',
            `${path} was written with another pseudonymisation key (VIGIL_PSEUDONYM_KEY): its pseudonyms would not match new ones`,
          );
      }
      // Files written before the rules engine lack the column; it is nullable, so adding it is all.
      const columns = db.prepare<[], { name: string }>('PRAGMA table_info(decisions)').all();
      if (!columns.some((c) => c.name === 'rules_version'))
        db.exec('ALTER TABLE decisions ADD COLUMN rules_version TEXT');
    } catch (error) {
      db.close();
      throw error;
    }
    const store = new AuditStore(path, db, options);
    const intervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (intervalMs > 0 && path !== ':memory:') store.checkpointInBackground(intervalMs);
    return store;
  }

  /** Hands WAL checkpoints to a worker thread; until it has started, SQLite's own stay on. */
  private checkpointInBackground(intervalMs: number): void {
    const worker = new Worker(new URL('./wal-checkpointer.mjs', import.meta.url), {
      workerData: { path: this.path, intervalMs, closed: this.checkpointerClosed.buffer },
    });
    this.checkpointer = worker;
    worker.on('message', (message: { ready?: boolean; error?: string }) => {
      if (message.ready === true && !this.closed) this.db.pragma('wal_autocheckpoint = 0');
    });
    // A checkpointer that fails leaves the writer checkpointing as SQLite does by default.
    const fallBack = () => {
      this.checkpointer = undefined;
      if (!this.closed) {
        this.db.pragma('wal_autocheckpoint = 1000');
        this.writer?.setAutoCheckpoint(1000);
      }
    };
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
    // After the listeners: adding a 'message' listener holds the process again.
    worker.unref();
  }

  has(eventId: string): boolean {
    return this.eventIds.mightContain(eventId) && this.existsDecision.get(eventId) !== undefined;
  }

  find(eventId: string): DecisionRecord | undefined {
    const row = this.selectDecision.get(eventId);
    return row === undefined ? undefined : recordOfRow(row);
  }

  /** The decisions of these ordinals that are kept, in the order given. */
  findByOrdinals(ordinals: readonly number[]): DecisionRecord[] {
    const found: DecisionRecord[] = [];
    for (const ordinal of ordinals) {
      const row = this.selectByOrdinal.get(ordinal);
      if (row !== undefined) found.push(recordOfRow(row));
    }
    return found;
  }

  /**
   * Calls `listener` with every batch of records appended from now on, as `append` takes them
   * (before they are committed).
   */
  onAppend(listener: (records: readonly DecisionRecord[]) => void): void {
    this.appendListeners.push(listener);
  }

  /**
   * Calls `listener` after every group committed on this thread (see {@link AuditCommit}); a
   * listener that throws is warned about and changes nothing.
   */
  onCommit(listener: (commit: AuditCommit) => void): void {
    this.commitListeners.push(listener);
  }

  /** Calls `listener` after every sync of the WAL (none in memory, or with `process` and no timed sync). */
  onWalSync(listener: (sync: WalSync) => void): void {
    this.syncListeners.push(listener);
  }

  /**
   * How long the oldest committed write not yet synced to disk has waited (ms; 0 when every one
   * is): what a power cut could take now. Undefined when the WAL is not synced by this store
   * (in memory, or `process` with `walSyncIntervalMs: 0`).
   */
  unsyncedForMs(nowMs = Date.now()): number | undefined {
    const syncer = this.walSyncer ?? this.walTimedSyncer;
    if (syncer === undefined) return undefined;
    const since = syncer.oldestUnsyncedAtMs;
    return since === undefined ? 0 : Math.max(0, nowMs - since);
  }

  append(records: readonly DecisionRecord[]): Promise<void> {
    for (const r of records) this.eventIds.add(r.eventId);
    for (const listener of this.appendListeners) listener(records);
    return this.enqueue({ rows: decisionRows(records) });
  }

  appendLabel(label: LabelRecord): Promise<void> {
    return this.enqueue({
      rows: {
        decisions: [],
        shadows: [],
        labels: [
          [label.eventId, label.label, label.receivedAtMs, label.appliedOnline ? 1 : 0, label.seenEvents ?? null],
        ],
      },
    });
  }

  nextOrdinal(): number {
    return (this.maxOrdinal.get()?.n ?? -1) + 1;
  }

  /** Counts of what is kept. */
  counts(): { decisions: number; labels: number } {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { decisions: count('decisions'), labels: count('labels') };
  }

  /**
   * The open connection, for stores that keep their own tables in the same file (the alert store):
   * reads go through it directly, writes through {@link write} so they join the group commit.
   */
  get connection(): Database.Database {
    return this.db;
  }

  /**
   * Runs `run` in the next group: in a transaction on this thread's connection right after the
   * writer thread's transaction of the group's decisions and labels; resolves (with the group)
   * once both have committed. A `run` that throws fails only its own write.
   */
  write(run: () => void): Promise<void> {
    return this.enqueue({ run });
  }

  /** Commits what is pending, then closes the file. */
  close(): void {
    if (this.closed) return;
    this.writer?.drainSync();
    this.writer?.stop();
    this.writer = undefined;
    const left = this.queue;
    this.queue = [];
    this.commitHere(left, []);
    this.walSyncer?.close();
    this.walTimedSyncer?.close();
    this.closed = true;
    if (this.checkpointer !== undefined) {
      this.checkpointer.postMessage('stop');
      this.checkpointer = undefined;
      // This connection is to be the file's last: the one that closes last checkpoints and removes
      // the WAL, which must not happen behind the caller's back (a caller reading or removing the files).
      const deadline = Date.now() + 5_000;
      while (Atomics.load(this.checkpointerClosed, 0) === 0 && Date.now() < deadline)
        Atomics.wait(this.checkpointerClosed, 0, 0, 50);
    }
    this.db.close();
  }

  private enqueue(item: { rows?: InsertRows; run?: () => void }): Promise<void> {
    if (this.closed)
      return Promise.reject(new DataError('audit_store_closed', `the audit store ${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Once the code that appended has run to its end (every decision of a turn's model call has
    // appended by then): with setImmediate the group waited until the next turn of the event loop
    // had read and parsed more requests, which lengthened every answer under load.
    process.nextTick(() => this.flush());
  }

  /** A group has finished (its writer's answer, or its sync): the next one may start. */
  private afterWrite(): void {
    if (this.queue.length > 0) this.scheduleFlush();
  }

  /**
   * Commits every pending append as one group. One group at a time: appends that arrive while a
   * group is with the writer thread or its sync wait for the next, so a burst shares one commit and
   * one sync, and the commit holds more rows (a row costs about half as much in a commit of 16 as
   * in one of 4). Decisions and labels go to the writer thread; write callbacks (alerts) then run
   * here, in a transaction right after it; nothing of the group resolves before both have
   * committed (and, for `machine`, been synced).
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.writer?.busy === true || this.walSyncer?.busy === true) return;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const writer = this.writer;
    const rows = batch.filter((p) => p.run === undefined);
    if (writer === undefined || rows.length === 0) {
      this.commitHere(batch, []);
      return;
    }
    writer.send(
      rows.map((p) => p.rows as InsertRows),
      (errors) => {
        // The writer could not write: this thread writes the whole group.
        if (errors === 'failed') {
          this.commitHere(batch, []);
          return;
        }
        const written: Pending[] = [];
        rows.forEach((p, i) => {
          const error = errors[i];
          if (error === null || error === undefined) written.push(p);
          else p.reject(new DataError('audit_store_write_failed', `the audit store could not keep a write: ${error}`));
        });
        this.commitHere(
          batch.filter((p) => p.run !== undefined),
          written,
        );
      },
    );
  }

  /**
   * Commits `batch` on this thread's connection in one transaction (each alone when that fails,
   * so one bad write fails only itself), then resolves it with `written` (committed already by the
   * writer thread) once synced.
   */
  private commitHere(batch: Pending[], written: Pending[]): void {
    const committed: Pending[] = [];
    if (batch.length > 0)
      try {
        const startedMs = performance.now();
        this.commitAll(batch);
        if (this.commitListeners.length > 0) this.noteCommit(batch, performance.now() - startedMs);
        committed.push(...batch);
      } catch {
        for (const p of batch) {
          try {
            this.commitOne(p);
            committed.push(p);
          } catch (error) {
            p.reject(error);
          }
        }
      }
    if (written.length > 0 || committed.length > 0) this.walTimedSyncer?.noteCommitted();
    if (this.walSyncer !== undefined && committed.length > 0 && !this.closed)
      this.walSyncer.afterCommit([...written, ...committed]);
    else {
      for (const p of [...written, ...committed]) p.resolve();
      this.afterWrite();
    }
  }

  private noteCommit(batch: readonly Pending[], ms: number): void {
    let decisions = 0;
    let otherWrites = 0;
    for (const p of batch) {
      if (p.run !== undefined) otherWrites++;
      if (p.rows !== undefined) {
        decisions += p.rows.decisions.length;
        otherWrites += p.rows.labels.length;
      }
    }
    tellListeners(this.commitListeners, { seconds: ms / 1000, decisions, otherWrites }, 'commit');
  }

  /** The writer thread cannot write: this thread writes from now on, starting with its group. */
  private writerFailed(group: WriterGroup | undefined, reason: string): void {
    this.writer = undefined;
    process.emitWarning(`audit store ${this.path}: writing on the service's thread: ${reason}`);
    group?.then('failed');
  }
}
