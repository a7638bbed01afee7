/**
 * The rules engine (docs/service.md, "Rules"): JSON rule sets over event fields, online features
 * and the model's score, checked whole at load (every problem with its JSON path) and compiled
 * into closures; the decision is the stricter of the model's band and the rules' actions.
 */
export {
  type CompiledRuleSet,
  type CompileRuleSetOptions,
  compileRuleSet,
  type RulePseudonyms,
  readRuleSetFile,
  readRuleSetJson,
  ruleSetIssues,
  ruleSetSha256,
} from './compile-rule-set.js';
export {
  ALERT_SEVERITIES,
  type AlertSeverity,
  CONDITION_OPS,
  type Condition,
  type ConditionOp,
  DEFAULT_ALERT_SEVERITY,
  EVENT_FIELD_TYPES,
  type FieldCondition,
  RULE_ACTIONS,
  type Rule,
  type RuleAction,
  type RuleContext,
  type RuleHit,
  type RuleSet,
  stricterDecision,
} from './rule-set.js';
