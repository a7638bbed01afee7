/**
 * The rules routes: `GET /v1/rules` (analyst) reads the active set, `PUT /v1/rules` (admin)
 * checks and swaps it, `GET /v1/rules/versions[/{version}]` (analyst) reads every set that was
 * active, for audits.
 */
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import Type from 'typebox';
import type { RuleHit, RuleSet } from '../rules/index.js';
import type { ActiveRuleSet, ActiveRules } from './active-rules.js';
import { RequestError } from './http-errors.js';
import type { ServiceMetrics } from './service-metrics.js';

/** Body limit of `PUT /v1/rules`: a set with long blocked lists is larger than any event batch. */
export const RULES_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

const FieldCondition = Type.Object(
  {
    field: Type.String({ description: 'event.<name>, features.<FEATURE_NAME> or score' }),
    op: Type.Union(['>', '>=', '<', '<=', '==', '!=', 'in', 'notIn', 'exists'].map((op) => Type.Literal(op))),
    value: Type.Optional(
      Type.Union([Type.String(), Type.Number(), Type.Array(Type.Union([Type.String(), Type.Number()]))]),
    ),
    list: Type.Optional(Type.String({ description: 'a list of the set (with in / notIn)' })),
  },
  { additionalProperties: false },
);

/**
 * The rule set body, for the OpenAPI document. Conditions nest (`all`, `any`, `not`), which the
 * document shows one level deep; the service's own check (`compileRuleSet`) reads any depth and
 * lists every problem with its path.
 */
export const RuleSetBody = Type.Object(
  {
    version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' }),
    description: Type.Optional(Type.String()),
    lists: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Union([Type.String(), Type.Number()])))),
    pseudonymised: Type.Optional(Type.Boolean()),
    rules: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          action: Type.Union([Type.Literal('review'), Type.Literal('decline'), Type.Literal('alert')]),
          reason: Type.String(),
          description: Type.Optional(Type.String()),
          severity: Type.Optional(Type.Union(['low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)))),
          enabled: Type.Optional(Type.Boolean()),
          when: Type.Union([
            FieldCondition,
            Type.Object({ all: Type.Array(Type.Unknown()) }),
            Type.Object({ any: Type.Array(Type.Unknown()) }),
            Type.Object({ not: Type.Unknown() }),
          ]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The answer of `GET /v1/rules` (and `PUT`): the active set, or nulls when none is. */
export interface ActiveRulesBody {
  version: string | null;
  sha256: string | null;
  activatedAtMs: number | null;
  ruleCount: number;
  ruleSet: RuleSet | null;
}

function activeBody(active: ActiveRuleSet | undefined): ActiveRulesBody {
  if (active === undefined) return { version: null, sha256: null, activatedAtMs: null, ruleCount: 0, ruleSet: null };
  const { rules, activatedAtMs } = active;
  return {
    version: rules.version,
    sha256: rules.sha256,
    activatedAtMs,
    ruleCount: rules.ruleCount,
    ruleSet: rules.ruleSet,
  };
}

/** Counts rule hits in the service's registry: `vigil_rule_hits_total{rule, action}`. */
export function createRuleHitCounter(metrics: ServiceMetrics): (hits: readonly RuleHit[]) => void {
  const counter = new Counter({
    name: 'vigil_rule_hits_total',
    help: 'Rule hits by rule id and action',
    labelNames: ['rule', 'action'] as const,
    registers: [metrics.registry],
  });
  return (hits) => {
    for (const h of hits) counter.inc({ rule: h.id, action: h.action });
  };
}

/** Registers the rules routes on `app` (after its auth hook, so each route's role is checked). */
export function registerRuleRoutes(app: FastifyInstance, rules: ActiveRules): void {
  app.get('/v1/rules', { config: { role: 'analyst' } }, async () => activeBody(rules.current));

  app.put(
    '/v1/rules',
    {
      config: { role: 'admin' },
      bodyLimit: RULES_BODY_LIMIT_BYTES,
      schema: { body: RuleSetBody },
      // The rule set check lists every problem with its path (and reads nested conditions).
      validatorCompiler: () => (data: unknown) => ({ value: data }),
    },
    async (request) => {
      const { active, changed } = rules.replace(request.body);
      return { ...activeBody(active), changed };
    },
  );

  app.get('/v1/rules/versions', { config: { role: 'analyst' } }, async () => ({
    versions: rules.history().map(({ version, sha256, activatedAtMs }) => ({ version, sha256, activatedAtMs })),
  }));

  app.get<{ Params: { version: string } }>(
    '/v1/rules/versions/:version',
    { config: { role: 'analyst' } },
    async (request) => {
      const kept = rules.find(request.params.version);
      if (kept === undefined)
        throw new RequestError('not_found', `no rule set of version ${JSON.stringify(request.params.version)} is kept`);
      return {
        version: kept.version,
        sha256: kept.sha256,
        activatedAtMs: kept.activatedAtMs,
        ruleSet: JSON.parse(kept.json) as RuleSet,
      };
    },
  );
}
