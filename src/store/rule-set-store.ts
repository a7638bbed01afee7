/**
 * Every rule set the service made active, in the audit store's SQLite file (`rule_sets`), so an
 * audit can read which rules decided an event (`decisions.rules_version`). It opens its own
 * connection to the file: rule sets change rarely, and the decisions' group commit stays as it is.
 */
import Database from 'better-sqlite3';
import { ConfigError, DataError } from '../errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rule_sets (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  json TEXT NOT NULL,
  activated_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rule_sets_version ON rule_sets (version);
`;

/** A rule set as kept: its JSON (personal identifiers as pseudonyms) and when it became active. */
export interface StoredRuleSet {
  version: string;
  sha256: string;
  /** The rule set as compact JSON. */
  json: string;
  activatedAtMs: number;
}

interface Row {
  version: string;
  sha256: string;
  json: string;
  activated_at_ms: number;
}

const fromRow = (r: Row): StoredRuleSet => ({
  version: r.version,
  sha256: r.sha256,
  json: r.json,
  activatedAtMs: r.activated_at_ms,
});

/**
 * The rule set history of an audit store file.
 *
 * @example
 * const ruleSets = RuleSetStore.open('vigil.db');
 * ruleSets.activate({ version: rules.version, sha256: rules.sha256, json: JSON.stringify(rules.ruleSet), activatedAtMs: Date.now() });
 * ruleSets.latest()?.version;
 */
export class RuleSetStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly selectLatest: Database.Statement<[], Row>;
  private readonly selectVersion: Database.Statement<[string], Row>;
  private readonly selectAll: Database.Statement<[], Row>;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.insert = db.prepare(
      'INSERT INTO rule_sets (version, sha256, json, activated_at_ms) VALUES (@version, @sha256, @json, @activatedAtMs)',
    );
    this.selectLatest = db.prepare('SELECT * FROM rule_sets ORDER BY id DESC LIMIT 1');
    this.selectVersion = db.prepare('SELECT * FROM rule_sets WHERE version = ? ORDER BY id LIMIT 1');
    this.selectAll = db.prepare('SELECT * FROM rule_sets ORDER BY id');
  }

  /**
   * Opens the history in the SQLite file at `path` (created when missing; WAL, synchronous FULL).
   *
   * @throws DataError `audit_store_unreadable`
   */
  static open(path: string): RuleSetStore {
    try {
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      return new RuleSetStore(path, db);
    } catch (cause) {
      throw new DataError(
        'audit_store_unreadable',
        `${path} cannot be opened for rule sets: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }

  /** The set active last (the latest activation), if any. */
  latest(): StoredRuleSet | undefined {
    const row = this.selectLatest.get();
    return row === undefined ? undefined : fromRow(row);
  }

  /** The set kept under `version`. */
  find(version: string): StoredRuleSet | undefined {
    const row = this.selectVersion.get(version);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every activation, oldest first (a version activated again appears again). */
  history(): StoredRuleSet[] {
    return this.selectAll.all().map(fromRow);
  }

  /**
   * Records that `set` became active, committed when this returns. A version names one set
   * for good: the same version with other content is refused, so an audit record's version
   * always means one set of rules.
   *
   * @throws ConfigError `rules_version_conflict`
   */
  activate(set: StoredRuleSet): void {
    const kept = this.find(set.version);
    if (kept !== undefined && kept.sha256 !== set.sha256)
      throw new ConfigError(
        'rules_version_conflict',
        `rule set version ${JSON.stringify(set.version)} was kept before with other rules (sha256 ${kept.sha256.slice(0, 12)}…): give the changed set a new version`,
      );
    this.insert.run(set);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
