import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQualityReport, type QualityReport } from './quality-report.js';
import { LIGHTS, readingInWords, renderQualityReport, reportLights } from './quality-report-html.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

const real = correlatedTable(900, 1);
const { report, plots } = await buildQualityReport(
  { real, synthetic: shuffleColumns(real, 2) },
  { target: 'bad', utilityModel: 'logistic', detectionModel: 'logistic' },
);

function withNumbers(patch: Partial<QualityReport>): QualityReport {
  return { ...report, ...patch };
}

test('lights follow the documented thresholds, higher or lower being better as the number means', () => {
  const lights = (p: Partial<QualityReport>) => reportLights(withNumbers(p));
  assert.equal(lights({ detectionAuc: 0.55 }).detection, 'good');
  assert.equal(lights({ detectionAuc: LIGHTS.detectionAuc.fair }).detection, 'fair');
  assert.equal(lights({ detectionAuc: 0.95 }).detection, 'poor');
  assert.equal(lights({ dcrRatio: 1.3 }).dcr, 'good');
  assert.equal(lights({ dcrRatio: 0.75 }).dcr, 'fair');
  assert.equal(lights({ dcrRatio: 0.2 }).dcr, 'poor');
  assert.equal(lights({ trtrAuc: 0.78, tstrAuc: 0.76 }).utility, 'good');
  assert.equal(lights({ trtrAuc: 0.78, tstrAuc: 0.72 }).utility, 'fair');
  assert.equal(lights({ trtrAuc: 0.78, tstrAuc: 0.6 }).utility, 'poor');
  assert.equal(lights({ trtrAuc: null, tstrAuc: null }).utility, null);
  assert.equal(lights({ exactCopies: 0 }).copies, 'good');
  const copies = (share: number, holdoutShare: number) =>
    lights({
      exactCopies: 3,
      privacy: { ...report.privacy, exactCopiesShare: share, holdoutExactCopiesShare: holdoutShare },
    }).copies;
  assert.equal(copies(0.001, 0.002), 'fair');
  assert.equal(copies(0.01, 0.002), 'poor');
});

test('the reading says in words what the shuffled data shows', () => {
  const words = readingInWords(report).join('\n');
  assert.match(words, /Column shapes score 1\.000/);
  assert.match(words, /Pair trends score 0\.\d{3}/);
  assert.match(words, /trained on synthetic data reaches AUC/);
  assert.match(words, /no synthetic row is an exact copy|exact copies of real rows/);
});

test('the page is one self-contained document with every section and escaped text', () => {
  const html = renderQualityReport({
    title: 'Report <x>',
    sources: { real: 'real&.csv', synthetic: 's.csv' },
    report,
    plots,
  });
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /https?:\/\/|<script|<link|<img/);
  assert.ok(html.includes('<title>Report &lt;x&gt;</title>'));
  assert.ok(html.includes('real real&amp;.csv, 900 rows'));
  assert.ok(html.includes('holdout: 25 % of the real file'));
  for (const h of [
    'Reading',
    'Column shapes',
    'Distributions, real against synthetic',
    'Pair trends',
    'Detection and utility',
    'Privacy',
    'Columns left out',
  ])
    assert.ok(html.includes(`<h2>${h}</h2>`), `section ${h}`);
  assert.ok(html.includes('<b>loan_id</b>: identifier'));
});
