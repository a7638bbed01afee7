/**
 * The evaluation report: one self-contained HTML page (inline CSS, inline SVG, no script, no
 * URL of any kind) that a risk committee can open offline, read at a glance and print. All
 * numbers are computed here from the raw targets and scores, so the report cannot disagree with
 * the metric functions it is built on.
 */
import { ConfigError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { confusionRates } from './confusion.js';
import {
  type CalibrationStrategy,
  calibrationCurve,
  histogram,
  ksCurve,
  prCurve,
  rocCurve,
  scoreHistogram,
} from './curves.js';
import type { Scores } from './input-checks.js';
import { type BinaryMetrics, binaryMetrics } from './metrics.js';
import { type Labels, type MulticlassMetrics, multiclassMetrics } from './multiclass-metrics.js';
import { type RegressionMetrics, regressionMetrics } from './regression-metrics.js';
import { escapeXml, groupThousands, renderChart } from './svg-chart.js';
import type { ThresholdPolicy } from './threshold.js';

/** The model the report is about, as recorded in its bundle. */
export interface ReportModel {
  /** Model family, e.g. `mlp`, `logistic`. */
  kind: string;
  task: 'binary' | 'multiclass' | 'regression';
  /** ISO 8601 timestamp of training. */
  createdAt: string;
  /** sha256 of the training data, tying the report to the exact rows used. */
  dataFingerprint: string;
  /** Rows the model was trained on (the evaluated rows are counted in the metrics). */
  nRows: number;
}

/** Free-form facts shown as a key/value table (split, seed, features, owner, …). */
export type ReportMetadata = Record<string, string | number | boolean | null>;

/** Binary data: 0/1 targets and positive-class probabilities. */
export interface BinaryReportData {
  task: 'binary';
  yTrue: Float32Array;
  score: Scores;
  /** How the decision threshold is set; pass `{ kind: 'fixed', threshold }` for a stored one. Default max-f1. */
  policy?: ThresholdPolicy;
  /** Display names `[negative, positive]`, e.g. `['good', 'bad']`. Default `['0', '1']`. */
  classNames?: readonly [string, string];
  /** Calibration bins; default `quantile`, which stays informative for skewed PDs. */
  calibrationStrategy?: CalibrationStrategy;
}

/** Regression data: targets and predictions. */
export interface RegressionReportData {
  task: 'regression';
  yTrue: Float32Array;
  prediction: Scores;
}

/** Multiclass data: class indices and an nRows × k probability matrix. */
export interface MulticlassReportData {
  task: 'multiclass';
  yTrue: Labels;
  probs: Matrix;
  classNames: string[];
}

/** What the evaluated rows are, discriminated by `task`. */
export type ReportData = BinaryReportData | RegressionReportData | MulticlassReportData;

/** Everything `renderEvaluationReport` needs. */
export interface EvaluationReportInput {
  title: string;
  model: ReportModel;
  /** Which rows were evaluated, e.g. `test split (20 %)`. */
  dataLabel?: string;
  metadata?: ReportMetadata;
  data: ReportData;
  /** Shown in the header when given; left out by default so equal inputs give equal pages. */
  generatedAt?: string;
}

const COLOR = {
  positive: '#d55e00',
  negative: '#0072b2',
  model: '#0072b2',
  reference: '#8a949e',
  gap: '#1f2933',
  points: '#009e73',
};

/** Largest number of points drawn in a scatter: enough to show the shape, small enough to print. */
const SCATTER_POINTS = 2000;

/**
 * Renders the evaluation report as one HTML string. Throws `ConfigError` `task_mismatch` when the
 * model's task differs from the data's, and the metric functions' errors for unusable data.
 *
 * @example
 * const html = renderEvaluationReport({
 *   title: 'Card fraud model v3',
 *   model: { kind: 'mlp', task: 'binary', createdAt, dataFingerprint, nRows: 120_000 },
 *   metadata: { split: 'time, last 20 %', seed: 7 },
 *   data: { task: 'binary', yTrue: yTest, score: pd, policy: { kind: 'recall', target: 0.8 } },
 * });
 * await writeFile('report.html', html);
 */
export function renderEvaluationReport(input: EvaluationReportInput): string {
  const { model, data } = input;
  if (model.task !== data.task) {
    throw new ConfigError('task_mismatch', `report: the model's task is ${model.task} but the data is ${data.task}`);
  }
  let body: string;
  if (data.task === 'binary') body = binarySections(data);
  else if (data.task === 'regression') body = regressionSections(data);
  else body = multiclassSections(data);

  const subtitle = [TASK_NAMES[data.task], input.dataLabel, input.generatedAt && `generated ${input.generatedAt}`]
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .map(escapeXml)
    .join(' · ');
  const modelRows: [string, string][] = [
    ['Kind', escapeXml(model.kind)],
    ['Task', escapeXml(model.task)],
    ['Created at', escapeXml(model.createdAt)],
    ['Training rows', formatCount(model.nRows)],
    ['Data fingerprint', `<code>${escapeXml(model.dataFingerprint)}</code>`],
  ];
  const metadataRows = Object.entries(input.metadata ?? {}).map(([k, v]): [string, string] => [
    escapeXml(k),
    escapeXml(v === null ? '—' : String(v)),
  ]);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body><main>',
    `<header><h1>${escapeXml(input.title)}</h1><p class="subtitle">${subtitle}</p></header>`,
    body,
    '<section class="facts">',
    `<div><h2>Model</h2>${keyValueTable(modelRows)}</div>`,
    metadataRows.length > 0 ? `<div><h2>Metadata</h2>${keyValueTable(metadataRows)}</div>` : '',
    '</section>',
    '<footer>Vigil evaluation report. Curves are exact points of the full data, thinned for drawing.</footer>',
    '</main></body></html>',
  ].join('\n');
}

const TASK_NAMES = {
  binary: 'Binary classification',
  regression: 'Regression',
  multiclass: 'Multiclass classification',
};

function binarySections(data: BinaryReportData): string {
  const { yTrue, score } = data;
  const [negName, posName] = data.classNames ?? ['0', '1'];
  const m = binaryMetrics(yTrue, score, data.policy ?? { kind: 'max-f1' });
  const roc = rocCurve(yTrue, score);
  const pr = prCurve(yTrue, score);
  const ksc = ksCurve(yTrue, score);
  const hist = scoreHistogram(yTrue, score, 24);
  const strategy = data.calibrationStrategy ?? 'quantile';
  const cal = calibrationCurve(yTrue, score, 10, strategy);
  const pos = `${posName} (positive)`;
  const neg = `${negName} (negative)`;

  const charts: string[] = [];
  charts.push(
    figure(
      renderChart({
        title: 'ROC curve',
        x: { label: 'False positive rate', min: 0, max: 1 },
        y: { label: 'True positive rate (recall)', min: 0, max: 1 },
        series: [
          { kind: 'line', name: 'random', x: [0, 1], y: [0, 1], color: COLOR.reference, dashed: true, width: 1.5 },
          { kind: 'line', name: `model, AUC = ${fixed(m.auc)}`, x: roc.fpr, y: roc.tpr, color: COLOR.model },
        ],
      }),
      'Share of positives caught against share of negatives flagged, over all thresholds.',
    ),
    figure(
      renderChart({
        title: 'Precision–recall curve',
        x: { label: 'Recall', min: 0, max: 1 },
        y: { label: 'Precision', min: 0, max: 1 },
        legend: 'top-right',
        series: [
          {
            kind: 'line',
            name: `base rate = ${fixed(pr.baseRate)}`,
            x: [0, 1],
            y: [pr.baseRate, pr.baseRate],
            color: COLOR.reference,
            dashed: true,
            width: 1.5,
          },
          {
            kind: 'line',
            name: `model, AP = ${fixed(m.ap)}`,
            x: pr.recall,
            y: pr.precision,
            color: COLOR.model,
            step: 'pre',
          },
        ],
      }),
      'Precision of the flagged rows at each recall; a random ranking stays on the base rate.',
    ),
    figure(
      renderChart({
        title: 'KS: score distribution by class',
        x: { label: 'Score' },
        y: { label: 'Cumulative share of class', min: 0, max: 1 },
        series: [
          { kind: 'line', name: pos, x: ksc.score, y: ksc.cdfPositive, color: COLOR.positive, step: 'post' },
          { kind: 'line', name: neg, x: ksc.score, y: ksc.cdfNegative, color: COLOR.negative, step: 'post' },
          {
            kind: 'line',
            name: `KS = ${fixed(ksc.ks)} at score ${shortNumber(ksc.ksScore)}`,
            x: [ksc.ksScore, ksc.ksScore],
            y: [ksc.ksCdfPositive, ksc.ksCdfNegative],
            color: COLOR.gap,
            dashed: true,
            width: 2,
          },
        ],
      }),
      'Empirical CDF of the score per class; the dashed segment marks the widest gap (KS).',
    ),
    figure(
      renderChart({
        title: 'Score distribution by class',
        x: { label: 'Score' },
        y: { label: 'Share of class' },
        legend: 'top-right',
        series: [
          { kind: 'bars', name: neg, edges: hist.edges, heights: shares(hist.negatives), color: COLOR.negative },
          {
            kind: 'bars',
            name: pos,
            edges: hist.edges,
            heights: shares(hist.positives),
            color: COLOR.positive,
            opacity: 0.5,
          },
        ],
      }),
      'Histograms normalised within each class, so a rare class is as visible as a common one.',
    ),
    figure(calibrationChart(cal.meanPredicted, cal.observedRate), calibrationCaption(strategy, cal.counts)),
  );

  const c = m.confusion;
  const rates = confusionRates(c);
  return [
    cards([
      ['AUC', fixed(m.auc)],
      ['KS', fixed(m.ks)],
      ['Gini', fixed(m.gini)],
      ['AP', fixed(m.ap)],
      ['Recall @ threshold', percent(m.recall)],
      ['Precision @ threshold', percent(m.precision)],
    ]),
    '<section class="tables">',
    `<div><h2>Metrics</h2>${binaryMetricsTable(m)}</div>`,
    `<div><h2>Confusion matrix at threshold ${escapeXml(shortNumber(m.threshold))}</h2>`,
    `<p class="note">Rows flagged when score ≥ ${escapeXml(shortNumber(m.threshold))} (${escapeXml(describePolicy(m.thresholdPolicy))}). Cell shares are of the actual class (row).</p>`,
    confusionTable(
      [posName, negName],
      [
        [c.tp, c.fn],
        [c.fp, c.tn],
      ],
      [
        ['TP', 'FN'],
        ['FP', 'TN'],
      ],
    ),
    `<p class="note">FPR ${percent(rates.fpr)} · specificity ${percent(rates.specificity)} · flagged ${formatCount(c.tp + c.fp)} of ${formatCount(m.nRows)} rows (${percent((c.tp + c.fp) / m.nRows)}).</p>`,
    '</div></section>',
    `<section class="charts">${charts.join('')}</section>`,
  ].join('\n');
}

function calibrationChart(predicted: Float64Array, observed: Float64Array): string {
  let hi = 0;
  for (const v of [...predicted, ...observed]) hi = Math.max(hi, v);
  // Zoom to the populated range (PDs of a few percent would otherwise sit in one corner), on a
  // square domain so the diagonal stays the 45° line of perfect calibration.
  const top = Math.min(1, Math.ceil(hi * 10 + 1e-9) / 10 || 1);
  return renderChart({
    title: 'Calibration',
    x: { label: 'Mean predicted probability', min: 0, max: top },
    y: { label: 'Observed rate of positives', min: 0, max: top },
    series: [
      {
        kind: 'line',
        name: 'perfectly calibrated',
        x: [0, top],
        y: [0, top],
        color: COLOR.reference,
        dashed: true,
        width: 1.5,
      },
      { kind: 'line', name: 'model', x: predicted, y: observed, color: COLOR.model, markers: true },
    ],
  });
}

function calibrationCaption(strategy: CalibrationStrategy, counts: Float64Array): string {
  const bins = strategy === 'quantile' ? 'bins of about equal row counts' : 'equal-width bins';
  const sizes = Array.from(counts, (n) => formatCount(n)).join(', ');
  return `Observed rate against mean prediction in ${counts.length} ${bins} (rows: ${sizes}).`;
}

function regressionSections(data: RegressionReportData): string {
  const { yTrue, prediction } = data;
  const m = regressionMetrics(yTrue, prediction);
  const n = yTrue.length;
  // Even stride rather than random draws: deterministic, and spread over the whole file order.
  const take = Math.min(n, SCATTER_POINTS);
  const sx = new Float64Array(take);
  const sy = new Float64Array(take);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < take; i++) {
    const r = Math.floor((i * n) / take);
    sx[i] = yTrue[r] as number;
    sy[i] = prediction[r] as number;
    lo = Math.min(lo, sx[i] as number, sy[i] as number);
    hi = Math.max(hi, sx[i] as number, sy[i] as number);
  }
  // A little room around the extremes so edge points are not cut by the frame.
  const pad = (hi - lo) * 0.03 || 1;
  lo -= pad;
  hi += pad;
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) residuals[i] = (yTrue[i] as number) - (prediction[i] as number);
  const hist = histogram(residuals, 30);
  const charts = [
    figure(
      renderChart({
        title: 'Predicted vs actual',
        x: { label: 'Actual', min: lo, max: hi },
        y: { label: 'Predicted', min: lo, max: hi },
        legend: 'top-left',
        series: [
          {
            kind: 'points',
            name: take < n ? `${formatCount(take)} of ${formatCount(n)} rows` : 'rows',
            x: sx,
            y: sy,
            color: COLOR.points,
            opacity: 0.45,
          },
          {
            kind: 'line',
            name: 'perfect prediction',
            x: [lo, hi],
            y: [lo, hi],
            color: COLOR.reference,
            dashed: true,
            width: 1.5,
          },
        ],
      }),
      take < n
        ? 'An evenly spaced subsample of the rows; points on the diagonal are exact.'
        : 'Every row; points on the diagonal are exact.',
    ),
    figure(
      renderChart({
        title: 'Residuals (actual − predicted)',
        x: { label: 'Residual' },
        y: { label: 'Rows' },
        legend: 'top-right',
        series: [
          { kind: 'bars', name: 'rows', edges: hist.edges, heights: hist.counts, color: COLOR.model },
          {
            kind: 'line',
            name: 'zero error',
            x: [0, 0],
            y: [0, Math.max(...hist.counts)],
            color: COLOR.gap,
            dashed: true,
            width: 1.5,
          },
        ],
      }),
      'Spread and skew of the errors; a shift off zero means a biased model.',
    ),
  ];
  return [
    cards([
      ['RMSE', shortNumber(m.rmse)],
      ['MAE', shortNumber(m.mae)],
      ['R²', fixed(m.r2)],
    ]),
    `<section class="tables"><div><h2>Metrics</h2>${regressionMetricsTable(m)}</div></section>`,
    `<section class="charts">${charts.join('')}</section>`,
  ].join('\n');
}

function multiclassSections(data: MulticlassReportData): string {
  const m = multiclassMetrics(data.yTrue, data.probs, data.classNames);
  const names = m.classNames;
  return [
    cards([
      ['Accuracy', percent(m.accuracy)],
      ['Macro F1', fixed(m.macroF1)],
      ['Log loss', fixed(m.logLoss)],
    ]),
    '<section class="tables">',
    `<div><h2>Metrics</h2>${multiclassMetricsTable(m)}</div>`,
    `<div><h2>Per class</h2>${perClassTable(m)}</div>`,
    '</section>',
    '<section class="wide"><h2>Confusion matrix</h2>',
    '<p class="note">Rows are actual classes, columns predicted (argmax of probabilities). Shading and shares are of the actual class (row).</p>',
    confusionTable(names, m.confusion),
    '</section>',
  ].join('\n');
}

function binaryMetricsTable(m: BinaryMetrics): string {
  return metricsTable([
    ['AUC (ROC)', fixed(m.auc), 'chance a random positive outranks a random negative'],
    ['Gini', fixed(m.gini), '2·AUC − 1'],
    ['KS', fixed(m.ks), 'largest gap between the class score CDFs'],
    ['Average precision', fixed(m.ap), `base rate ${fixed(m.positives / m.nRows)}`],
    ['Brier score', fixed(m.brier), 'mean squared error of the probabilities'],
    ['Log loss', fixed(m.logLoss), 'mean cross-entropy'],
    ['Threshold', shortNumber(m.threshold), describePolicy(m.thresholdPolicy)],
    ['Precision', fixed(m.precision), 'share of flagged rows that are positive'],
    ['Recall', fixed(m.recall), 'share of positives flagged'],
    ['F1', fixed(m.f1), 'harmonic mean of precision and recall'],
    ['Accuracy', fixed(m.accuracy), 'share of rows classified correctly'],
    ['Rows', formatCount(m.nRows), `${formatCount(m.positives)} positive, ${formatCount(m.negatives)} negative`],
  ]);
}

function regressionMetricsTable(m: RegressionMetrics): string {
  return metricsTable([
    ['RMSE', shortNumber(m.rmse), 'root mean squared error, in target units'],
    ['MSE', shortNumber(m.mse), 'mean squared error'],
    ['MAE', shortNumber(m.mae), 'mean absolute error, in target units'],
    ['R²', fixed(m.r2), 'share of variance explained (0 = predicting the mean)'],
    ['Mean target', shortNumber(m.meanTarget), ''],
    ['Rows', formatCount(m.nRows), ''],
  ]);
}

function multiclassMetricsTable(m: MulticlassMetrics): string {
  return metricsTable([
    ['Accuracy', fixed(m.accuracy), 'share of rows whose argmax class is right'],
    ['Macro F1', fixed(m.macroF1), 'mean F1 over classes, each weighing the same'],
    ['Log loss', fixed(m.logLoss), 'mean cross-entropy of the probabilities'],
    ['Classes', String(m.classNames.length), ''],
    ['Rows', formatCount(m.nRows), ''],
  ]);
}

function perClassTable(m: MulticlassMetrics): string {
  const rows = m.perClass
    .map(
      (c) =>
        `<tr><th scope="row">${escapeXml(c.name)}</th><td>${fixed(c.precision)}</td><td>${fixed(c.recall)}</td><td>${fixed(c.f1)}</td><td>${formatCount(c.support)}</td></tr>`,
    )
    .join('');
  return `<table class="metrics"><thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Rows of [name, value, meaning]; values arrive formatted, names and meanings are escaped here. */
function metricsTable(rows: [string, string, string][]): string {
  const body = rows
    .map(
      ([k, v, why]) =>
        `<tr><th scope="row">${escapeXml(k)}</th><td class="num">${escapeXml(v)}</td><td class="why">${escapeXml(why)}</td></tr>`,
    )
    .join('');
  return `<table class="metrics"><tbody>${body}</tbody></table>`;
}

/** Rows of [key, html]; callers escape the html side. */
function keyValueTable(rows: [string, string][]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

/**
 * A confusion matrix as a shaded table: counts with their share of the actual class, shading by
 * that share. A table rather than an SVG so the numbers stay selectable and print crisply.
 */
function confusionTable(names: string[], counts: number[][], tags?: string[][]): string {
  const head = names.map((n) => `<th scope="col">${escapeXml(n)}</th>`).join('');
  const body = counts
    .map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((count, p) => {
          const share = total === 0 ? 0 : count / total;
          const [bg, fg] = heatColors(share);
          const tag = tags?.[t]?.[p];
          return `<td style="background:${bg};color:${fg}">${tag ? `<span class="tag">${tag}</span> ` : ''}<b>${formatCount(count)}</b><br><small>${percent(share)}</small></td>`;
        })
        .join('');
      return `<tr><th scope="row">${escapeXml(names[t] as string)}</th>${cells}<td class="total">${formatCount(total)}</td></tr>`;
    })
    .join('');
  return `<table class="confusion"><thead><tr><th>Actual ↓ / Predicted →</th>${head}<th>Total</th></tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * Background from white to deep blue by `share`, and whichever text colour contrasts more with
 * it (by WCAG relative luminance), so counts stay legible at every shade and in print.
 */
function heatColors(share: number): [string, string] {
  const rgb = [255 - share * 247, 255 - share * 186, 255 - share * 107];
  const linear = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * (linear[0] as number) + 0.7152 * (linear[1] as number) + 0.0722 * (linear[2] as number);
  // Contrast with white is 1.05 / (L + 0.05), with #1f2933 (L ≈ 0.022) it is (L + 0.05) / 0.072.
  const fg = 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.072 ? '#fff' : '#1f2933';
  return [`rgb(${rgb.map((c) => Math.round(c)).join(', ')})`, fg];
}

function cards(items: [string, string][]): string {
  const body = items
    .map(
      ([k, v]) =>
        `<div class="card"><div class="value">${escapeXml(v)}</div><div class="label">${escapeXml(k)}</div></div>`,
    )
    .join('');
  return `<section class="cards">${body}</section>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function describePolicy(policy: ThresholdPolicy): string {
  switch (policy.kind) {
    case 'max-f1':
      return 'chosen to maximise F1';
    case 'recall':
      return `highest threshold with recall ≥ ${percent(policy.target)}`;
    case 'cost':
      return `minimum expected cost, FP cost ${policy.falsePositiveCost}, FN cost ${policy.falseNegativeCost}`;
    case 'fixed':
      return 'fixed threshold, chosen beforehand';
  }
}

function shares(counts: Float64Array): Float64Array {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function formatCount(v: number): string {
  return groupThousands(v.toFixed(0));
}

/** A value of any magnitude in about four significant digits. */
function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  if (a >= 1000) return groupThousands(v.toFixed(1));
  return String(Number(v.toPrecision(4)));
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f5f7fa;color:#1f2933;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1140px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:16px;margin:0 0 8px}
.subtitle{margin:0;color:#52606d}
header{margin-bottom:16px}
section{margin:16px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:12px 14px}
.card .value{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:#52606d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tables,.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.tables>div,.facts>div,.wide{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:14px}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{font-weight:600}
td.num,.metrics td{font-variant-numeric:tabular-nums}
td.why{color:#52606d;font-size:12.5px}
table.kv code{font-size:12px;word-break:break-all}
table.kv td{overflow-wrap:anywhere}
table.confusion td{text-align:center;border:1px solid #fff;min-width:90px}
table.confusion td.total{background:#f5f7fa;color:#52606d}
table.confusion .tag{font-size:11px;opacity:.8}
.note{color:#52606d;font-size:12.5px;margin:4px 0 8px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:10px}
figure svg{width:100%;height:auto;display:block}
figcaption{color:#52606d;font-size:12.5px;margin-top:4px}
footer{color:#7b8794;font-size:12px;margin-top:24px}
@media print{
  @page{size:A4;margin:12mm}
  body{background:#fff;font-size:11px}
  main{max-width:none;padding:0}
  .charts{grid-template-columns:1fr 1fr}
  .tables,.facts{grid-template-columns:1fr 1fr}
  figcaption{font-size:9.5px}
  figure,.tables>div,.facts>div,.card,table{break-inside:avoid}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** The reports' stylesheet, shared so every Vigil report (evaluation, synthetic-data quality) reads alike. */
export const REPORT_CSS: string = CSS;
