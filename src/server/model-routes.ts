/**
 * `GET /v1/models` (analyst), `POST /v1/models` and `DELETE /v1/models/:version` (admin): the
 * champion and shadow models of the service (src/deployment).
 */
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import type { ModelDeployments } from '../deployment/index.js';
import type { Issue } from '../errors.js';
import type { DeploymentRole } from '../store/index.js';
import { invalidRequest } from './http-errors.js';
import { schemaIssues } from './request-schemas.js';

/** A bundle directory on the server's disk, to deploy as champion or shadow. */
export const DeployBody = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    // An enum rather than a union of literals: one problem for a bad role, not one per literal.
    role: Type.String({ enum: ['champion', 'shadow'] }),
  },
  { additionalProperties: false },
);
export type DeployBody = Static<typeof DeployBody>;

/** Adds the model routes to `app` (called by buildRiskService when it is given deployments). */
export function registerModelRoutes(app: FastifyInstance, models: ModelDeployments): void {
  app.get('/v1/models', { config: { role: 'analyst' } }, async () => ({ models: models.list() }));

  app.post<{ Body: DeployBody }>(
    '/v1/models',
    {
      config: { role: 'admin' },
      schema: { body: DeployBody },
      validatorCompiler: () => (data: unknown) => {
        const issues: Issue[] = schemaIssues(DeployBody, data);
        return issues.length === 0 ? { value: data } : { error: invalidRequest(issues) };
      },
    },
    async (request, reply) => {
      const info = await models.deploy(request.body.path, request.body.role as DeploymentRole);
      return reply.status(201).send(info);
    },
  );

  app.delete<{ Params: { version: string } }>('/v1/models/:version', { config: { role: 'admin' } }, async (request) => {
    models.remove(request.params.version);
    return { modelVersion: request.params.version, removed: true };
  });
}
