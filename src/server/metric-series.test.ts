import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './metric-series.js';

/** The same observations through prom-client's metrics and ours, in two registries. */
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const buckets = [0.001, 0.01, 0.1, 1];
  return {
    theirs,
    ours,
    counters: [
      new Counter({
        name: 't_requests_total',
        help: 'Requests',
        labelNames: ['method', 'status'],
        registers: [theirs],
      }),
      new SeriesCounter({
        name: 't_requests_total',
        help: 'Requests',
        labelNames: ['method', 'status'],
        registers: [ours],
      }),
    ] as const,
    plainCounters: [
      new Counter({ name: 't_plain_total', help: 'No labels', registers: [theirs] }),
      new SeriesCounter({ name: 't_plain_total', help: 'No labels', registers: [ours] }),
    ] as const,
    histograms: [
      new Histogram({ name: 't_seconds', help: 'Time', labelNames: ['route'], buckets, registers: [theirs] }),
      new SeriesHistogram({ name: 't_seconds', help: 'Time', labelNames: ['route'], buckets, registers: [ours] }),
    ] as const,
    plainHistograms: [
      new Histogram({ name: 't_score', help: 'Scores "quoted"\nand a newline', buckets, registers: [theirs] }),
      new SeriesHistogram({ name: 't_score', help: 'Scores "quoted"\nand a newline', buckets, registers: [ours] }),
    ] as const,
  };
}

describe('SeriesCounter and SeriesHistogram', () => {
  test("expose exactly the text prom-client's Counter and Histogram expose for the same observations", async () => {
    const m = both();
    const values = [0, 0.0005, 0.001, 0.002, 0.01, 0.5, 1, 3, 1e-9, 0.1];
    for (const [i, v] of values.entries()) {
      m.counters[0].inc({ method: 'POST', status: String(200 + (i % 3)) });
      m.counters[1].labels({ method: 'POST', status: String(200 + (i % 3)) }).inc();
      m.counters[0].inc({ method: 'GET', status: '200' }, v);
      m.counters[1].inc({ method: 'GET', status: '200' }, v);
      m.plainCounters[0].inc(v);
      m.plainCounters[1].inc(v);
      m.histograms[0].observe({ route: i % 2 === 0 ? '/a' : '/b "x"' }, v);
      m.histograms[1].labels({ route: i % 2 === 0 ? '/a' : '/b "x"' }).observe(v);
      m.plainHistograms[0].observe(v);
      m.plainHistograms[1].observe(v);
    }
    assert.equal(await m.ours.metrics(), await m.theirs.metrics());
    // prom-client's values also carry an empty `exemplar` field; ours have none.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      JSON.parse(JSON.stringify(metrics, (k, v) => (k === 'exemplar' ? undefined : v)));
    assert.deepEqual(
      withoutExemplars(await m.ours.getMetricsAsJSON()),
      withoutExemplars(await m.theirs.getMetricsAsJSON()),
    );
  });

  test('before any observation: labelled metrics show nothing, unlabelled ones zero, as prom-client', async () => {
    const m = both();
    assert.equal(await m.ours.metrics(), await m.theirs.metrics());
    assert.match(await m.ours.metrics(), /^t_plain_total 0$/m);
    assert.match(await m.ours.metrics(), /^t_score_count 0$/m);
  });

  test('a bound series and the labelled call count into the same series; reset forgets them', async () => {
    const registry = new Registry();
    const c = new SeriesCounter({ name: 'x_total', help: 'x', labelNames: ['k'], registers: [registry] });
    const bound = c.labels({ k: 'a' });
    bound.inc();
    bound.inc(2);
    c.inc({ k: 'a' });
    assert.match(await registry.metrics(), /^x_total\{k="a"\} 4$/m);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /x_total\{/);
  });

  test('refuses what prom-client refuses: unknown labels, non-finite values, a negative increment', () => {
    const registry = new Registry();
    const c = new SeriesCounter({ name: 'y_total', help: 'y', labelNames: ['k'], registers: [registry] });
    const h = new SeriesHistogram({ name: 'y_seconds', help: 'y', buckets: [1], registers: [registry] });
    assert.throws(() => c.labels({ nope: 'x' } as never), /no label named 'nope'/);
    assert.throws(() => c.inc({ k: 'a' }, -1), /decrease/);
    assert.throws(() => c.inc({ k: 'a' }, Number.NaN), TypeError);
    assert.throws(() => h.observe(Number.POSITIVE_INFINITY), TypeError);
  });
});
