/**
 * The rule set the service evaluates, swapped whole and atomically (`PUT /v1/rules`), and every
 * set that was active kept in the store, so each decision names the rules version it used.
 */
import { ConfigError, type Issue } from '../errors.js';
import {
  type AlertSeverity,
  type CompiledRuleSet,
  compileRuleSet,
  type RuleHit,
  type RulePseudonyms,
  ruleSetIssues,
} from '../rules/index.js';
import type { Decision } from '../scoring/index.js';
import type { ActivityRecord, DecisionRecord, RuleSetStore, StoredRuleSet } from '../store/index.js';

/** The active set and when it became active. */
export interface ActiveRuleSet {
  rules: CompiledRuleSet;
  activatedAtMs: number;
}

/** What an `alert` rule hit hands to `onAlert`, once the decision is committed. */
export interface RuleAlert {
  eventId: string;
  /** The event's kind: alerts of login and behaviour events have no terminal and a NaN score. */
  kind: 'transaction' | 'login' | 'behaviour';
  ruleId: string;
  severity: AlertSeverity;
  reason: string;
  rulesVersion: string;
  /** The event's time as sent (ISO 8601). */
  timestamp: string;
  /** The model's score; NaN for login and behaviour events (not scored). */
  score: number;
  decision: Decision;
  /** Entity keys as kept: customerId, ipAddress and deviceId are pseudonyms. */
  customerId: string;
  /** Absent for login and behaviour events. */
  terminalId?: string;
  ipAddress?: string;
  deviceId?: string;
}

export interface ActiveRulesOptions {
  /**
   * A rule set to start with (parsed JSON, e.g. `vigil serve --rules FILE`): it wins over the
   * set the store had active last.
   */
  initial?: unknown;
  /** Where `initial` came from, for messages (e.g. the file name). */
  initialSource?: string;
  /** Where every active set is kept; without it the history lives only as long as the process. */
  store?: RuleSetStore;
  featureNames: readonly string[];
  pseudonyms: RulePseudonyms;
  nowMs: () => number;
}

/**
 * The service's rules. At start: `initial` when given (recorded as a new activation unless the
 * store's latest set is the same), else the store's latest set, else none.
 */
export class ActiveRules {
  private active: ActiveRuleSet | undefined;
  private readonly memory: StoredRuleSet[] = [];

  private constructor(private readonly options: ActiveRulesOptions) {}

  /**
   * @throws ConfigError `invalid_rules` (every problem listed) for a bad `initial` set or a kept
   *   set that no longer fits the model's features; `rules_version_conflict`
   */
  static open(options: ActiveRulesOptions): ActiveRules {
    const rules = new ActiveRules(options);
    const latest = options.store?.latest();
    if (options.initial !== undefined) {
      const compiled = rules.compile(options.initial, options.initialSource ?? 'the rule set');
      if (latest?.sha256 === compiled.sha256) rules.active = { rules: compiled, activatedAtMs: latest.activatedAtMs };
      else rules.activate(compiled);
    } else if (latest !== undefined) {
      const source = `the rule set kept in ${options.store?.path} (version ${latest.version}; give --rules FILE to replace it)`;
      rules.active = { rules: rules.compile(JSON.parse(latest.json), source), activatedAtMs: latest.activatedAtMs };
    }
    return rules;
  }

  /** The set evaluated now; read once per request so a swap never splits a batch. */
  get current(): ActiveRuleSet | undefined {
    return this.active;
  }

  /**
   * Checks `input` whole, keeps it and makes it active; on any problem the active set stays.
   * The same set as the active one changes nothing (`changed: false`).
   *
   * @throws ConfigError `invalid_rules`, `rules_version_conflict`
   */
  replace(input: unknown): { active: ActiveRuleSet; changed: boolean } {
    const compiled = this.compile(input, 'the rule set');
    if (this.active?.rules.sha256 === compiled.sha256) return { active: this.active, changed: false };
    return { active: this.activate(compiled), changed: true };
  }

  /** Every activation, oldest first. */
  history(): StoredRuleSet[] {
    return this.options.store?.history() ?? [...this.memory];
  }

  /** The set kept under `version`. */
  find(version: string): StoredRuleSet | undefined {
    return this.options.store?.find(version) ?? this.memory.find((s) => s.version === version);
  }

  private compile(input: unknown, source: string): CompiledRuleSet {
    const { featureNames, pseudonyms } = this.options;
    const issues: Issue[] = ruleSetIssues(input, { featureNames, pseudonyms });
    if (issues.length > 0)
      throw new ConfigError('invalid_rules', `${source} has ${issues.length} problem(s)`, { issues });
    return compileRuleSet(input, { featureNames, pseudonyms });
  }

  private activate(rules: CompiledRuleSet): ActiveRuleSet {
    const stored: StoredRuleSet = {
      version: rules.version,
      sha256: rules.sha256,
      json: JSON.stringify(rules.ruleSet),
      activatedAtMs: this.options.nowMs(),
    };
    if (this.options.store !== undefined) this.options.store.activate(stored);
    else {
      const kept = this.memory.find((s) => s.version === stored.version);
      if (kept !== undefined && kept.sha256 !== stored.sha256)
        throw new ConfigError(
          'rules_version_conflict',
          `rule set version ${JSON.stringify(stored.version)} was active before with other rules: give the changed set a new version`,
        );
      this.memory.push(stored);
    }
    // Kept first, then swapped: a set is never active without its record.
    this.active = { rules, activatedAtMs: stored.activatedAtMs };
    return this.active;
  }
}

/** The decision's reasons: the model's, then `rule ID: reason` for each review or decline hit. */
export function reasonsWithRules(modelReasons: readonly string[], hits: readonly RuleHit[]): string[] {
  const reasons = [...modelReasons];
  for (const hit of hits) if (hit.action !== 'alert') reasons.push(`rule ${hit.id}: ${hit.reason}`);
  return reasons;
}

/** The alerts of a committed record's hits (a transaction's, or a login or behaviour event's). */
export function ruleAlerts(record: DecisionRecord | ActivityRecord, hits: readonly RuleHit[]): RuleAlert[] {
  const alerts: RuleAlert[] = [];
  for (const hit of hits) {
    if (hit.action !== 'alert') continue;
    const e = record.event;
    const scored = 'score' in record;
    alerts.push({
      eventId: record.eventId,
      kind: e.kind,
      ruleId: hit.id,
      severity: hit.severity ?? 'medium',
      reason: hit.reason,
      rulesVersion: record.rulesVersion ?? '',
      timestamp: e.timestamp,
      score: scored ? record.score : Number.NaN,
      decision: record.decision,
      customerId: e.customerId,
      ...(scored ? { terminalId: record.event.terminalId } : {}),
      ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
      ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
    });
  }
  return alerts;
}
