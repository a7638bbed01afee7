/**
 * Charts over named categories, beside the numeric-axis charts of `svg-chart.ts` and in the same
 * inline-SVG style: horizontal bars (one or more series per category, e.g. real vs synthetic
 * shares, or one score per column) and a heatmap of a labelled square matrix (correlations).
 */
import { escapeXml } from './svg-chart.js';

const FONT = 12;
const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

/** One series of {@link renderCategoryBars}: a value per category. */
export interface CategorySeries {
  name: string;
  color: string;
  values: ArrayLike<number>;
}

/** A horizontal bar chart: one row per category, one bar per series in each row. */
export interface CategoryBarSpec {
  title: string;
  categories: string[];
  series: CategorySeries[];
  /** Value axis; default 0 to the largest value. */
  min?: number;
  max?: number;
  /** Value label format at the end of each bar (default three decimals). */
  format?: (value: number) => string;
  /** Per-bar colour override (e.g. traffic-light scores), by value, series index and category index. */
  colorOf?: (value: number, series: number, category: number) => string;
  width?: number;
  /** Vertical lines at these values (e.g. a pass mark), dashed. */
  marks?: number[];
  /** Thickness of one bar in px (default 14 with one series, 9 with several). */
  barHeight?: number;
}

/** Truncates a label to `max` characters with an ellipsis (the full text stays in a tooltip). */
function clip(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/**
 * Renders horizontal bars as an inline SVG string; height follows the number of categories. Every
 * label is escaped and each bar carries a `<title>` with its exact value.
 *
 * @example
 * renderCategoryBars({
 *   title: 'purpose', categories: ['car', 'radio/tv'],
 *   series: [{ name: 'real', color: '#0072b2', values: [0.3, 0.28] }, { name: 'synthetic', color: '#d55e00', values: [0.31, 0.25] }],
 * });
 */
export function renderCategoryBars(spec: CategoryBarSpec): string {
  const width = spec.width ?? 520;
  const format = spec.format ?? ((v: number) => v.toFixed(3));
  const nSeries = Math.max(1, spec.series.length);
  const barH = spec.barHeight ?? (nSeries === 1 ? 14 : 9);
  const rowH = barH * nSeries + 8;
  const longest = Math.max(4, ...spec.categories.map((c) => Math.min(c.length, 28)));
  const left = Math.round(Math.min(width * 0.45, 12 + longest * 6.6));
  // Labels longer than the space left of the bars allows are clipped (whole in their tooltip).
  const maxChars = Math.max(4, Math.min(28, Math.floor((left - 10) / 7.2)));
  const right = 52;
  const top = 34;
  const legendH = spec.series.length > 1 ? 20 : 0;
  const plotW = width - left - right;
  const height = top + legendH + spec.categories.length * rowH + 10;
  let lo = spec.min ?? 0;
  let hi = spec.max ?? Number.NEGATIVE_INFINITY;
  if (spec.max === undefined) {
    for (const s of spec.series)
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i] as number;
        if (Number.isFinite(v) && v > hi) hi = v;
      }
    if (!(hi > lo)) hi = lo + 1;
  }
  if (!(hi > lo)) lo = hi - 1;
  const sx = (v: number) => left + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * plotW;
  const parts: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family="${FONT_FAMILY}" font-size="${FONT}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="8" y="20" font-size="14" font-weight="600" fill="#1f2933">${escapeXml(spec.title)}</text>`,
  ];
  if (spec.series.length > 1) {
    let x = left;
    for (const s of spec.series) {
      parts.push(
        `<rect x="${x}" y="${top - 2}" width="14" height="10" fill="${escapeXml(s.color)}"/>`,
        `<text x="${x + 19}" y="${top + 3}" dy="0.32em" fill="#1f2933">${escapeXml(s.name)}</text>`,
      );
      x += 30 + s.name.length * 6.6;
    }
  }
  const y0 = top + legendH;
  parts.push(
    `<line x1="${left}" y1="${y0}" x2="${left}" y2="${height - 8}" stroke="#7b8794"/>`,
    ...(spec.marks ?? []).map(
      (m) =>
        `<line x1="${sx(m).toFixed(1)}" y1="${y0}" x2="${sx(m).toFixed(1)}" y2="${height - 8}" stroke="#8a949e" stroke-dasharray="4 3"/>`,
    ),
  );
  spec.categories.forEach((category, i) => {
    const rowTop = y0 + i * rowH + 4;
    parts.push(
      `<text x="${left - 6}" y="${(rowTop + (barH * nSeries) / 2).toFixed(1)}" dy="0.32em" text-anchor="end" fill="#1f2933"><title>${escapeXml(category)}</title>${escapeXml(clip(category, maxChars))}</text>`,
    );
    spec.series.forEach((s, k) => {
      const v = s.values[i] as number;
      if (!Number.isFinite(v)) return;
      const y = rowTop + k * barH;
      const w = Math.max(0, sx(v) - left);
      const color = spec.colorOf?.(v, k, i) ?? s.color;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${escapeXml(color)}"><title>${escapeXml(`${category} · ${s.name}: ${format(v)}`)}</title></rect>`,
        `<text x="${(left + w + 4).toFixed(1)}" y="${(y + (barH - 1) / 2).toFixed(1)}" dy="0.32em" font-size="10.5" fill="#52606d">${escapeXml(format(v))}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A heatmap of a square matrix with labelled rows and columns. */
export interface HeatmapSpec {
  title: string;
  labels: string[];
  /** Row-major `labels.length²` values; NaN cells are drawn grey. */
  values: ArrayLike<number>;
  /** `diverging`: −1 blue … 0 white … +1 red; `sequential`: 0 white … `max` dark. */
  scale: 'diverging' | 'sequential';
  /** Top of the colour scale (default 1). */
  max?: number;
  /** Cell size in px (default: fits `width`). */
  width?: number;
}

/** Colour of `t` in [−1, 1] on a blue–white–red scale, or [0, 1] on white–purple. */
function heatColor(t: number, scale: 'diverging' | 'sequential'): string {
  if (!Number.isFinite(t)) return '#d9dde2';
  const lerp = (a: number[], b: number[], u: number) => a.map((x, i) => Math.round(x + ((b[i] as number) - x) * u));
  let rgb: number[];
  if (scale === 'sequential') rgb = lerp([255, 255, 255], [84, 39, 143], Math.min(1, Math.max(0, t)));
  else if (t >= 0) rgb = lerp([255, 255, 255], [178, 24, 43], Math.min(1, t));
  else rgb = lerp([255, 255, 255], [33, 102, 172], Math.min(1, -t));
  return `rgb(${rgb.join(',')})`;
}

/**
 * Renders a heatmap as an inline SVG string, each cell with a `<title>` naming its pair and value.
 * Column labels are written rotated above the grid; labels longer than 16 characters are clipped.
 */
export function renderHeatmap(spec: HeatmapSpec): string {
  const k = spec.labels.length;
  const width = spec.width ?? 520;
  const labelW = 12 + Math.min(16, Math.max(3, ...spec.labels.map((l) => l.length))) * 6.2;
  const cell = Math.max(6, Math.min(28, Math.floor((width - labelW - 60) / Math.max(1, k))));
  const top = 34 + labelW;
  const gridW = cell * k;
  const height = top + gridW + 44;
  const max = spec.max ?? 1;
  const parts: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family="${FONT_FAMILY}" font-size="${FONT}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="8" y="20" font-size="14" font-weight="600" fill="#1f2933">${escapeXml(spec.title)}</text>`,
  ];
  const fontSize = Math.min(11, Math.max(7, cell - 3));
  spec.labels.forEach((label, i) => {
    const short = escapeXml(clip(label, 16));
    const c = (labelW + i * cell + cell / 2).toFixed(1);
    parts.push(
      `<text x="${labelW - 4}" y="${(top + i * cell + cell / 2).toFixed(1)}" dy="0.32em" text-anchor="end" font-size="${fontSize}" fill="#1f2933">${short}</text>`,
      `<text transform="translate(${c} ${top - 4}) rotate(-60)" font-size="${fontSize}" fill="#1f2933">${short}</text>`,
    );
  });
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = spec.values[i * k + j] as number;
      const shown = Number.isFinite(v) ? v.toFixed(2) : 'n/a';
      parts.push(
        `<rect x="${labelW + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${heatColor(v / max, spec.scale)}" stroke="#fff" stroke-width="0.5"><title>${escapeXml(`${spec.labels[i]} × ${spec.labels[j]}: ${shown}`)}</title></rect>`,
      );
    }
  }
  // The colour key: five swatches across the scale.
  const keyY = top + gridW + 14;
  const stops = spec.scale === 'diverging' ? [-1, -0.5, 0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1];
  stops.forEach((t, i) => {
    const x = labelW + i * 48;
    parts.push(
      `<rect x="${x}" y="${keyY}" width="16" height="12" fill="${heatColor(t, spec.scale)}" stroke="#c5ccd3"/>`,
      `<text x="${x + 20}" y="${keyY + 6}" dy="0.32em" font-size="10.5" fill="#52606d">${(t * max).toFixed(2)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
