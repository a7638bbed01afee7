/**
 * The service's Prometheus metrics, in a prom-client Registry of its own (one per app instance,
 * never the global one), served at `GET /metrics`.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Decision } from '../scoring/index.js';
import { type BoundCounter, SeriesCounter, SeriesHistogram } from './metric-series.js';

/** The per-request and per-event metrics: plain-number series (see metric-series.ts) in a prom-client Registry. */
export interface ServiceMetrics {
  registry: Registry;
  requests: SeriesCounter<'method' | 'route' | 'status'>;
  requestSeconds: SeriesHistogram<'method' | 'route'>;
  decisions: SeriesCounter<'decision'>;
  scores: SeriesHistogram;
  labels: SeriesCounter<'label'>;
  /** Seconds spent per stage of deciding events (summed over requests), for the cost split. */
  stageSeconds: SeriesCounter<'stage'>;
  shadowScores: SeriesHistogram<'model_version'>;
  /** Events decided, by kind (transaction, login, behaviour) and decision. */
  events: SeriesCounter<'kind' | 'decision'>;
}

/**
 * The stages of a decision `vigil_decision_stage_seconds_total` splits time into. `model` runs
 * until the scores are back (the wait for the turn's shared model call included); `model_call`
 * is the events' share of the model calls themselves, a part of `model`.
 */
export type DecisionStage = 'features' | 'model' | 'model_call' | 'rules' | 'storage';

/**
 * Creates the metrics in `registry` (a new one by default):
 * `vigil_http_requests_total{method,route,status}`, `vigil_http_request_duration_seconds{method,route}`,
 * `vigil_decisions_total{decision}`, `vigil_model_score` (histogram of scores, 0.05 wide buckets)
 * `vigil_labels_total{label}`, `vigil_shadow_score{model_version}` (shadow models' scores) and
 * `vigil_decision_stage_seconds_total{stage}` (features, model, rules, storage: the time requests
 * spent in each, summed; storage until the commit that holds the decision) and
 * `vigil_events_total{kind,decision}` (every event decided, scored or not).
 */
export function createServiceMetrics(registry = new Registry()): ServiceMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new SeriesCounter({
      name: 'vigil_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    requestSeconds: new SeriesHistogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    decisions: new SeriesCounter({
      name: 'vigil_decisions_total',
      help: 'Decisions made, by outcome',
      labelNames: ['decision'],
      registers,
    }),
    scores: new SeriesHistogram({
      name: 'vigil_model_score',
      help: "Distribution of the deployed model's scores",
      buckets: Array.from({ length: 20 }, (_, i) => Number(((i + 1) * 0.05).toFixed(2))),
      registers,
    }),
    labels: new SeriesCounter({
      name: 'vigil_labels_total',
      help: 'Labels received, by label (1 fraud, 0 genuine)',
      labelNames: ['label'],
      registers,
    }),
    stageSeconds: new SeriesCounter({
      name: 'vigil_decision_stage_seconds_total',
      help: "Time spent deciding events, by stage (features, model until scored, model_call: the events' share of the model calls, rules, storage until committed), summed over requests",
      labelNames: ['stage'],
      registers,
    }),
    shadowScores: new SeriesHistogram({
      name: 'vigil_shadow_score',
      help: "Distribution of the shadow models' scores, by model version (they decide nothing)",
      labelNames: ['model_version'],
      buckets: Array.from({ length: 20 }, (_, i) => Number(((i + 1) * 0.05).toFixed(2))),
      registers,
    }),
    events: new SeriesCounter({
      name: 'vigil_events_total',
      help: 'Events decided, by kind (transaction, login, behaviour) and decision; only transactions are scored by the model',
      labelNames: ['kind', 'decision'],
      registers,
    }),
  };
}

/** What {@link registerStateGauges} reads at each scrape (an OnlineScorer's `stateSize`). */
export type StateSizeSource = () => { entities: Partial<Record<string, number>>; heldEventCapacity: number };

/**
 * Adds the sizes of the online state to `registry`, read when `/metrics` is scraped (nothing is
 * done per request): `vigil_online_entities{key}` (entities held per key) and
 * `vigil_online_held_events` (room for events their windows keep); and Node's default process
 * metrics (`nodejs_heap_size_used_bytes`, `process_resident_memory_bytes`, GC, event loop lag)
 * unless the registry has them already. A soak reads them side by side, to tell state that grows
 * while new customers appear from a leak.
 */
export function registerStateGauges(registry: Registry, stateSize: StateSizeSource): void {
  const registers = [registry];
  // A registry reused by a new app instance reads the new instance's state.
  for (const name of ['vigil_online_entities', 'vigil_online_held_events']) registry.removeSingleMetric(name);
  new Gauge({
    name: 'vigil_online_entities',
    help: 'Entities the online feature state holds, by entity key',
    labelNames: ['key'],
    registers,
    collect() {
      for (const [key, n] of Object.entries(stateSize().entities)) this.set({ key }, n ?? 0);
    },
  });
  new Gauge({
    name: 'vigil_online_held_events',
    help: "Room for events the online state's windows keep, summed over entities",
    registers,
    collect() {
      this.set(stateSize().heldEventCapacity);
    },
  });
  if (registry.getSingleMetric('nodejs_heap_size_used_bytes') === undefined)
    collectDefaultMetrics({ register: registry });
}

/**
 * Counts decided events: `vigil_events_total` for every kind, and for transactions (scored by the
 * model) `vigil_decisions_total` and the score histogram. Each series is bound once, so an event
 * costs no label lookup.
 */
export function eventCounter(metrics: ServiceMetrics): (kind: string, decision: Decision, score?: number) => void {
  const events = new Map<string, BoundCounter>();
  const decisions = new Map<Decision, BoundCounter>();
  return (kind, decision, score) => {
    const key = `${kind} ${decision}`;
    let event = events.get(key);
    if (event === undefined) {
      event = metrics.events.labels({ kind, decision });
      events.set(key, event);
    }
    event.inc();
    if (kind !== 'transaction') return;
    let counted = decisions.get(decision);
    if (counted === undefined) {
      counted = metrics.decisions.labels({ decision });
      decisions.set(decision, counted);
    }
    counted.inc();
    if (score !== undefined && Number.isFinite(score)) metrics.scores.observe(score);
  };
}
