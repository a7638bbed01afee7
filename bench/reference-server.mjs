// The load benchmark's reference: Fastify with one route, POST /v1/events, that checks the bearer
// key, parses the JSON body and answers a decision-shaped JSON object, with no features, model,
// rules or storage. Run under the same load as `vigil serve`, it shows what HTTP alone costs on
// this machine, and the latency it gets: the floor any service built on Node's HTTP server and
// Fastify stands on. Prints "listening on URL" as vigil serve does.
import Fastify from 'fastify';

const key = process.env.REFERENCE_KEY ?? '';
const app = Fastify({ logger: false });
app.post('/v1/events', (request, reply) => {
  if (request.headers.authorization !== `Bearer ${key}`) return reply.status(401).send({ code: 'unauthenticated' });
  const started = performance.now();
  const event = request.body;
  return reply.send({
    eventId: event.id,
    decision: 'approve',
    score: 0,
    reasons: [],
    rulesHit: [],
    modelVersion: 'reference',
    latencyMs: performance.now() - started,
  });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${url}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
