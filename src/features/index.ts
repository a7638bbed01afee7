/**
 * Behavioural features for transaction streams: a declarative spec (JSON) and one incremental
 * executor that computes them event by event, for replaying history into training data and for
 * scoring live events alike.
 */
export { BUILTIN_FEATURE_SPECS, builtinFeatureSpec } from './builtin-specs.js';
export { FeatureExecutor, OutOfOrderEventError, type TransactionEvent } from './feature-executor.js';
export {
  ENTITY_KEYS,
  type EntityKey,
  EVENT_FIELDS,
  type EventField,
  type FeatureDefinition,
  type FeatureSpec,
  parseFeatureSpec,
  WINDOW_AGGREGATES,
  WINDOW_FIELDS,
  type WindowAggregate,
  type WindowField,
} from './feature-spec.js';
export { type TransactionColumns, transactionsFromCsv } from './transactions-from-csv.js';
