import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { type EvaluationReportInput, type ReportModel, renderEvaluationReport } from './index.js';
import { binaryFixture, multiclassFixture, regressionFixture } from './test-fixtures.js';

const model = (task: ReportModel['task']): ReportModel => ({
  kind: 'mlp',
  task,
  createdAt: '2026-01-01T00:00:00.000Z',
  dataFingerprint: 'ab'.repeat(32),
  nRows: 1000,
});

const { y, score } = binaryFixture();
const binaryInput: EvaluationReportInput = {
  title: 'Default model <script>alert("x")</script>',
  model: model('binary'),
  dataLabel: 'test split',
  metadata: { split: 'random 80/20', seed: 7, '<img src=x onerror=alert(1)>': 'a & b', owner: null },
  data: { task: 'binary', yTrue: y, score, policy: { kind: 'recall', target: 0.8 }, classNames: ['good', 'bad <b>'] },
};

/** Every way a page could reach the network or run code. */
function assertSelfContained(html: string): void {
  assert.ok(!/https?:\/\//i.test(html), 'no URL');
  assert.ok(!/<script/i.test(html), 'no script element');
  assert.ok(!/<link/i.test(html), 'no link element');
  assert.ok(!/@import|url\(/i.test(html), 'no CSS fetch');
  assert.ok(!/<(img|iframe|object|embed)\b/i.test(html), 'no embedded resource');
}

test('binary report: one svg per chart, tables, and nothing that touches the network', () => {
  const html = renderEvaluationReport(binaryInput);
  assert.ok(html.startsWith('<!doctype html>'));
  assert.equal(html.match(/<svg/g)?.length, 5); // ROC, PR, KS, score distribution, calibration
  for (const title of [
    'ROC curve',
    'Precision–recall curve',
    'KS: score distribution by class',
    'Score distribution by class',
    'Calibration',
  ]) {
    assert.ok(html.includes(`<title>${title}</title>`), title);
  }
  assert.ok(html.includes('AUC = 0.7275'));
  assert.ok(html.includes('base rate = 0.3000'));
  assert.ok(html.includes('KS = 0.2857'));
  assert.ok(html.includes('class="confusion"'));
  assert.ok(html.includes('highest threshold with recall ≥ 80.0%'));
  assert.ok(html.includes('abababab'));
  assertSelfContained(html);
});

test('text from the title, metadata and class names is escaped', () => {
  const html = renderEvaluationReport(binaryInput);
  assert.ok(html.includes('Default model &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(html.includes('a &amp; b'));
  assert.ok(html.includes('bad &lt;b&gt;'));
  assert.ok(!html.includes('<b>bad'));
});

test('regression report: scatter and residual histogram', () => {
  const { y: ry, prediction } = regressionFixture();
  const html = renderEvaluationReport({
    title: 'LGD',
    model: model('regression'),
    data: { task: 'regression', yTrue: ry, prediction },
  });
  assert.equal(html.match(/<svg/g)?.length, 2);
  assert.ok(html.includes('<title>Predicted vs actual</title>'));
  assert.ok(html.includes('<title>Residuals (actual − predicted)</title>'));
  assert.ok(html.includes('0.9517')); // r2_score → 0.9516511248402608
  assertSelfContained(html);
});

test('multiclass report: metrics and a k×k confusion heatmap', () => {
  const { y: my, probs } = multiclassFixture();
  const html = renderEvaluationReport({
    title: 'Delinquency bucket',
    model: model('multiclass'),
    data: { task: 'multiclass', yTrue: my, probs, classNames: ['current', '30dpd', '<90dpd>'] },
  });
  assert.ok(html.includes('class="confusion"'));
  assert.equal(html.match(/<table class="confusion">[\s\S]*?<\/table>/)?.[0].match(/<tr>/g)?.length, 4); // header + 3
  assert.ok(html.includes('&lt;90dpd&gt;'));
  assert.ok(html.includes('0.4974')); // macro F1
  assertSelfContained(html);
});

test('equal inputs give equal pages; a task mismatch is refused', () => {
  assert.equal(renderEvaluationReport(binaryInput), renderEvaluationReport(binaryInput));
  assert.throws(
    () => renderEvaluationReport({ ...binaryInput, model: model('regression') }),
    (e: unknown) => e instanceof ConfigError && e.code === 'task_mismatch',
  );
});
