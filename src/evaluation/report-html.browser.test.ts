/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Random } from '../random.js';
import { browserSuite, openReportPage } from '../testing/report-browser.js';
import { renderEvaluationReport } from './index.js';

// The report is opened in the real Chromium a user would use; this suite fails, never skips,
// when the browser is missing (.ci/run installs it).
const { browser, dir } = await browserSuite('vigil-report-browser-');

function binaryCase(n: number) {
  const rng = new Random(7);
  const yTrue = new Float32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const positive = rng.next() < 0.2;
    yTrue[i] = positive ? 1 : 0;
    score[i] = 1 / (1 + Math.exp(-rng.normal(positive ? 1 : -1, 1.2)));
  }
  return { yTrue, score };
}

const openReport = (html: string, name: string) => openReportPage(browser(), dir, name, html);

test('the binary report renders every chart with real size, no network and no errors', async () => {
  const { yTrue, score } = binaryCase(3000);
  const html = renderEvaluationReport({
    title: 'Card default model <v1>',
    model: {
      kind: 'mlp',
      task: 'binary',
      createdAt: '2026-01-01T00:00:00Z',
      dataFingerprint: 'f'.repeat(64),
      nRows: 3000,
    },
    dataLabel: 'test split',
    data: { task: 'binary', yTrue, score, policy: { kind: 'max-f1' }, classNames: ['good', 'bad'] },
  });
  const { page, external, errors } = await openReport(html, 'binary');
  try {
    assert.deepEqual(external, []);
    assert.deepEqual(errors, []);
    assert.equal(await page.title(), 'Card default model <v1>');
    const svgs = await page.locator('svg').evaluateAll((nodes) =>
      nodes.map((n) => {
        const box = (n as SVGSVGElement).getBoundingClientRect();
        return {
          width: box.width,
          height: box.height,
          paths: n.querySelectorAll('path, polyline, rect, circle').length,
        };
      }),
    );
    // ROC, PR, KS, score distribution per class, calibration; the confusion matrix is a shaded table.
    assert.equal(svgs.length, 5, `expected 5 charts, found ${svgs.length}`);
    const confusionCells = await page.locator('table.confusion td').count();
    assert.ok(confusionCells >= 4, `confusion matrix has ${confusionCells} cells`);
    for (const svg of svgs) {
      assert.ok(svg.width > 150 && svg.height > 100, `chart too small: ${JSON.stringify(svg)}`);
      assert.ok(svg.paths > 0, 'chart has no marks');
    }
    const text = (await page.locator('body').textContent()) ?? '';
    for (const word of ['ROC', 'KS', 'Calibration', 'AUC']) assert.ok(text.includes(word), `report text lacks ${word}`);
    await page.screenshot({ path: join(dir, 'binary.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('the regression and multiclass reports render in the browser too', async () => {
  const rng = new Random(3);
  const n = 500;
  const yTrue = new Float32Array(n);
  const prediction = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    yTrue[i] = rng.normal(10, 3);
    prediction[i] = (yTrue[i] as number) + rng.normal(0, 1);
  }
  const model = { kind: 'mlp', createdAt: '2026-01-01T00:00:00Z', dataFingerprint: 'a'.repeat(64), nRows: n } as const;
  const regression = renderEvaluationReport({
    title: 'Loss given default',
    model: { ...model, task: 'regression' },
    data: { task: 'regression', yTrue, prediction },
  });
  const probs = { data: new Float32Array(n * 3), nRows: n, nCols: 3 };
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let k = 0; k < 3; k++) probs.data[i * 3 + k] = k === i % 3 ? 0.6 : 0.2;
  }
  const multiclass = renderEvaluationReport({
    title: 'Rating',
    model: { ...model, task: 'multiclass' },
    data: { task: 'multiclass', yTrue: labels, probs, classNames: ['A', 'B', 'C'] },
  });
  for (const [name, html] of [
    ['regression', regression],
    ['multiclass', multiclass],
  ] as const) {
    const { page, external, errors } = await openReport(html, name);
    try {
      assert.deepEqual(external, []);
      assert.deepEqual(errors, []);
      const charts = await page.locator('svg').count();
      const confusionCells = await page.locator('table.confusion td').count();
      if (name === 'regression') assert.ok(charts >= 2, `regression report has ${charts} charts`);
      // 3 × 3 counts plus a total column.
      else assert.ok(confusionCells >= 9, `multiclass confusion matrix has ${confusionCells} cells`);
    } finally {
      await page.close();
    }
  }
});
