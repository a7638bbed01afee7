/**
 * The one place where errors become HTTP statuses. Handlers and hooks throw typed errors with a
 * stable `code` (and `issues` listing every problem); {@link errorReply} maps them, and Fastify's
 * own client errors (bad JSON, oversized body, wrong media type), to a status and one body shape:
 * `{code, message, issues: [{code, path, message}]}`.
 */
import { type Issue, VigilError } from '../errors.js';

/** A request the service refuses; `code` picks the status in {@link STATUS_OF_CODE}. */
export class RequestError extends VigilError {}

/** Status of each error code the service raises. */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_rules: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  unknown_event: 404,
  alert_not_found: 404,
  unknown_entity: 404,
  invalid_transition: 409,
  duplicate_event: 409,
  out_of_order: 409,
  rules_version_conflict: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  // Model deployment (src/server/model-routes.ts).
  unknown_model: 404,
  already_deployed: 409,
  champion_not_removable: 409,
  invalid_bundle: 422,
  feature_spec_mismatch: 422,
  // A label for a login or behaviour event: labels feed the transaction model's label windows.
  not_scored: 422,
  not_ready: 503,
};

/** Fastify's client error codes → the service's. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
};

export interface ErrorReply {
  status: number;
  body: { code: string; message: string; issues: Issue[] };
}

/**
 * The status and body for an error. Errors the service raises map by code; Fastify's client
 * errors (4xx) keep their status under a service code; anything else is a 500 `internal_error`
 * whose message is not shown to the client.
 */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof VigilError && STATUS_OF_CODE[error.code] !== undefined)
    return {
      status: STATUS_OF_CODE[error.code] as number,
      body: { code: error.code, message: error.message, issues: error.issues },
    };
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const fastifyCode = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (fastifyCode !== undefined)
    return {
      status: STATUS_OF_CODE[fastifyCode] as number,
      body: {
        code: fastifyCode,
        message: fastifyCode === 'invalid_json' ? 'the body is not valid JSON' : String(e.message),
        issues: [],
      },
    };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return { status: e.statusCode, body: { code: 'bad_request', message: String(e.message), issues: [] } };
  return { status: 500, body: { code: 'internal_error', message: 'internal error (logged)', issues: [] } };
}

/** A 400 listing every problem of a request body. */
export function invalidRequest(issues: Issue[]): RequestError {
  const message = `${issues.length} problem(s) with the request: ${issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ')}${issues.length > 3 ? '; …' : ''}`;
  return new RequestError('invalid_request', message, { issues });
}
