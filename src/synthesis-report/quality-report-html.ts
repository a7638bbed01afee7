/**
 * The quality and privacy report as one self-contained HTML page (inline CSS and SVG, no script,
 * no URL), in the evaluation report's style: headline cards with traffic-light readings, a reading
 * in plain words, then the evidence behind each number.
 */
import {
  escapeXml,
  groupThousands,
  REPORT_CSS,
  type RocCurve,
  renderCategoryBars,
  renderChart,
  renderHeatmap,
} from '../evaluation/index.js';
import type { QualityPlots, QualityReport } from './quality-report.js';

/** A traffic-light reading of one headline number. */
export type Light = 'good' | 'fair' | 'poor';

/**
 * The thresholds behind the lights, documented in docs/synthesis.md. Scores are "higher is better";
 * detection AUC and the TRTR − TSTR gap "lower is better".
 */
export const LIGHTS = {
  shapes: { good: 0.9, fair: 0.8 },
  pairs: { good: 0.9, fair: 0.8 },
  detectionAuc: { good: 0.6, fair: 0.75 },
  utilityGap: { good: 0.03, fair: 0.08 },
  dcrRatio: { good: 0.9, fair: 0.7 },
} as const;

const COLOR = {
  real: '#0072b2',
  synthetic: '#d55e00',
  holdout: '#009e73',
  reference: '#8a949e',
  good: '#1a9850',
  fair: '#e6a100',
  poor: '#c0392b',
};

const MAX_SMALL_MULTIPLES = 48;
const DIFF_SCALE_MAX = 0.5;
/** Beyond this many columns the every-pair heatmap's cells get too small to read. */
const MAX_PAIR_MAP_COLUMNS = 60;

function higherIsBetter(v: number, t: { good: number; fair: number }): Light {
  return v >= t.good ? 'good' : v >= t.fair ? 'fair' : 'poor';
}

function lowerIsBetter(v: number, t: { good: number; fair: number }): Light {
  return v <= t.good ? 'good' : v <= t.fair ? 'fair' : 'poor';
}

/** The lights of a report's headline numbers (null where the number was not measured). */
export function reportLights(r: QualityReport): Record<string, Light | null> {
  const gap = r.trtrAuc !== null && r.tstrAuc !== null ? r.trtrAuc - r.tstrAuc : null;
  const copies: Light =
    r.exactCopies === 0 ? 'good' : r.privacy.exactCopiesShare <= r.privacy.holdoutExactCopiesShare ? 'fair' : 'poor';
  return {
    shapes: higherIsBetter(r.columnShapes.score, LIGHTS.shapes),
    pairs: higherIsBetter(r.pairTrends.score, LIGHTS.pairs),
    detection: lowerIsBetter(r.detectionAuc, LIGHTS.detectionAuc),
    utility: gap === null ? null : lowerIsBetter(gap, LIGHTS.utilityGap),
    dcr: higherIsBetter(r.dcrRatio, LIGHTS.dcrRatio),
    copies,
  };
}

/** What the report page shows besides the numbers. */
export interface QualityReportPage {
  title: string;
  /** File names or descriptions of the tables, shown in the header. */
  sources?: { real?: string; synthetic?: string; holdout?: string };
  report: QualityReport;
  plots: QualityPlots;
  /** Shown when given; left out by default so equal inputs give equal pages. */
  generatedAt?: string;
}

function fixed(v: number | null, digits = 3): string {
  return v === null ? '—' : Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function count(v: number): string {
  return groupThousands(v.toFixed(0));
}

/** Tick labels of small charts: `120k`, `1.5M`, so six ticks fit in 300 px. */
function compactNumber(v: number): string {
  const a = Math.abs(v);
  const short = (x: number) => String(Number(x.toPrecision(3)));
  if (a >= 1e9) return `${short(v / 1e9)}G`;
  if (a >= 1e6) return `${short(v / 1e6)}M`;
  if (a >= 1e4) return `${short(v / 1e3)}k`;
  return short(v);
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

const LIGHT_WORDS: Record<Light, string> = { good: 'good', fair: 'fair', poor: 'poor' };

function card(label: string, value: string, light: Light | null, detail: string): string {
  const lamp =
    light === null
      ? ''
      : `<span class="lamp lamp-${light}" title="${LIGHT_WORDS[light]}"></span><span class="lamp-word">${LIGHT_WORDS[light]}</span>`;
  return `<div class="card"><div class="value">${escapeXml(value)}</div><div class="label">${escapeXml(label)}</div><div class="detail">${lamp} ${escapeXml(detail)}</div></div>`;
}

/** The headline numbers in plain words, one sentence each. */
export function readingInWords(r: QualityReport): string[] {
  const lights = reportLights(r);
  const out: string[] = [];
  const worst = [...r.columnShapes.columns].sort((a, b) => a.score - b.score).slice(0, 3);
  out.push(
    `Column shapes score ${fixed(r.columnShapes.score)}: on average a column's synthetic distribution differs from the real one by ${percent(1 - r.columnShapes.score)} (KS or total variation). Furthest apart: ${worst.map((c) => `${c.name} (${fixed(c.score)})`).join(', ')}.`,
  );
  out.push(
    `Pair trends score ${fixed(r.pairTrends.score)}: ${lights.pairs === 'good' ? 'the relations between columns are largely kept' : lights.pairs === 'fair' ? 'the relations between columns are partly kept' : 'many relations between columns are lost or distorted'} (${r.pairTrends.pairsEvaluated} pairs).`,
  );
  const d = r.detectionAuc;
  out.push(
    `Detection AUC ${fixed(d)}: ${d <= 0.6 ? 'a classifier can hardly tell synthetic rows from real ones (0.5 = indistinguishable)' : d <= 0.75 ? 'a classifier tells synthetic rows from real ones somewhat better than chance' : d <= 0.9 ? 'a classifier tells most synthetic rows from real ones' : 'a classifier spots almost every synthetic row: they are easy to tell apart'} (${r.detection.model}, ${r.detection.folds}-fold cross-validation on ${count(r.detection.rowsPerSide)} rows of each).`,
  );
  if (r.utility !== null) {
    const u = r.utility;
    out.push(
      u.tstrAuc === null
        ? `Utility: no model could be trained on the synthetic data (see the notes); a model trained on real data reaches AUC ${fixed(u.trtrAuc)}.`
        : `Utility: a ${u.model} trained on synthetic data reaches AUC ${fixed(u.tstrAuc)} on real test rows, against ${fixed(u.trtrAuc)} when trained on real data (${u.tstrAuc >= u.trtrAuc - 0.03 ? 'nearly as useful as the real data' : u.tstrAuc >= u.trtrAuc - 0.08 ? 'somewhat less useful than the real data' : 'clearly less useful than the real data'}).`,
    );
  } else {
    out.push(
      'Utility was not measured: give a binary target column (--target) to train on synthetic and test on real rows.',
    );
  }
  const ratio = r.dcrRatio;
  out.push(
    `Privacy: the median synthetic row lies ${fixed(ratio, 2)}× as far from its closest real row as a held-out real row does (${ratio >= 0.9 ? 'no closer than genuinely new data' : ratio >= 0.7 ? 'somewhat closer than new data: look at the rows nearest to real ones' : 'much closer than new data: a sign of memorised rows'}); ${r.exactCopies === 0 ? 'no synthetic row is an exact copy of a real row' : `${count(r.exactCopies)} synthetic row(s) (${percent(r.privacy.exactCopiesShare)}) are exact copies of real rows (held-out real rows: ${percent(r.privacy.holdoutExactCopiesShare)})`}.`,
  );
  return out;
}

function rocChart(title: string, curves: { name: string; roc: RocCurve; color: string }[]): string {
  return renderChart({
    title,
    x: { label: 'False positive rate', min: 0, max: 1 },
    y: { label: 'True positive rate', min: 0, max: 1 },
    width: 460,
    height: 340,
    series: [
      { kind: 'line', name: 'chance', x: [0, 1], y: [0, 1], color: COLOR.reference, dashed: true, width: 1.5 },
      ...curves.map((c) => ({
        kind: 'line' as const,
        name: `${c.name}, AUC = ${c.roc.auc.toFixed(3)}`,
        x: c.roc.fpr,
        y: c.roc.tpr,
        color: c.color,
      })),
    ],
  });
}

function columnSection(r: QualityReport, plots: QualityPlots): string {
  const cols = [...r.columnShapes.columns].sort((a, b) => a.score - b.score);
  const scoreColor = (v: number) => COLOR[higherIsBetter(v, LIGHTS.shapes)];
  const bars = renderCategoryBars({
    title: 'Column shape score (1 − KS or 1 − TVD), worst first',
    categories: cols.map((c) => `${c.name} (${c.metric})`),
    series: [{ name: 'score', color: COLOR.real, values: cols.map((c) => c.score) }],
    min: 0,
    max: 1,
    marks: [LIGHTS.shapes.fair, LIGHTS.shapes.good],
    colorOf: (v) => scoreColor(v),
    // The page's full width, so the labels keep their size instead of being scaled up.
    width: 1080,
  });
  const rows = cols
    .map(
      (c) =>
        `<tr><th scope="row">${escapeXml(c.name)}</th><td>${escapeXml(c.kind)}</td><td>${c.metric.toUpperCase()}</td><td class="num">${fixed(c.statistic)}</td><td class="num">${percent(c.missingShareReal)} / ${percent(c.missingShareSynthetic)}</td><td class="num">${c.unseenRows === undefined ? '—' : count(c.unseenRows)}</td><td class="num"><b>${fixed(c.score)}</b></td></tr>`,
    )
    .join('');
  const table = `<table class="metrics"><thead><tr><th>Column</th><th>Kind</th><th>Metric</th><th>Distance</th><th>Missing real / synth.</th><th>Rows with unseen values</th><th>Score</th></tr></thead><tbody>${rows}</tbody></table>`;
  const byName = new Map(plots.columns.map((p) => [p.name, p]));
  const multiples = cols.slice(0, MAX_SMALL_MULTIPLES).map((c) => {
    const p = byName.get(c.name);
    if (p === undefined) return '';
    const title = `${c.name} · ${fixed(c.score)}`;
    const svg =
      p.type === 'histogram'
        ? renderChart({
            title,
            x: { label: c.name, format: compactNumber },
            y: { label: 'Share of rows' },
            width: 340,
            height: 230,
            legend: 'top-right',
            series: [
              { kind: 'bars', name: 'real', edges: p.edges, heights: p.real, color: COLOR.real, opacity: 0.5 },
              {
                kind: 'bars',
                name: 'synthetic',
                edges: p.edges,
                heights: p.synthetic,
                color: COLOR.synthetic,
                opacity: 0.45,
              },
            ],
          })
        : renderCategoryBars({
            title,
            categories: p.labels,
            series: [
              { name: 'real', color: COLOR.real, values: p.real },
              { name: 'synthetic', color: COLOR.synthetic, values: p.synthetic },
            ],
            min: 0,
            format: (v) => percent(v),
            width: 340,
          });
    return `<figure class="small">${svg}</figure>`;
  });
  const more =
    cols.length > MAX_SMALL_MULTIPLES
      ? `<p class="note">The ${MAX_SMALL_MULTIPLES} lowest-scoring columns are drawn; the table lists all ${cols.length}.</p>`
      : '';
  return [
    '<section class="wide"><h2>Column shapes</h2>',
    `<p class="note">Each column alone: numeric and datetime columns by the Kolmogorov–Smirnov statistic of the non-missing values (score 1 − max(KS, |difference of missing shares|)), categorical and boolean columns by the total-variation distance with missing as a category (score 1 − TVD). Overall: the mean, ${fixed(r.columnShapes.score)}. Dashed lines: ${LIGHTS.shapes.fair} and ${LIGHTS.shapes.good}.</p>`,
    figure(bars, 'Green ≥ 0.9, amber ≥ 0.8, red below.'),
    `<details><summary>Every column's numbers</summary><div class="scroll">${table}</div></details>`,
    '</section>',
    '<section class="wide"><h2>Distributions, real against synthetic</h2>',
    '<p class="note">Numeric columns: shares of rows in 30 equal bins over the real 0.5–99.5 % range (values outside fall in the end bins). Categorical columns: shares of the 12 most frequent real values, the rest grouped, missing and values the real data never has apart. Worst columns first.</p>',
    `<div class="multiples">${multiples.join('')}</div>${more}`,
    '</section>',
  ].join('\n');
}

function pairSection(r: QualityReport, plots: QualityPlots): string {
  const { names, real, synthetic } = plots.correlation;
  const k = names.length;
  const parts: string[] = [
    '<section class="wide"><h2>Pair trends</h2>',
    `<p class="note">Two numeric columns: Spearman rank correlation, score 1 − |ρ<sub>real</sub> − ρ<sub>synthetic</sub>| / 2. Any other pair (or a constant numeric column): 1 − total-variation distance of the joint distribution, numeric values in ${10} quantile bins of the real data plus missing. Overall: the mean over ${r.pairTrends.pairsEvaluated} of ${r.pairTrends.pairsTotal} pairs, ${fixed(r.pairTrends.score)}.</p>`,
  ];
  const charts: string[] = [];
  if (k >= 2) {
    const diff = new Float64Array(k * k);
    for (let i = 0; i < k * k; i++) diff[i] = Math.abs((real[i] as number) - (synthetic[i] as number));
    charts.push(
      figure(
        renderHeatmap({
          title: 'Spearman correlation, real',
          labels: names,
          values: real,
          scale: 'diverging',
          width: 460,
        }),
        'Blue: negative, red: positive.',
      ),
      figure(
        renderHeatmap({
          title: 'Spearman correlation, synthetic',
          labels: names,
          values: synthetic,
          scale: 'diverging',
          width: 460,
        }),
        'Should look like the real one.',
      ),
      figure(
        renderHeatmap({
          title: '|real − synthetic| correlation',
          labels: names,
          values: diff,
          scale: 'sequential',
          max: DIFF_SCALE_MAX,
          width: 460,
        }),
        `Dark cells: relations the synthetic data does not keep (the scale tops out at ${DIFF_SCALE_MAX}, already a large change).`,
      ),
    );
  }
  // Every pair, categorical ones included: the gap 1 − score, darker = worse kept.
  const all = r.columnShapes.columns.map((c) => c.name);
  if (all.length >= 2 && all.length <= MAX_PAIR_MAP_COLUMNS) {
    const at = new Map(all.map((name, i) => [name, i]));
    const n = all.length;
    const gaps = new Float64Array(n * n).fill(Number.NaN);
    for (let i = 0; i < n; i++) gaps[i * n + i] = 0;
    for (const p of r.pairTrends.pairs) {
      const i = at.get(p.a) as number;
      const j = at.get(p.b) as number;
      gaps[i * n + j] = 1 - p.score;
      gaps[j * n + i] = 1 - p.score;
    }
    charts.push(
      figure(
        renderHeatmap({
          title: 'Pair-trend gap (1 − score), every pair',
          labels: all,
          values: gaps,
          scale: 'sequential',
          max: DIFF_SCALE_MAX,
          width: 460,
        }),
        'Correlation and contingency pairs alike; grey: a pair left out of the sample of pairs.',
      ),
    );
  }
  const worst = [...r.pairTrends.pairs].sort((a, b) => a.score - b.score).slice(0, 12);
  const rows = worst
    .map(
      (p) =>
        `<tr><th scope="row">${escapeXml(p.a)} × ${escapeXml(p.b)}</th><td>${p.metric}</td><td class="num">${p.real === undefined ? '—' : fixed(p.real)}</td><td class="num">${p.synthetic === undefined ? '—' : fixed(p.synthetic)}</td><td class="num"><b>${fixed(p.score)}</b></td></tr>`,
    )
    .join('');
  parts.push(
    k < 2 ? '<p class="note">Fewer than two numeric columns: no correlation heatmap.</p>' : '',
    `<div class="charts">${charts.join('')}</div>`,
    `<h3>Pairs furthest apart</h3><table class="metrics"><thead><tr><th>Pair</th><th>Metric</th><th>ρ real</th><th>ρ synthetic</th><th>Score</th></tr></thead><tbody>${rows}</tbody></table>`,
    '</section>',
  );
  return parts.join('\n');
}

function modelSection(r: QualityReport, plots: QualityPlots): string {
  const d = r.detection;
  const charts = [
    figure(
      rocChart('Detection: real vs synthetic', [{ name: d.model, roc: plots.detectionRoc, color: COLOR.synthetic }]),
      `Out-of-fold scores of ${d.folds} folds (fold AUCs ${d.foldAucs.map((a) => a.toFixed(3)).join(', ')}). On the diagonal: indistinguishable.`,
    ),
  ];
  const u = r.utility;
  if (u !== null && plots.utilityRocReal !== null) {
    const curves = [{ name: 'train on real', roc: plots.utilityRocReal, color: COLOR.real }];
    if (plots.utilityRocSynthetic !== null)
      curves.push({ name: 'train on synthetic', roc: plots.utilityRocSynthetic, color: COLOR.synthetic });
    charts.push(
      figure(
        renderCategoryBars({
          title: `Utility: AUC on ${count(u.testRows)} real test rows, by training data`,
          categories: ['real (TRTR)', 'synthetic (TSTR)'],
          series: [{ name: 'AUC', color: COLOR.real, values: [u.trtrAuc, u.tstrAuc ?? Number.NaN] }],
          // From chance, so the gap between two useful models shows; from 0 when one is worse than chance.
          min: Math.min(u.trtrAuc, u.tstrAuc ?? 1) < 0.5 ? 0 : 0.5,
          marks: [0.5],
          max: 1,
          colorOf: (_v, _series, category) => (category === 0 ? COLOR.real : COLOR.synthetic),
          barHeight: 30,
          width: 460,
        }),
        `${u.model} with its default parameters and seed ${r.settings.seed}, target ${u.target} (positive ${u.positive}); tested on ${u.testedOn === 'holdout' ? 'the holdout file' : 'a stratified 25 % of the real file'}.`,
      ),
      figure(rocChart('Utility: ROC on real test rows', curves), 'Both models score the same real rows.'),
    );
  }
  return [
    '<section class="wide"><h2>Detection and utility</h2>',
    `<p class="note">Detection: a ${d.model} on Vigil's preprocessing learns to tell real rows (0) from synthetic rows (1), ${count(d.rowsPerSide)} of each, ${d.folds}-fold stratified cross-validation; the mean fold AUC is ${fixed(r.detectionAuc)}. ${u === null ? 'Utility needs --target.' : `Utility: the same estimator trained on real rows (TRTR, ${count(u.trainRowsReal)} rows) and on synthetic rows (TSTR, ${count(u.trainRowsSynthetic)} rows), each with its own preprocessing, tested on the same real rows.`}</p>`,
    `<div class="charts">${charts.join('')}</div>`,
    '</section>',
  ].join('\n');
}

function histogramOf(values: Float32Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const lo = edges[0] as number;
  const hi = edges[bins] as number;
  const out = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((((values[i] as number) - lo) / (hi - lo)) * bins)));
    out[b] = (out[b] as number) + 1 / values.length;
  }
  return out;
}

function privacySection(r: QualityReport, plots: QualityPlots): string {
  const p = r.privacy;
  const all = Float32Array.from([...plots.dcrSynthetic, ...plots.dcrHoldout]).sort();
  const hi = Math.max(1e-9, all.length === 0 ? 1 : (all[Math.floor(0.99 * (all.length - 1))] as number));
  const edges = Float64Array.from({ length: 31 }, (_, i) => (hi * i) / 30);
  const chart = renderChart({
    title: 'Distance to the closest real record',
    x: { label: 'DCR (mean per-column distance)', min: 0, max: hi },
    y: { label: 'Share of rows' },
    width: 520,
    height: 320,
    legend: 'top-right',
    series: [
      {
        kind: 'bars',
        name: `holdout, median ${fixed(p.dcrHoldout.median)}`,
        edges,
        heights: histogramOf(plots.dcrHoldout, edges),
        color: COLOR.holdout,
        opacity: 0.5,
      },
      {
        kind: 'bars',
        name: `synthetic, median ${fixed(p.dcrSynthetic.median)}`,
        edges,
        heights: histogramOf(plots.dcrSynthetic, edges),
        color: COLOR.synthetic,
        opacity: 0.45,
      },
    ],
  });
  const rows: [string, string, string][] = [
    ['DCR ratio', fixed(p.dcrRatio), 'median synthetic DCR / median holdout DCR; ≈ 1 or more: no closer than new data'],
    [
      'Synthetic DCR',
      `median ${fixed(p.dcrSynthetic.median)} · p05 ${fixed(p.dcrSynthetic.p05)}`,
      `${count(p.dcrSynthetic.rows)} rows measured`,
    ],
    [
      'Holdout DCR',
      `median ${fixed(p.dcrHoldout.median)} · p05 ${fixed(p.dcrHoldout.p05)}`,
      `${count(p.dcrHoldout.rows)} rows measured`,
    ],
    [
      'Closer than 95 % of holdout rows',
      percent(p.shareBelowHoldoutP05),
      'share of synthetic rows; about 5 % expected',
    ],
    [
      'Exact copies',
      `${count(p.exactCopies)} (${percent(p.exactCopiesShare)})`,
      'synthetic rows equal to a real row in every compared column',
    ],
    [
      'Holdout exact copies',
      `${count(p.holdoutExactCopies)} (${percent(p.holdoutExactCopiesShare)})`,
      'the same for held-out real rows: the rate new data has anyway',
    ],
    [
      'Reference rows',
      count(p.referenceRows),
      r.holdoutSource === 'file' ? 'every real row' : 'the 75 % of the real file not held out',
    ],
  ];
  const table = `<table class="metrics"><tbody>${rows.map(([k, v, why]) => `<tr><th scope="row">${escapeXml(k)}</th><td class="num">${escapeXml(v)}</td><td class="why">${escapeXml(why)}</td></tr>`).join('')}</tbody></table>`;
  return [
    '<section class="wide"><h2>Privacy</h2>',
    `<p class="note">Distance: ${escapeXml(p.distance)}. Holdout rows are ${r.holdoutSource === 'file' ? 'the holdout file' : 'a seeded 25 % of the real file, set aside'}; both distributions are measured against the same real rows.</p>`,
    `<div class="split">${figure(chart, 'A synthetic distribution shifted left of the holdout one means rows sit closer to real people than new data would.')}<div>${table}</div></div>`,
    '</section>',
  ].join('\n');
}

function notesSection(r: QualityReport): string {
  const excluded = r.excludedColumns
    .map((e) => `<li><b>${escapeXml(e.name)}</b>: ${escapeXml(e.reason)}</li>`)
    .join('');
  const warnings = r.warnings.map((w) => `<li>${escapeXml(w)}</li>`).join('');
  const s = r.settings;
  return [
    '<section class="facts">',
    `<div><h2>Columns left out</h2>${excluded === '' ? '<p class="note">None.</p>' : `<ul>${excluded}</ul>`}</div>`,
    `<div><h2>Notes</h2>${warnings === '' ? '<p class="note">None.</p>' : `<ul>${warnings}</ul>`}`,
    `<p class="note">Seed ${s.seed}; detection ${s.detectionModel} on at most ${count(s.detectionMaxRows)} rows per side; utility ${s.utilityModel}; DCR on at most ${count(s.dcrMaxRows)} synthetic and holdout rows; at most ${count(s.maxPairs)} column pairs.</p></div>`,
    '</section>',
  ].join('\n');
}

/**
 * Renders the report page.
 *
 * @example
 * const { report, plots } = await buildQualityReport({ real, synthetic, holdout }, { target: 'target' });
 * await writeFile('synth-report.html', renderQualityReport({ title: 'Taiwan, ctgan', report, plots }));
 */
export function renderQualityReport(page: QualityReportPage): string {
  const { report: r, plots } = page;
  const lights = reportLights(r);
  const src = page.sources ?? {};
  const subtitle = [
    `real ${src.real ? `${src.real}, ` : ''}${count(r.rows.real)} rows`,
    `synthetic ${src.synthetic ? `${src.synthetic}, ` : ''}${count(r.rows.synthetic)} rows`,
    r.holdoutSource === 'file'
      ? `holdout ${src.holdout ? `${src.holdout}, ` : ''}${count(r.rows.holdout)} rows`
      : 'holdout: 25 % of the real file',
    page.generatedAt ? `generated ${page.generatedAt}` : '',
  ]
    .filter((s) => s !== '')
    .map(escapeXml)
    .join(' · ');
  const u = r.utility;
  const cards = [
    card('Column shapes', fixed(r.columnShapes.score), lights.shapes ?? null, 'mean of 1 − KS / 1 − TVD'),
    card('Pair trends', fixed(r.pairTrends.score), lights.pairs ?? null, `${r.pairTrends.pairsEvaluated} column pairs`),
    card('Detection AUC', fixed(r.detectionAuc), lights.detection ?? null, '0.5 = indistinguishable'),
    card(
      'TSTR / TRTR AUC',
      u === null ? '—' : `${fixed(u.tstrAuc)} / ${fixed(u.trtrAuc)}`,
      lights.utility ?? null,
      u === null ? 'needs --target' : 'train on synthetic / on real',
    ),
    card('DCR ratio', fixed(r.dcrRatio, 2), lights.dcr ?? null, 'synthetic vs holdout median'),
    card(
      'Exact copies',
      count(r.exactCopies),
      lights.copies ?? null,
      `${percent(r.privacy.exactCopiesShare)} of synthetic rows`,
    ),
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(page.title)}</title>`,
    `<style>${REPORT_CSS}${CSS}</style>`,
    '</head><body><main>',
    `<header><h1>${escapeXml(page.title)}</h1><p class="subtitle">${subtitle}</p></header>`,
    `<section class="cards">${cards.join('')}</section>`,
    `<section class="wide reading"><h2>Reading</h2><ul>${readingInWords(r)
      .map((s) => `<li>${escapeXml(s)}</li>`)
      .join('')}</ul></section>`,
    columnSection(r, plots),
    pairSection(r, plots),
    modelSection(r, plots),
    privacySection(r, plots),
    notesSection(r),
    '<footer>Vigil synthetic-data quality and privacy report. How each number is computed: docs/synthesis.md.</footer>',
    '</main></body></html>',
  ].join('\n');
}

// Additions to the shared report stylesheet: lamps, small multiples, the two-column split.
const CSS = `
.card .detail{color:#52606d;font-size:12px;margin-top:4px;display:flex;align-items:center;gap:5px}
.lamp{display:inline-block;width:11px;height:11px;border-radius:50%;flex:none}
.lamp-good{background:${COLOR.good}}.lamp-fair{background:${COLOR.fair}}.lamp-poor{background:${COLOR.poor}}
.lamp-word{font-weight:600;color:#1f2933}
.wide{margin:16px 0}
.wide h3{font-size:14px;margin:14px 0 6px}
.reading ul{margin:0;padding-left:20px}.reading li{margin:4px 0}
.split{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:16px;align-items:start}
.scroll{max-height:640px;overflow:auto}
details{margin-top:10px}summary{cursor:pointer;font-weight:600}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
figure.small{padding:6px}
.charts{grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
@media (max-width:900px){.split{grid-template-columns:1fr}}
@media print{.split{grid-template-columns:1fr}.scroll{max-height:none;overflow:visible}.multiples{grid-template-columns:1fr 1fr 1fr}}
`;
