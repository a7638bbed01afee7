/**
 * Validation and compilation of a rule set. The whole set is checked at once (every problem with
 * its JSON path), then each condition becomes a closure, so evaluating an event is a handful of
 * property reads and comparisons per rule, with no tree walk or string lookup.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, type Issue } from '../errors.js';
import {
  ALERT_SEVERITIES,
  type AlertSeverity,
  CONDITION_OPS,
  DEFAULT_ALERT_SEVERITY,
  EVENT_FIELD_TYPES,
  type FieldType,
  RULE_ACTIONS,
  type RuleAction,
  type RuleContext,
  type RuleHit,
  type RuleSet,
} from './rule-set.js';

/** How the service pseudonymises personal identifiers, so values compared with them match. */
export interface RulePseudonyms {
  /** The event fields holding personal identifiers (`customerId`, `ipAddress`, `deviceId`). */
  fields: readonly string[];
  pseudonymise(field: string, value: string): string;
}

export interface CompileRuleSetOptions {
  /**
   * The feature names of the bundle the rules run beside: `features.<NAME>` must be one of them.
   * Without it any feature name is accepted (and reads as missing when the scorer has none).
   */
  featureNames?: readonly string[];
  /**
   * Pseudonymise the values compared with personal identifiers (literal values and lists), as
   * the service does with the events, unless the set says it is `pseudonymised` already.
   */
  pseudonyms?: RulePseudonyms;
}

/** A rule set ready to evaluate. */
export interface CompiledRuleSet {
  version: string;
  /** sha256 (hex) of {@link ruleSet} as compact JSON: what an audit compares. */
  sha256: string;
  /** The set as kept: pseudonymised values where personal identifiers are compared. */
  ruleSet: RuleSet;
  /** Rules in the set, enabled or not. */
  ruleCount: number;
  /** The rules whose condition holds for the event, in rule order (disabled rules never). */
  evaluate(context: RuleContext): RuleHit[];
}

type Path = (string | number)[];
type Predicate = (context: RuleContext) => boolean;

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LIST_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_REASON_LENGTH = 256;
/** Conditions nest at most this deep (a set from a file, not a parser bomb). */
const MAX_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeOfValue = (v: unknown): FieldType | undefined =>
  typeof v === 'string'
    ? 'string'
    : typeof v === 'number' && Number.isFinite(v)
      ? 'number'
      : typeof v === 'boolean'
        ? 'boolean'
        : undefined;
const describe = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`);

/** The sha256 (hex) of a rule set as compact JSON. */
export function ruleSetSha256(ruleSet: RuleSet): string {
  return createHash('sha256').update(JSON.stringify(ruleSet)).digest('hex');
}

/**
 * Checks and compiles a rule set (parsed JSON, unknown until checked).
 *
 * @throws ConfigError `invalid_rules` listing every problem with its JSON path: unknown keys,
 *   fields, features, ops or lists, values of the wrong type, duplicate rule ids
 * @example
 * const rules = compileRuleSet(JSON.parse(text), { featureNames: scorer.featureNames });
 * rules.evaluate({ event, features, score }); // [{ id: 'blocked-ip', action: 'decline', reason: '…' }]
 */
export function compileRuleSet(input: unknown, options: CompileRuleSetOptions = {}): CompiledRuleSet {
  const compiler = new Compiler(options);
  const result = compiler.compile(input);
  if (compiler.issues.length > 0 || result === undefined)
    throw new ConfigError('invalid_rules', `the rule set has ${compiler.issues.length} problem(s)`, {
      issues: compiler.issues,
    });
  return result;
}

/** Every problem of a rule set, as {@link compileRuleSet} would list them (empty when it compiles). */
export function ruleSetIssues(input: unknown, options: CompileRuleSetOptions = {}): Issue[] {
  const compiler = new Compiler(options);
  compiler.compile(input);
  return compiler.issues;
}

/**
 * Reads a rule set file as JSON, unchecked (for a caller that compiles it with its own options).
 *
 * @throws ConfigError `unreadable_rules` (missing file, not JSON)
 */
export async function readRuleSetJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('unreadable_rules', `cannot read the rule set ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('unreadable_rules', `the rule set ${path} is not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Reads and compiles a rule set file.
 *
 * @throws ConfigError `unreadable_rules` (missing file, not JSON), `invalid_rules`
 */
export async function readRuleSetFile(path: string, options: CompileRuleSetOptions = {}): Promise<CompiledRuleSet> {
  const json = await readRuleSetJson(path);
  try {
    return compileRuleSet(json, options);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(error.code, `${path}: ${error.message}`, { issues: error.issues, cause: error });
    throw error;
  }
}

interface CompiledRule {
  enabled: boolean;
  test: Predicate;
  hit: RuleHit;
}

/** One pass over the input: checks it (collecting issues), builds the kept form and the closures. */
class Compiler {
  readonly issues: Issue[] = [];
  private lists = new Map<string, (string | number)[]>();
  /** Which personal field each list is compared with, so it is pseudonymised once and for that field. */
  private listFields = new Map<string, string>();
  private pseudonymise: RulePseudonyms | undefined;

  constructor(private readonly options: CompileRuleSetOptions) {}

  private issue(code: string, path: Path, message: string): void {
    this.issues.push({ code, path, message });
  }

  private unknownKeys(object: Record<string, unknown>, allowed: readonly string[], path: Path): void {
    for (const key of Object.keys(object))
      if (!allowed.includes(key)) this.issue('unknown_field', [...path, key], `${key} is not a field here`);
  }

  private isPersonal(field: string): boolean {
    return this.pseudonymise?.fields.includes(field) ?? false;
  }

  compile(input: unknown): CompiledRuleSet | undefined {
    if (!isObject(input)) {
      this.issue('invalid_type', [], `a rule set is a JSON object {version, lists?, rules}, got ${describe(input)}`);
      return undefined;
    }
    this.unknownKeys(input, ['version', 'description', 'lists', 'rules', 'pseudonymised'], []);
    const { version, description, lists, rules, pseudonymised } = input;
    if (typeof version !== 'string' || !VERSION_PATTERN.test(version))
      this.issue(
        version === undefined ? 'missing_field' : 'invalid_version',
        ['version'],
        'version is 1–64 characters of letters, digits and . _ : - (e.g. "2026-12-03.1")',
      );
    if (description !== undefined && typeof description !== 'string')
      this.issue('invalid_type', ['description'], 'description must be a string');
    if (pseudonymised !== undefined && typeof pseudonymised !== 'boolean')
      this.issue('invalid_type', ['pseudonymised'], 'pseudonymised must be true or false');
    this.pseudonymise = pseudonymised === true ? undefined : this.options.pseudonyms;
    const alreadyPseudonymised = pseudonymised === true || this.options.pseudonyms !== undefined;

    if (lists !== undefined) {
      if (!isObject(lists)) this.issue('invalid_type', ['lists'], 'lists is an object {name: [values]}');
      else
        for (const [name, values] of Object.entries(lists)) {
          const path = ['lists', name];
          if (!LIST_NAME_PATTERN.test(name))
            this.issue('invalid_name', path, 'a list name starts with a letter, then letters, digits or _');
          if (!Array.isArray(values)) {
            this.issue('invalid_type', path, `a list is an array of strings or numbers, got ${describe(values)}`);
            continue;
          }
          const first = typeOfValue(values[0]);
          values.forEach((v, i) => {
            const t = typeOfValue(v);
            if (t === undefined)
              this.issue('invalid_type', [...path, i], `list values are strings or finite numbers, got ${describe(v)}`);
            else if (t !== first)
              this.issue('invalid_type', [...path, i], `the list holds ${first}s; this value is a ${t}`);
          });
          this.lists.set(name, values as (string | number)[]);
        }
    }

    const compiled: CompiledRule[] = [];
    const keptRules: unknown[] = [];
    if (!Array.isArray(rules))
      this.issue(
        rules === undefined ? 'missing_field' : 'invalid_type',
        ['rules'],
        'rules is an array of rules (it may be empty)',
      );
    else {
      const seen = new Map<string, number>();
      rules.forEach((rule, i) => {
        const path = ['rules', i];
        if (!isObject(rule)) {
          this.issue('invalid_type', path, `a rule is an object {id, action, reason, when}, got ${describe(rule)}`);
          return;
        }
        if (typeof rule.id === 'string') {
          const other = seen.get(rule.id);
          if (other !== undefined)
            this.issue('duplicate_id', [...path, 'id'], `rule id ${JSON.stringify(rule.id)} is also rules[${other}]`);
          else seen.set(rule.id, i);
        }
        const result = this.rule(rule, path);
        if (result !== undefined) {
          compiled.push(result.compiled);
          keptRules.push(result.kept);
        }
      });
    }
    if (this.issues.length > 0) return undefined;

    // The kept form: lists compared with personal identifiers hold pseudonyms from here on.
    const keptLists: Record<string, (string | number)[]> = {};
    for (const [name, values] of this.lists) {
      const field = this.listFields.get(name);
      keptLists[name] =
        field === undefined || field === '' || this.pseudonymise === undefined
          ? [...values]
          : values.map((v) => (this.pseudonymise as RulePseudonyms).pseudonymise(field, String(v)));
    }
    const ruleSet = {
      version: version as string,
      ...(description === undefined ? {} : { description: description as string }),
      ...(lists === undefined ? {} : { lists: keptLists }),
      rules: keptRules,
      ...(alreadyPseudonymised ? { pseudonymised: true } : {}),
    } as RuleSet;
    // Sets are built after the lists are pseudonymised: the closures compare kept values only.
    const sets = new Map<string, Set<string | number>>();
    for (const [name, values] of Object.entries(keptLists)) sets.set(name, new Set(values));
    for (const resolve of this.pendingSets) resolve(sets);

    const active = compiled.filter((r) => r.enabled);
    const tests = active.map((r) => r.test);
    const hits = active.map((r) => r.hit);
    return {
      version: ruleSet.version,
      sha256: ruleSetSha256(ruleSet),
      ruleSet,
      ruleCount: compiled.length,
      evaluate(context: RuleContext): RuleHit[] {
        const out: RuleHit[] = [];
        for (let r = 0; r < tests.length; r++) if ((tests[r] as Predicate)(context)) out.push(hits[r] as RuleHit);
        return out;
      },
    };
  }

  /** List conditions get their Set once every list is final (and pseudonymised). */
  private pendingSets: ((sets: Map<string, Set<string | number>>) => void)[] = [];

  private rule(
    rule: Record<string, unknown>,
    path: Path,
  ): { compiled: CompiledRule; kept: Record<string, unknown> } | undefined {
    this.unknownKeys(rule, ['id', 'description', 'reason', 'action', 'severity', 'enabled', 'when'], path);
    const { id, description, reason, action, severity, enabled, when } = rule;
    const before = this.issues.length;
    if (typeof id !== 'string' || !ID_PATTERN.test(id))
      this.issue(
        id === undefined ? 'missing_field' : 'invalid_id',
        [...path, 'id'],
        'a rule id is 1–64 characters of letters, digits and . _ -',
      );
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH)
      this.issue(
        reason === undefined ? 'missing_field' : 'invalid_type',
        [...path, 'reason'],
        `reason is the text the decision and alert show: 1–${MAX_REASON_LENGTH} characters`,
      );
    if (description !== undefined && typeof description !== 'string')
      this.issue('invalid_type', [...path, 'description'], 'description must be a string');
    if (!(RULE_ACTIONS as readonly unknown[]).includes(action))
      this.issue(
        action === undefined ? 'missing_field' : 'unknown_action',
        [...path, 'action'],
        `action is one of ${RULE_ACTIONS.join(', ')}`,
      );
    if (severity !== undefined) {
      if (!(ALERT_SEVERITIES as readonly unknown[]).includes(severity))
        this.issue('unknown_severity', [...path, 'severity'], `severity is one of ${ALERT_SEVERITIES.join(', ')}`);
      else if (action !== 'alert' && (RULE_ACTIONS as readonly unknown[]).includes(action))
        this.issue('severity_without_alert', [...path, 'severity'], 'severity is for alert rules only');
    }
    if (enabled !== undefined && typeof enabled !== 'boolean')
      this.issue('invalid_type', [...path, 'enabled'], 'enabled must be true or false');
    if (when === undefined) this.issue('missing_field', [...path, 'when'], 'when is the rule condition');
    const condition = when === undefined ? undefined : this.condition(when, [...path, 'when'], 0);
    if (this.issues.length > before || condition === undefined) return undefined;
    const hit: RuleHit = {
      id: id as string,
      action: action as RuleAction,
      reason: reason as string,
      ...(action === 'alert' ? { severity: (severity as AlertSeverity | undefined) ?? DEFAULT_ALERT_SEVERITY } : {}),
    };
    const kept: Record<string, unknown> = { id, action, reason };
    if (description !== undefined) kept.description = description;
    if (severity !== undefined) kept.severity = severity;
    if (enabled !== undefined) kept.enabled = enabled;
    kept.when = condition.kept;
    return { compiled: { enabled: enabled !== false, test: condition.test, hit: Object.freeze(hit) }, kept };
  }

  private condition(node: unknown, path: Path, depth: number): { test: Predicate; kept: unknown } | undefined {
    if (depth > MAX_DEPTH) {
      this.issue('too_deep', path, `conditions nest at most ${MAX_DEPTH} levels`);
      return undefined;
    }
    if (!isObject(node)) {
      this.issue(
        'invalid_type',
        path,
        `a condition is an object ({field, op, value}, {all}, {any} or {not}), got ${describe(node)}`,
      );
      return undefined;
    }
    const forms = ['field', 'all', 'any', 'not'].filter((k) => k in node);
    if (forms.length !== 1) {
      this.issue(
        'invalid_condition',
        path,
        forms.length === 0
          ? 'a condition has one of field (with op), all, any or not'
          : `a condition has one of field, all, any or not, not ${forms.join(' and ')}`,
      );
      return undefined;
    }
    const form = forms[0] as string;
    if (form === 'not') {
      this.unknownKeys(node, ['not'], path);
      const inner = this.condition(node.not, [...path, 'not'], depth + 1);
      if (inner === undefined) return undefined;
      const test = inner.test;
      return { test: (c) => !test(c), kept: { not: inner.kept } };
    }
    if (form === 'all' || form === 'any') {
      this.unknownKeys(node, [form], path);
      const items = node[form];
      if (!Array.isArray(items) || items.length === 0) {
        this.issue('invalid_type', [...path, form], `${form} is a non-empty array of conditions`);
        return undefined;
      }
      const parts = items.map((item, i) => this.condition(item, [...path, form, i], depth + 1));
      if (parts.some((p) => p === undefined)) return undefined;
      const tests = parts.map((p) => (p as { test: Predicate }).test);
      const kept = { [form]: parts.map((p) => (p as { kept: unknown }).kept) };
      if (tests.length === 1) return { test: tests[0] as Predicate, kept };
      const test: Predicate =
        form === 'all'
          ? (c) => {
              for (let i = 0; i < tests.length; i++) if (!(tests[i] as Predicate)(c)) return false;
              return true;
            }
          : (c) => {
              for (let i = 0; i < tests.length; i++) if ((tests[i] as Predicate)(c)) return true;
              return false;
            };
      return { test, kept };
    }
    return this.fieldCondition(node, path);
  }

  /** The type and accessor of a field reference, or undefined (with an issue). */
  private field(
    ref: unknown,
    path: Path,
  ): { type: FieldType; eventField?: string; read: (c: RuleContext) => unknown } | undefined {
    if (typeof ref !== 'string') {
      this.issue('invalid_type', path, 'field is a string: event.<name>, features.<NAME> or score');
      return undefined;
    }
    if (ref === 'score') return { type: 'number', read: (c) => c.score };
    if (ref.startsWith('event.')) {
      const name = ref.slice('event.'.length);
      const type = Object.hasOwn(EVENT_FIELD_TYPES, name) ? EVENT_FIELD_TYPES[name] : undefined;
      if (type === undefined) {
        this.issue(
          'unknown_event_field',
          path,
          `${ref} is not an event field; events have ${Object.keys(EVENT_FIELD_TYPES)
            .map((f) => `event.${f}`)
            .join(', ')}`,
        );
        return undefined;
      }
      return { type, eventField: name, read: (c) => (c.event as Record<string, unknown>)[name] };
    }
    if (ref.startsWith('features.')) {
      const name = ref.slice('features.'.length);
      const names = this.options.featureNames;
      if (name === '' || (names !== undefined && !names.includes(name))) {
        this.issue(
          'unknown_feature',
          path,
          names === undefined
            ? 'features.<NAME> needs a feature name'
            : `${name} is not a feature of the model's spec (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})`,
        );
        return undefined;
      }
      return { type: 'number', read: (c) => c.features[name] };
    }
    this.issue('unknown_field_ref', path, `${ref} is not event.<name>, features.<NAME> or score`);
    return undefined;
  }

  private fieldCondition(node: Record<string, unknown>, path: Path): { test: Predicate; kept: unknown } | undefined {
    const { op } = node;
    const before = this.issues.length;
    const field = this.field(node.field, [...path, 'field']);
    if (!(CONDITION_OPS as readonly unknown[]).includes(op)) {
      this.issue(
        op === undefined ? 'missing_field' : 'unknown_op',
        [...path, 'op'],
        `op is one of ${CONDITION_OPS.join(' ')}`,
      );
      this.unknownKeys(node, ['field', 'op', 'value', 'list'], path);
      return undefined;
    }
    const listOp = op === 'in' || op === 'notIn';
    this.unknownKeys(
      node,
      op === 'exists' ? ['field', 'op'] : listOp ? ['field', 'op', 'value', 'list'] : ['field', 'op', 'value'],
      path,
    );
    if (field === undefined || this.issues.length > before) return undefined;
    const { read, type, eventField } = field;
    const personal = eventField !== undefined && this.isPersonal(eventField);
    const pseudonym = (v: string | number) =>
      personal ? (this.pseudonymise as RulePseudonyms).pseudonymise(eventField as string, String(v)) : v;
    const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'number' && Number.isNaN(v));

    if (op === 'exists') return { test: (c) => present(read(c)), kept: { field: node.field, op } };

    if (listOp) {
      const hasValue = 'value' in node;
      const hasList = 'list' in node;
      if (hasValue === hasList) {
        this.issue('invalid_condition', path, `${op} takes either value (an array) or list (a list name)`);
        return undefined;
      }
      // Read through the holder: a list's Set is made once every list is final (pseudonymised).
      const holder = { set: new Set<string | number>() };
      let kept: Record<string, unknown>;
      if (hasValue) {
        const values = node.value;
        if (!Array.isArray(values)) {
          this.issue('invalid_type', [...path, 'value'], `${op} takes an array of ${type}s`);
          return undefined;
        }
        values.forEach((v, i) => {
          if (typeOfValue(v) !== type)
            this.issue('invalid_type', [...path, 'value', i], `${node.field} holds ${type}s; got ${describe(v)}`);
        });
        if (this.issues.length > before) return undefined;
        const keptValues = (values as (string | number)[]).map(pseudonym);
        holder.set = new Set(keptValues);
        kept = { field: node.field, op, value: keptValues };
      } else {
        const name = node.list;
        const values = typeof name === 'string' ? this.lists.get(name) : undefined;
        if (values === undefined) {
          this.issue(
            'unknown_list',
            [...path, 'list'],
            `${JSON.stringify(name)} is not a list of this set${this.lists.size > 0 ? ` (lists: ${[...this.lists.keys()].join(', ')})` : ''}`,
          );
          return undefined;
        }
        const listType = typeOfValue(values[0]);
        if (listType !== undefined && listType !== type) {
          this.issue(
            'invalid_type',
            [...path, 'list'],
            `${node.field} holds ${type}s; list ${name} holds ${listType}s`,
          );
          return undefined;
        }
        const usedWith = this.listFields.get(name as string);
        const target = personal ? (eventField as string) : '';
        if (usedWith !== undefined && usedWith !== target) {
          this.issue(
            'list_field_mismatch',
            [...path, 'list'],
            `list ${name} is compared with ${usedWith === '' ? 'a field that is not a personal identifier' : `event.${usedWith}`} elsewhere: a list compared with a personal identifier (kept as pseudonyms) serves that field only`,
          );
          return undefined;
        }
        this.listFields.set(name as string, target);
        this.pendingSets.push((sets) => {
          holder.set = sets.get(name as string) ?? holder.set;
        });
        kept = { field: node.field, op, list: name };
      }
      const test: Predicate =
        op === 'in'
          ? (c) => {
              const v = read(c);
              return present(v) && holder.set.has(v as string | number);
            }
          : (c) => {
              const v = read(c);
              return present(v) && !holder.set.has(v as string | number);
            };
      return { test, kept };
    }

    const value = node.value;
    if (!('value' in node)) {
      this.issue('missing_field', [...path, 'value'], `${op} compares with a value`);
      return undefined;
    }
    if (op === '==' || op === '!=') {
      if (typeOfValue(value) !== type) {
        this.issue('invalid_type', [...path, 'value'], `${node.field} holds ${type}s; got ${describe(value)}`);
        return undefined;
      }
      const x = pseudonym(value as string | number);
      const test: Predicate =
        op === '=='
          ? (c) => read(c) === x
          : (c) => {
              const v = read(c);
              return present(v) && v !== x;
            };
      return { test, kept: { field: node.field, op, value: x } };
    }
    // Ordering: numbers only (a pseudonym or a country code has no useful order).
    if (type !== 'number') {
      this.issue(
        'invalid_type',
        [...path, 'op'],
        `${op} compares numbers; ${node.field} holds ${type}s (use == != in notIn)`,
      );
      return undefined;
    }
    if (typeOfValue(value) !== 'number') {
      this.issue('invalid_type', [...path, 'value'], `${op} compares with a finite number; got ${describe(value)}`);
      return undefined;
    }
    const x = value as number;
    // NaN (a missing feature or score) compares false with everything, as a missing field should.
    const num = (c: RuleContext) => read(c) as number;
    const test: Predicate =
      op === '>'
        ? (c) => num(c) > x
        : op === '>='
          ? (c) => num(c) >= x
          : op === '<'
            ? (c) => num(c) < x
            : (c) => num(c) <= x;
    return { test, kept: { field: node.field, op, value: x } };
  }
}
