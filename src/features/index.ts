/**
 * Behavioural features for transaction streams: a declarative spec (JSON) and one incremental
 * executor that computes them event by event, for replaying history into training data and for
 * scoring live events alike.
 */
export { BUILTIN_FEATURE_SPECS, builtinFeatureSpec, loadFeatureSpec } from './builtin-specs.js';
export { InvalidEventError, OutOfOrderEventError } from './feature-errors.js';
export { FeatureExecutor, type LabelTarget, type TransactionEvent } from './feature-executor.js';
export {
  CATEGORY_FIELDS,
  type CategoryField,
  ENTITY_KEYS,
  type EntityKey,
  EVENT_FIELDS,
  type EventField,
  FEATURE_KINDS,
  type FeatureDefinition,
  type FeatureKind,
  type FeatureSpec,
  parseFeatureSpec,
  type SequenceSpec,
  WINDOW_AGGREGATES,
  WINDOW_FIELDS,
  type WindowAggregate,
  type WindowField,
} from './feature-spec.js';
export { PARALLEL_MIN_ROWS, type ReplayOptions, type ReplayResult, replayTransactions } from './replay.js';
export { REPLAY_THREADS_ENV, startReplayThreads, stopReplayThreads } from './replay-threads.js';
export {
  FEATURE_STATE_FORMAT,
  type FeatureStateSnapshot,
  featureSpecSha256,
  restoreFeatureState,
  snapshotFeatureState,
} from './state-snapshot.js';
export { type TransactionColumns, transactionsFromCsv } from './transactions-from-csv.js';
export { writeFeaturesCsv } from './write-features-csv.js';
