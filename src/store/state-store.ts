/**
 * What the service keeps beside decisions and labels, in the same SQLite file on a connection of
 * its own: snapshots of the online feature state (`state_snapshots`), which models are deployed
 * (`deployments`), and the reads a restart and the model comparison need (the logged events after
 * a snapshot, labels with their events, scores with their labels).
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataError } from '../errors.js';
import type { StoredEvent } from './decision-log.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS state_snapshots (
  id INTEGER PRIMARY KEY,
  spec_sha256 TEXT NOT NULL,
  seen_events INTEGER NOT NULL,
  covered_rowid INTEGER NOT NULL,
  covered_label_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  state_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deployments (
  id INTEGER PRIMARY KEY,
  model_version TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('champion', 'shadow')),
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  spec_sha256 TEXT NOT NULL,
  threshold REAL NOT NULL,
  deployed_at_ms INTEGER NOT NULL,
  retired_at_ms INTEGER
);
`;

/** Snapshots kept per feature spec: the newest few, so one damaged write still leaves an older one. */
export const SNAPSHOTS_KEPT = 3;

/** A snapshot's description, without its state. */
export interface SnapshotInfo {
  id: number;
  specSha256: string;
  /** Events the state had taken: the log is replayed from this ordinal on. */
  seenEvents: number;
  /** The largest decision rowid committed when it was taken. */
  coveredRowid: number;
  /** The largest label id it holds: labels after it are applied again. */
  coveredLabelId: number;
  createdAtMs: number;
}

/** A logged event to replay: its ordinal and the event as stored. */
export interface LoggedEvent {
  ordinal: number;
  event: StoredEvent;
}

/** A page of the log read in one transaction (a consistent cut): events in ordinal order, labels in id order. */
export interface LogPage {
  events: (LoggedEvent & { rowid: number })[];
  labels: LoggedLabel[];
}

/** A logged label to apply again, with what finds its event online. */
export interface LoggedLabel {
  id: number;
  label: number;
  /** Events the state had taken when it was applied (null for labels of schema version 1). */
  seenEvents: number | null;
  ordinal: number;
  event: StoredEvent;
}

export type DeploymentRole = 'champion' | 'shadow';

/** A deployment as recorded. */
export interface DeploymentRecord {
  id: number;
  modelVersion: string;
  role: DeploymentRole;
  path: string;
  kind: string;
  specSha256: string;
  threshold: number;
  deployedAtMs: number;
}

/** A model's scores over the events that got a label (the latest label of each). */
export interface LabelledScores {
  scored: number;
  labels: Float32Array;
  scores: Float64Array;
}

interface SnapshotRow {
  id: number;
  spec_sha256: string;
  seen_events: number;
  covered_rowid: number;
  covered_label_id: number;
  created_at_ms: number;
}

interface DeploymentRow {
  id: number;
  model_version: string;
  role: DeploymentRole;
  path: string;
  kind: string;
  spec_sha256: string;
  threshold: number;
  deployed_at_ms: number;
}

/**
 * The state store on the audit store's file (open the AuditStore first: it creates and checks
 * the file).
 *
 * @example
 * const state = StateStore.open('vigil.db');
 * const newest = state.snapshots()[0];
 */
export class StateStore {
  private readonly db: Database.Database;
  private closed = false;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
  }

  /**
   * `synchronous: 'normal'` (the snapshot worker's connection): its commits do not sync; a
   * snapshot lost with the machine costs only a longer replay, and the next commit of the
   * service (synced) makes it durable with everything before it in the WAL.
   *
   * @throws DataError `audit_store_unreadable` when the file cannot be opened
   */
  static open(path: string, options: { synchronous?: 'full' | 'normal' } = {}): StateStore {
    try {
      const db = new Database(path, { fileMustExist: true });
      db.pragma('journal_mode = WAL');
      db.pragma(options.synchronous === 'normal' ? 'synchronous = NORMAL' : 'synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      // Files from before snapshot files: both columns are nullable, so adding them is all.
      const columns = db.prepare<[], { name: string }>('PRAGMA table_info(state_snapshots)').all();
      if (!columns.some((c) => c.name === 'state_file'))
        db.exec(
          'ALTER TABLE state_snapshots ADD COLUMN state_file TEXT; ALTER TABLE state_snapshots ADD COLUMN state_bytes INTEGER',
        );
      return new StateStore(path, db);
    } catch (cause) {
      throw new DataError(
        'audit_store_unreadable',
        `${path} cannot be opened for the online state: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }

  /**
   * Keeps a snapshot (the state's JSON) and drops all but the newest {@link SNAPSHOTS_KEPT} of its
   * spec. The covered rowid and label id are read in the same transaction.
   */
  saveSnapshot(snapshot: {
    specSha256: string;
    seenEvents: number;
    stateJson: string;
    createdAtMs: number;
  }): SnapshotInfo {
    return this.db.transaction(() => {
      const coveredRowid =
        (this.db.prepare('SELECT max(rowid) AS n FROM decisions').get() as { n: number | null }).n ?? 0;
      const coveredLabelId = (this.db.prepare('SELECT max(id) AS n FROM labels').get() as { n: number | null }).n ?? 0;
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO state_snapshots (spec_sha256, seen_events, covered_rowid, covered_label_id, created_at_ms, state_json)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          snapshot.specSha256,
          snapshot.seenEvents,
          coveredRowid,
          coveredLabelId,
          snapshot.createdAtMs,
          snapshot.stateJson,
        );
      this.dropOldSnapshots(snapshot.specSha256);
      return {
        id: Number(lastInsertRowid),
        specSha256: snapshot.specSha256,
        seenEvents: snapshot.seenEvents,
        coveredRowid,
        coveredLabelId,
        createdAtMs: snapshot.createdAtMs,
      };
    })();
  }

  /**
   * The directory beside the file that holds snapshots written as files (`<file>.state/`): the
   * snapshot worker writes its 34 MB states there, outside SQLite, so the file's write lock is
   * never held for more than a row while the service commits.
   */
  get snapshotDir(): string {
    return `${this.path}.state`;
  }

  /**
   * Writes a snapshot's state JSON (UTF-8 bytes) to `<snapshotDir>/<name>.json`: to a temporary
   * file, then renamed, so a file under its name was written whole. The snapshot exists only
   * once {@link commitSnapshotFile} has recorded it. The file is not synced: a sync of 34 MB
   * would queue the service's own synced commits behind it on the disk. After a machine crash, a
   * file the kernel had not yet written back reads short or empty. Readers check `state_bytes`
   * and skip such a file, and the start replays from an older snapshot.
   */
  async writeSnapshotFile(name: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.snapshotDir, { recursive: true });
    const final = join(this.snapshotDir, `${name}.json`);
    const temporary = `${final}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, final);
  }

  /**
   * Records a snapshot whose state is in the file {@link writeSnapshotFile} wrote under `name`
   * (`stateBytes` long), in one short transaction, and drops all but the newest
   * {@link SNAPSHOTS_KEPT} of its spec (their files stay until {@link dropUnreferencedFiles}).
   */
  commitSnapshotFile(snapshot: Omit<SnapshotInfo, 'id'> & { name: string; stateBytes: number }): SnapshotInfo {
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO state_snapshots (spec_sha256, seen_events, covered_rowid, covered_label_id, created_at_ms, state_json, state_file, state_bytes)
           VALUES (?, ?, ?, ?, ?, '', ?, ?)`,
        )
        .run(
          snapshot.specSha256,
          snapshot.seenEvents,
          snapshot.coveredRowid,
          snapshot.coveredLabelId,
          snapshot.createdAtMs,
          `${snapshot.name}.json`,
          snapshot.stateBytes,
        );
      this.dropOldSnapshots(snapshot.specSha256);
      const { name: _n, stateBytes: _b, ...info } = snapshot;
      return { id: Number(lastInsertRowid), ...info };
    })();
  }

  /**
   * Deletes the files in {@link snapshotDir} that no snapshot refers to: of dropped snapshots,
   * and temporary files of writes cut off by a crash (call it between writes). Returns how many.
   */
  async dropUnreferencedFiles(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.snapshotDir);
    } catch {
      return 0;
    }
    const kept = new Set(
      (
        this.db.prepare('SELECT state_file FROM state_snapshots WHERE state_file IS NOT NULL').raw().all() as [string][]
      ).map((r) => r[0]),
    );
    let dropped = 0;
    for (const name of names)
      if (!kept.has(name)) {
        await rm(join(this.snapshotDir, name), { force: true });
        dropped++;
      }
    return dropped;
  }

  /**
   * Reads the log from event ordinal `fromOrdinal` (up to `maxEvents` events, those before
   * `beforeOrdinal` when given) and the labels after id `afterLabelId` (up to id `maxLabelId`
   * when given), in one read transaction: a consistent cut of the committed log.
   */
  readLog(
    fromOrdinal: number,
    afterLabelId: number,
    limits: { maxEvents: number; beforeOrdinal?: number; maxLabelId?: number },
  ): LogPage {
    return this.db.transaction((): LogPage => {
      const rows = this.db
        .prepare(
          'SELECT rowid, ordinal, event_json FROM decisions WHERE ordinal >= ? AND ordinal < ? ORDER BY ordinal LIMIT ?',
        )
        .raw()
        .all(fromOrdinal, limits.beforeOrdinal ?? Number.MAX_SAFE_INTEGER, limits.maxEvents) as [
        number,
        number,
        string,
      ][];
      return {
        events: rows.map(([rowid, ordinal, json]) => ({ rowid, ordinal, event: JSON.parse(json) as StoredEvent })),
        labels: this.labelsAfter(afterLabelId, limits.maxLabelId),
      };
    })();
  }

  /** One past the largest event ordinal committed (0 for an empty log). */
  nextOrdinal(): number {
    return ((this.db.prepare('SELECT max(ordinal) AS n FROM decisions').get() as { n: number | null }).n ?? -1) + 1;
  }

  /** The largest label id kept (0 when none). */
  lastLabelId(): number {
    return (this.db.prepare('SELECT max(id) AS n FROM labels').get() as { n: number | null }).n ?? 0;
  }

  /** Every snapshot kept, newest first. */
  snapshots(): SnapshotInfo[] {
    return (
      this.db
        .prepare(
          'SELECT id, spec_sha256, seen_events, covered_rowid, covered_label_id, created_at_ms FROM state_snapshots ORDER BY id DESC',
        )
        .all() as SnapshotRow[]
    ).map((r) => ({
      id: r.id,
      specSha256: r.spec_sha256,
      seenEvents: r.seen_events,
      coveredRowid: r.covered_rowid,
      coveredLabelId: r.covered_label_id,
      createdAtMs: r.created_at_ms,
    }));
  }

  /**
   * A snapshot's state JSON: from its row, or from its file.
   *
   * @throws DataError `no_snapshot`; `bad_feature_state` when its file is missing or cut short
   */
  snapshotState(id: number): string {
    const row = this.db
      .prepare('SELECT state_json, state_file, state_bytes FROM state_snapshots WHERE id = ?')
      .get(id) as { state_json: string; state_file: string | null; state_bytes: number | null } | undefined;
    if (row === undefined) throw new DataError('no_snapshot', `no state snapshot ${id} in ${this.path}`);
    if (row.state_file === null) return row.state_json;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.snapshotDir, row.state_file));
    } catch (cause) {
      throw new DataError('bad_feature_state', `state snapshot ${id}: ${row.state_file} cannot be read`, { cause });
    }
    if (bytes.byteLength !== row.state_bytes)
      throw new DataError(
        'bad_feature_state',
        `state snapshot ${id}: ${row.state_file} holds ${bytes.byteLength} of its ${row.state_bytes} bytes`,
      );
    return bytes.toString('utf8');
  }

  private dropOldSnapshots(specSha256: string): void {
    this.db
      .prepare(
        `DELETE FROM state_snapshots WHERE spec_sha256 = ? AND id NOT IN
           (SELECT id FROM state_snapshots WHERE spec_sha256 = ? ORDER BY id DESC LIMIT ${SNAPSHOTS_KEPT})`,
      )
      .run(specSha256, specSha256);
  }

  /** The logged events from `ordinal` on, in ordinal order (the order the online state took them). */
  *eventsFrom(ordinal: number): Generator<LoggedEvent> {
    const rows = this.db
      .prepare('SELECT ordinal, event_json FROM decisions WHERE ordinal >= ? ORDER BY ordinal')
      .raw()
      .iterate(ordinal) as IterableIterator<[number, string]>;
    for (const [o, json] of rows) yield { ordinal: o, event: JSON.parse(json) as StoredEvent };
  }

  /** Events logged from `ordinal` on. */
  countEventsFrom(ordinal: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM decisions WHERE ordinal >= ?').get(ordinal) as { n: number }).n;
  }

  /** The labels after label id `afterId` (up to `maxId`), in the order they arrived, with their events. */
  labelsAfter(afterId: number, maxId = Number.MAX_SAFE_INTEGER): LoggedLabel[] {
    return (
      this.db
        .prepare(
          `SELECT l.id, l.label, l.seen_events, d.ordinal, d.event_json FROM labels l
           JOIN decisions d ON d.event_id = l.event_id WHERE l.id > ? AND l.id <= ? ORDER BY l.id`,
        )
        .raw()
        .all(afterId, maxId) as [number, number, number | null, number, string][]
    ).map(([id, label, seenEvents, ordinal, json]) => ({
      id,
      label,
      seenEvents,
      ordinal,
      event: JSON.parse(json) as StoredEvent,
    }));
  }

  /** The models deployed now (not retired), champion first, then shadows in the order deployed. */
  deployments(): DeploymentRecord[] {
    return (
      this.db
        .prepare(
          `SELECT id, model_version, role, path, kind, spec_sha256, threshold, deployed_at_ms FROM deployments
           WHERE retired_at_ms IS NULL ORDER BY role = 'shadow', id`,
        )
        .all() as DeploymentRow[]
    ).map((r) => ({
      id: r.id,
      modelVersion: r.model_version,
      role: r.role,
      path: r.path,
      kind: r.kind,
      specSha256: r.spec_sha256,
      threshold: r.threshold,
      deployedAtMs: r.deployed_at_ms,
    }));
  }

  /**
   * Records a deployment; for a champion, retires the champion before it, and in any case any
   * earlier deployment of the same model version (a shadow promoted to champion), in one
   * transaction.
   */
  recordDeployment(d: Omit<DeploymentRecord, 'id'>): DeploymentRecord {
    return this.db.transaction(() => {
      const retire = this.db.prepare(
        `UPDATE deployments SET retired_at_ms = ? WHERE retired_at_ms IS NULL AND (model_version = ? OR (? = 'champion' AND role = 'champion'))`,
      );
      retire.run(d.deployedAtMs, d.modelVersion, d.role);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO deployments (model_version, role, path, kind, spec_sha256, threshold, deployed_at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(d.modelVersion, d.role, d.path, d.kind, d.specSha256, d.threshold, d.deployedAtMs);
      return { ...d, id: Number(lastInsertRowid) };
    })();
  }

  /** Retires the deployment of a model version. */
  retireDeployment(modelVersion: string, atMs: number): void {
    this.db
      .prepare('UPDATE deployments SET retired_at_ms = ? WHERE retired_at_ms IS NULL AND model_version = ?')
      .run(atMs, modelVersion);
  }

  /**
   * A model's scores that have a label, with the latest label of each event: as the champion its
   * decisions' scores, as a shadow its shadow scores. `scored` counts every event it scored.
   */
  labelledScores(modelVersion: string, role: DeploymentRole): LabelledScores {
    const [scoredSql, labelledSql] =
      role === 'champion'
        ? [
            'SELECT count(*) AS n FROM decisions WHERE model_version = ?',
            `SELECT d.score, l.label FROM decisions d JOIN labels l ON l.event_id = d.event_id
             WHERE d.model_version = ? AND d.score IS NOT NULL
               AND l.id = (SELECT max(id) FROM labels WHERE event_id = d.event_id)`,
          ]
        : [
            'SELECT count(*) AS n FROM shadow_scores WHERE model_version = ?',
            `SELECT s.score, l.label FROM shadow_scores s JOIN labels l ON l.event_id = s.event_id
             WHERE s.model_version = ? AND s.score IS NOT NULL
               AND l.id = (SELECT max(id) FROM labels WHERE event_id = s.event_id)`,
          ];
    const scored = (this.db.prepare(scoredSql).get(modelVersion) as { n: number }).n;
    const rows = this.db.prepare(labelledSql).raw().all(modelVersion) as [number, number][];
    return {
      scored,
      scores: Float64Array.from(rows, (r) => r[0]),
      labels: Float32Array.from(rows, (r) => r[1]),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
