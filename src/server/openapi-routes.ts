/**
 * The OpenAPI 3.1 document of the service, built from the routes as Fastify registers them (their
 * TypeBox schemas are JSON Schema already), served open at `/docs/openapi.json`, with a small
 * HTML page listing the routes at `/docs`.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';
import { VIGIL_VERSION } from '../training/version.js';
import { BatchDecisionBody, DecisionBody, ErrorBody, LabelResultBody } from './request-schemas.js';

interface DocumentedRoute {
  method: string;
  path: string;
  role?: string;
  body?: unknown;
}

/** Summaries and answers of the routes this module knows; other routes get a plain 200. */
const ROUTE_DOCS: Readonly<Record<string, { summary: string; response?: TSchema }>> = {
  'POST /v1/events': {
    summary: 'Decide one event: a transaction (scored by the model), a login or a behaviour event (rules only)',
    response: DecisionBody,
  },
  'POST /v1/events:batch': {
    summary: 'Decide up to 1,000 events of any kinds in order (the transactions in one model call)',
    response: BatchDecisionBody,
  },
  'POST /v1/labels': {
    summary: 'A confirmed outcome (1 fraud, 0 genuine) for an event scored earlier',
    response: LabelResultBody,
  },
  'GET /v1/decisions/{eventId}': { summary: 'The audit record kept for an event' },
  'GET /v1/rules': { summary: 'The active rule set and its version' },
  'PUT /v1/rules': { summary: 'Check a rule set and make it active (the old one stays on any problem)' },
  'GET /v1/rules/versions': { summary: 'Every rule set that was active, oldest first' },
  'GET /v1/rules/versions/{version}': { summary: 'A rule set that was active, by version' },
  'GET /healthz': { summary: 'Liveness' },
  'GET /readyz': { summary: 'Readiness (503 while closing)' },
  'GET /metrics': { summary: 'Prometheus metrics' },
  'GET /docs': { summary: 'This API, as an HTML page' },
  'GET /docs/openapi.json': { summary: 'This API, as an OpenAPI 3.1 document' },
};

/** `/v1/decisions/:eventId` → `/v1/decisions/{eventId}`; `/v1/events::batch` (an escaped colon) → `/v1/events:batch`. */
export function openApiPath(url: string): string {
  return url
    .replaceAll('::', '\u0000')
    .replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    .replaceAll('\u0000', ':');
}

/** A schema as plain JSON (TypeBox marks its schemas with symbols, which JSON drops). */
const plain = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema));

function openApiDocument(routes: readonly DocumentedRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const docs = ROUTE_DOCS[`${r.method} ${r.path}`];
    const params = [...r.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(docs === undefined ? {} : { summary: docs.summary }),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(r.body === undefined
        ? {}
        : { requestBody: { required: true, content: { 'application/json': { schema: plain(r.body) } } } }),
      ...(r.role === undefined ? { security: [] } : { security: [{ bearer: [] }], 'x-vigil-role': r.role }),
      responses: {
        200: {
          description: 'OK',
          ...(docs?.response === undefined
            ? {}
            : { content: { 'application/json': { schema: plain(docs.response) } } }),
        },
        '4XX': {
          description: 'Refused: every problem listed in issues',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, unknown>)[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil risk service',
      version: VIGIL_VERSION,
      description:
        'Real-time scoring, decisions and rules (docs/service.md). Keys as Authorization: Bearer KEY; x-vigil-role names the role a route needs (admin may do all).',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: plain(ErrorBody) },
    },
    paths,
  };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function docsPage(routes: readonly DocumentedRoute[]): string {
  const rows = routes
    .map((r) => {
      const summary = ROUTE_DOCS[`${r.method} ${r.path}`]?.summary ?? '';
      return `<tr><td><code>${r.method}</code></td><td><code>${escapeHtml(r.path)}</code></td><td>${r.role ?? 'open'}</td><td>${escapeHtml(summary)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil risk service API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>
<h1>Vigil risk service API</h1>
<p>The OpenAPI 3.1 document: <a href="/docs/openapi.json">/docs/openapi.json</a>. Send keys as <code>Authorization: Bearer KEY</code>; admin keys may do everything.</p>
<table><thead><tr><th>method</th><th>path</th><th>role</th><th>what</th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/**
 * Collects every route registered on `app` from now on (call it before the routes) and serves
 * the document at `/docs/openapi.json` and the page at `/docs`, both open.
 */
export function registerOpenApi(app: FastifyInstance): void {
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const role = (route.config as { role?: string } | undefined)?.role;
    const body = (route.schema as { body?: unknown } | undefined)?.body;
    for (const method of methods) {
      // Fastify adds a HEAD route to each GET; the document lists the GET.
      if (method === 'HEAD') continue;
      routes.push({
        method,
        path: openApiPath(route.url),
        ...(role === undefined ? {} : { role }),
        ...(body === undefined ? {} : { body }),
      });
    }
  });
  let document: Record<string, unknown> | undefined;
  let page: string | undefined;
  app.get('/docs/openapi.json', async () => {
    document ??= openApiDocument(routes);
    return document;
  });
  app.get('/docs', async (_request, reply) => {
    page ??= docsPage(routes);
    return reply.type('text/html; charset=utf-8').send(page);
  });
}
