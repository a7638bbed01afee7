/**
 * The HTTP face of the real-time risk service (`vigil serve`, docs/service.md): Fastify routes
 * over the domain's OnlineScorer and a decision log, validation that lists every problem, the one
 * error → status mapping, and Prometheus metrics per app instance.
 */

export type { RuleAlert } from './active-rules.js';
export {
  type Alerting,
  type AlertingContext,
  type AlertingOptions,
  alertFilterOf,
  MAX_ALERTS_PAGE,
  registerAlertRoutes,
  replayWarnings,
  WARNING_HISTORY_EVENTS,
  type WarningReplay,
} from './alert-routes.js';
export { API_KEYS_ENV, ApiKeys, MIN_API_KEY_LENGTH, ROLES, type Role, roleAllows } from './api-keys.js';
export { PROFILE_DECISIONS, registerEntityRoutes } from './entity-routes.js';
export { type ErrorReply, errorReply, RequestError, STATUS_OF_CODE } from './http-errors.js';
export {
  createPseudonymiser,
  MIN_PSEUDONYM_KEY_LENGTH,
  PERSONAL_FIELDS,
  type PersonalField,
  PSEUDONYM_KEY_ENV,
  type Pseudonymiser,
} from './pseudonymiser.js';
export { RateLimitedError, type RateLimitOptions, rateLimitIssues, TokenBuckets } from './rate-limit.js';
export { MAX_BATCH_EVENTS } from './request-schemas.js';
export {
  buildRiskService,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_FUTURE_SECONDS,
  type RiskServiceOptions,
} from './risk-service.js';
export {
  createServiceMetrics,
  registerStateGauges,
  type ServiceMetrics,
  type StateSizeSource,
} from './service-metrics.js';
