/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { takeTableRows } from '../data/table.js';
import { rowRange } from '../matrix.js';
import { browserSuite, openReportPage } from '../testing/report-browser.js';
import { buildQualityReport } from './quality-report.js';
import { renderQualityReport } from './quality-report-html.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

// Opened in the Chromium a user would use; fails, never skips, when the browser is missing.
const { browser, dir } = await browserSuite('vigil-synth-report-browser-');

test('the quality report renders every chart with real size, readable cards, no network and no errors', async () => {
  const all = correlatedTable(2400, 1);
  const real = takeTableRows(all, rowRange(1800));
  const holdout = takeTableRows(
    all,
    Int32Array.from({ length: 600 }, (_, i) => 1800 + i),
  );
  const synthetic = shuffleColumns(real, 3);
  const { report, plots } = await buildQualityReport(
    { real, synthetic, holdout },
    { target: 'bad', utilityModel: 'logistic', detectionModel: 'logistic' },
  );
  const { page, external, errors } = await openReportPage(
    browser(),
    dir,
    'report',
    renderQualityReport({ title: 'Loans <shuffled>', report, plots }),
  );
  try {
    assert.deepEqual(external, []);
    assert.deepEqual(errors, []);
    assert.equal(await page.title(), 'Loans <shuffled>');
    const cards = await page.locator('.card').evaluateAll((nodes) =>
      nodes.map((n) => ({
        label: n.querySelector('.label')?.textContent ?? '',
        value: n.querySelector('.value')?.textContent ?? '',
        lamp: n.querySelector('.lamp')?.className ?? '',
      })),
    );
    assert.deepEqual(
      cards.map((c) => c.label),
      ['Column shapes', 'Pair trends', 'Detection AUC', 'TSTR / TRTR AUC', 'DCR ratio', 'Exact copies'],
    );
    assert.equal(cards[0]?.value, '1.000');
    assert.match(cards[0]?.lamp ?? '', /lamp-good/);
    // Shuffled data: the pairs lose their relations and a classifier notices.
    assert.match(cards[1]?.lamp ?? '', /lamp-(fair|poor)/);
    // Every lamp is drawn with its colour (a visible dot, not an empty span).
    const lampSizes = await page
      .locator('.lamp')
      .evaluateAll((nodes) => nodes.map((n) => [n.getBoundingClientRect().width, getComputedStyle(n).backgroundColor]));
    for (const [w, bg] of lampSizes) {
      assert.ok((w as number) >= 10, `lamp width ${w}`);
      assert.notEqual(bg, 'rgba(0, 0, 0, 0)');
    }
    const svgs = await page.locator('svg').evaluateAll((nodes) =>
      nodes.map((n) => {
        const box = (n as SVGSVGElement).getBoundingClientRect();
        return {
          title: n.querySelector('title')?.textContent ?? '',
          width: box.width,
          height: box.height,
          marks: n.querySelectorAll('path, rect, circle').length,
        };
      }),
    );
    // Shape bars, 5 small multiples, 4 heatmaps, detection ROC, utility bars and ROC, DCR histogram.
    assert.equal(svgs.length, 14, svgs.map((s) => s.title).join(' | '));
    for (const svg of svgs) {
      assert.ok(svg.width > 150 && svg.height > 100, `chart too small: ${JSON.stringify(svg)}`);
      assert.ok(svg.marks >= 2, `chart has no marks: ${svg.title}`);
    }
    for (const title of [
      'Column shape score (1 − KS or 1 − TVD), worst first',
      'Spearman correlation, real',
      'Pair-trend gap (1 − score), every pair',
      'Distance to the closest real record',
      'Detection: real vs synthetic',
    ])
      assert.ok(
        svgs.some((s) => s.title === title),
        `missing chart ${title}`,
      );
    // The heatmap's cells carry their pair and value for a hover.
    const cellTitle = await page
      .locator('svg rect title')
      .filter({ hasText: 'income × balance' })
      .first()
      .textContent();
    assert.match(cellTitle ?? '', /^income × balance: 0\.\d\d$/);
    const text = (await page.locator('body').textContent()) ?? '';
    for (const words of ['Reading', 'Pair trends', 'Detection AUC', 'Privacy', 'loan_id'])
      assert.ok(text.includes(words), `report text lacks ${words}`);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
