/**
 * The one chart renderer behind every plot in the evaluation report: a plot area with ticked and
 * labelled axes, line and step series, bars, points, text notes and a legend, written as an
 * inline `<svg>` string (no xmlns: inside HTML the parser supplies it, and the report must not
 * hold a single URL). No dependencies and no network, so a report is one file that opens
 * anywhere and prints as drawn.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** One axis: its label and, optionally, a fixed domain (otherwise fitted to the data on nice ticks). */
export interface ChartAxis {
  label: string;
  min?: number;
  max?: number;
  /** Tick label format; defaults to as many decimals as the tick step needs. */
  format?: (value: number) => string;
}

interface SeriesBase {
  /** Shown in the legend; unnamed series are left out of it. */
  name?: string;
  color: string;
}

/** A polyline through (x, y); `step` draws it as a staircase ('post': hold y until the next x). */
export interface LineSeries extends SeriesBase {
  kind: 'line';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  step?: 'pre' | 'post';
  dashed?: boolean;
  width?: number;
  /** Draw a small dot on every point as well (for sparse curves such as calibration). */
  markers?: boolean;
}

/** Bars spanning `edges[i]..edges[i + 1]` with height `heights[i]`, semi-transparent so sets overlay. */
export interface BarSeries extends SeriesBase {
  kind: 'bars';
  edges: ArrayLike<number>;
  heights: ArrayLike<number>;
  opacity?: number;
}

/** A scatter of dots. */
export interface PointSeries extends SeriesBase {
  kind: 'points';
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  radius?: number;
  opacity?: number;
}

/** Anything a chart can draw. */
export type ChartSeries = LineSeries | BarSeries | PointSeries;

/** A text note placed at data coordinates. */
export interface ChartNote {
  x: number;
  y: number;
  text: string;
  anchor?: 'start' | 'middle' | 'end';
}

/** A whole chart. */
export interface ChartSpec {
  title: string;
  x: ChartAxis;
  y: ChartAxis;
  series: ChartSeries[];
  notes?: ChartNote[];
  /** Corner of the plot area holding the legend. */
  legend?: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
  width?: number;
  height?: number;
}

const MARGIN = { top: 34, right: 18, bottom: 48, left: 62 };
const FONT = 12;

/** Coordinates rounded to 0.1 px: invisible on screen, and keeps a 200-point curve small. */
function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Tick step of 1, 2 or 5 × 10^k giving about `target` ticks over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const r = raw / magnitude;
  return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * magnitude;
}

/** Tick label with the decimals the step needs; thousands grouped, huge or tiny values in e-notation. */
function defaultFormat(step: number): (v: number) => string {
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e7 || a < 1e-6)) return v.toExponential(1);
    return groupThousands(v.toFixed(decimals));
  };
}

/** `1234567.5` → `1,234,567.5`, the form finance readers expect. */
export function groupThousands(fixed: string): string {
  const [int, frac] = fixed.split('.');
  const grouped = (int as string).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

interface Scale {
  min: number;
  max: number;
  ticks: number[];
  format: (v: number) => string;
}

/** Domain and ticks of an axis: the fixed bounds if given, else the data range widened to ticks. */
function scaleFor(axis: ChartAxis, values: number[], target: number): Scale {
  let lo = axis.min ?? Number.POSITIVE_INFINITY;
  let hi = axis.max ?? Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (axis.min === undefined && v < lo) lo = v;
    if (axis.max === undefined && v > hi) hi = v;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, target);
  if (axis.min === undefined) lo = Math.floor(lo / step + 1e-9) * step;
  if (axis.max === undefined) hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    // Snap to the step grid so 0.30000000000000004 prints and compares as 0.3.
    ticks.push(Math.round(t / step) * step);
  }
  return { min: lo, max: hi, ticks, format: axis.format ?? defaultFormat(step) };
}

function finiteValues(series: ChartSeries[], axis: 'x' | 'y'): number[] {
  const out: number[] = [];
  const add = (values: ArrayLike<number>): void => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (Number.isFinite(v)) out.push(v);
    }
  };
  for (const s of series) {
    if (s.kind === 'bars') {
      if (axis === 'x') add(s.edges);
      else add([0, ...Array.from(s.heights)]);
    } else add(axis === 'x' ? s.x : s.y);
  }
  return out;
}

/**
 * Renders a chart as an inline SVG string. Every piece of text is escaped; non-finite points are
 * skipped (a line breaks there) and points outside a fixed domain are clamped to its edge.
 *
 * @example
 * renderChart({
 *   title: 'ROC curve', x: { label: 'FPR', min: 0, max: 1 }, y: { label: 'TPR', min: 0, max: 1 },
 *   series: [{ kind: 'line', name: 'model', x: roc.fpr, y: roc.tpr, color: '#0072b2' }],
 * });
 */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 520;
  const height = spec.height ?? 360;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = scaleFor(spec.x, finiteValues(spec.series, 'x'), 6);
  const ys = scaleFor(spec.y, finiteValues(spec.series, 'y'), 5);
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  const sx = (v: number): number => MARGIN.left + clamp((v - xs.min) / (xs.max - xs.min), 0, 1) * plotW;
  const sy = (v: number): number => MARGIN.top + (1 - clamp((v - ys.min) / (ys.max - ys.min), 0, 1)) * plotH;
  const bottom = MARGIN.top + plotH;
  const right = MARGIN.left + plotW;

  const parts: string[] = [];
  parts.push(
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="${FONT}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600" fill="#1f2933">${escapeXml(spec.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#c5ccd3"/>`,
  );

  // Grid and tick labels first so data draws on top of them.
  for (const t of xs.ticks) {
    const x = px(sx(t));
    parts.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${bottom}" stroke="#eef1f4"/>`,
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#7b8794"/>`,
      `<text x="${x}" y="${bottom + 17}" text-anchor="middle" fill="#52606d">${escapeXml(xs.format(t))}</text>`,
    );
  }
  for (const t of ys.ticks) {
    const y = px(sy(t));
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${right}" y2="${y}" stroke="#eef1f4"/>`,
      `<line x1="${MARGIN.left - 4}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="#7b8794"/>`,
      `<text x="${MARGIN.left - 7}" y="${y}" dy="0.32em" text-anchor="end" fill="#52606d">${escapeXml(ys.format(t))}</text>`,
    );
  }
  parts.push(
    `<text x="${px(MARGIN.left + plotW / 2)}" y="${height - 10}" text-anchor="middle" fill="#1f2933">${escapeXml(spec.x.label)}</text>`,
    `<text transform="translate(15 ${px(MARGIN.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#1f2933">${escapeXml(spec.y.label)}</text>`,
  );

  for (const s of spec.series) parts.push(drawSeries(s, sx, sy));

  for (const note of spec.notes ?? []) {
    parts.push(
      `<text x="${px(sx(note.x))}" y="${px(sy(note.y))}" text-anchor="${note.anchor ?? 'start'}" fill="#1f2933" font-weight="600">${escapeXml(note.text)}</text>`,
    );
  }

  parts.push(drawLegend(spec, plotW, plotH));
  parts.push('</svg>');
  return parts.join('');
}

function drawSeries(s: ChartSeries, sx: (v: number) => number, sy: (v: number) => number): string {
  const title = s.name === undefined ? '' : `<title>${escapeXml(s.name)}</title>`;
  if (s.kind === 'bars') {
    const rects: string[] = [];
    for (let i = 0; i < s.heights.length; i++) {
      const h = s.heights[i] as number;
      if (!(h > 0)) continue;
      const x0 = sx(s.edges[i] as number);
      const x1 = sx(s.edges[i + 1] as number);
      const y = sy(h);
      rects.push(`<rect x="${px(x0)}" y="${px(y)}" width="${px(Math.max(x1 - x0, 0.5))}" height="${px(sy(0) - y)}"/>`);
    }
    return `<g fill="${escapeXml(s.color)}" fill-opacity="${s.opacity ?? 0.55}">${title}${rects.join('')}</g>`;
  }
  if (s.kind === 'points') {
    const r = s.radius ?? 2.5;
    const dots: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i] as number;
      const y = s.y[i] as number;
      if (Number.isFinite(x) && Number.isFinite(y)) dots.push(`<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="${r}"/>`);
    }
    return `<g fill="${escapeXml(s.color)}" fill-opacity="${s.opacity ?? 0.5}">${title}${dots.join('')}</g>`;
  }
  let d = '';
  let penDown = false;
  const dots: string[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const xv = s.x[i] as number;
    const yv = s.y[i] as number;
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) {
      penDown = false;
      continue;
    }
    const x = sx(xv);
    const y = sy(yv);
    if (!penDown) d += `M${px(x)} ${px(y)}`;
    else if (s.step === 'post') d += `H${px(x)}V${px(y)}`;
    else if (s.step === 'pre') d += `V${px(y)}H${px(x)}`;
    else d += `L${px(x)} ${px(y)}`;
    penDown = true;
    if (s.markers) dots.push(`<circle cx="${px(x)}" cy="${px(y)}" r="3.2"/>`);
  }
  const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
  const path = `<path d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${s.width ?? 2}"${dash} stroke-linejoin="round"/>`;
  const markers = dots.length > 0 ? `<g fill="${escapeXml(s.color)}">${dots.join('')}</g>` : '';
  return `<g>${title}${path}${markers}</g>`;
}

function drawLegend(spec: ChartSpec, plotW: number, plotH: number): string {
  const entries = spec.series.filter((s) => s.name !== undefined);
  if (entries.length === 0) return '';
  const rowH = 17;
  // Width estimated from character count: SVG text cannot be measured without a browser.
  const longest = Math.max(...entries.map((s) => (s.name as string).length));
  const boxW = Math.min(plotW - 8, 34 + longest * 6.6);
  const boxH = entries.length * rowH + 8;
  const corner = spec.legend ?? 'bottom-right';
  const x = corner.endsWith('left') ? MARGIN.left + 8 : MARGIN.left + plotW - boxW - 8;
  const y = corner.startsWith('top') ? MARGIN.top + 8 : MARGIN.top + plotH - boxH - 8;
  const rows = entries.map((s, i) => {
    const cy = y + 4 + i * rowH + rowH / 2;
    const swatch =
      s.kind === 'bars'
        ? `<rect x="${x + 8}" y="${px(cy - 5)}" width="18" height="10" fill="${escapeXml(s.color)}" fill-opacity="${s.opacity ?? 0.55}"/>`
        : s.kind === 'points'
          ? `<circle cx="${x + 17}" cy="${px(cy)}" r="3.5" fill="${escapeXml(s.color)}"/>`
          : `<line x1="${x + 8}" y1="${px(cy)}" x2="${x + 26}" y2="${px(cy)}" stroke="${escapeXml(s.color)}" stroke-width="${s.width ?? 2}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
    return `${swatch}<text x="${x + 32}" y="${px(cy)}" dy="0.32em" fill="#1f2933">${escapeXml(s.name as string)}</text>`;
  });
  return `<g><rect x="${px(x)}" y="${px(y)}" width="${px(boxW)}" height="${boxH}" fill="#fff" fill-opacity="0.92" stroke="#c5ccd3" rx="3"/>${rows.join('')}</g>`;
}
