/**
 * Entity profiles: `GET /v1/entities/:kind/:id` (role analyst) — an entity's current online
 * window features (from the scorer's feature state, read-only), its early-warning indicators
 * (of transactions, and of login and behaviour events),
 * its recent decisions from the audit store and its alerts not yet resolved. A personal id
 * (customer, IP, device) is given raw in the path and looked up by its pseudonym.
 */
import type { FastifyInstance } from 'fastify';
import { ENTITY_FIELD, ENTITY_KINDS, isEntityKind, isPersonalKind } from '../monitoring/index.js';
import type { OnlineScorer } from '../scoring/index.js';
import type { Alerting } from './alert-routes.js';
import { alertBody } from './alert-routes.js';
import { invalidRequest, RequestError } from './http-errors.js';
import type { PersonalField } from './pseudonymiser.js';

/** Decisions a profile shows, newest first. */
export const PROFILE_DECISIONS = 20;

export interface EntityRoutesContext {
  scorer: OnlineScorer;
  alerting: Alerting;
  pseudonymise: (field: PersonalField, value: string) => string;
}

export function registerEntityRoutes(app: FastifyInstance, context: EntityRoutesContext): void {
  app.get<{ Params: { kind: string; id: string } }>(
    '/v1/entities/:kind/:id',
    { config: { role: 'analyst' } },
    async (request) => {
      const { kind, id: raw } = request.params;
      if (!isEntityKind(kind))
        throw invalidRequest([
          { code: 'invalid_value', path: ['kind'], message: `an entity kind is one of ${ENTITY_KINDS.join(', ')}` },
        ]);
      if (raw.length === 0 || raw.length > 256)
        throw invalidRequest([{ code: 'out_of_range', path: ['id'], message: 'an id has 1 to 256 characters' }]);
      const field = ENTITY_FIELD[kind];
      const id = isPersonalKind(kind) ? context.pseudonymise(field as PersonalField, raw) : raw;
      const features = context.scorer.entityWindowFeatures(field, id);
      const indicators = context.alerting.earlyWarning?.indicatorsOf(kind, id);
      // Login and behaviour indicators (customers, IPs, devices); the transactions' are above.
      const accessIndicators = context.alerting.accessWarning?.indicatorsOf(kind, id);
      const recentDecisions = context.alerting.entityDecisions.recent(kind, id, PROFILE_DECISIONS);
      const openAlerts = context.alerting.store.activeFor(kind, id);
      if (
        features === undefined &&
        indicators === undefined &&
        accessIndicators === undefined &&
        recentDecisions.length === 0 &&
        openAlerts.length === 0
      )
        throw new RequestError('unknown_entity', `no ${kind} with this id is known to the service`, {
          issues: [{ code: 'unknown_entity', path: ['id'], message: `no ${kind} with this id was scored` }],
        });
      return {
        kind,
        id,
        pseudonymised: isPersonalKind(kind),
        features:
          features === undefined
            ? null
            : { asOf: new Date(features.lastEventSeconds * 1000).toISOString(), values: features.values },
        indicators: indicators ?? null,
        accessIndicators: accessIndicators ?? null,
        recentDecisions,
        openAlerts: openAlerts.map(alertBody),
      };
    },
  );
}
