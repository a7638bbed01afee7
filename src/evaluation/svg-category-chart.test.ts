import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderCategoryBars, renderHeatmap } from './svg-category-chart.js';

test('category bars: one bar per category and series, widths proportional, labels escaped and clipped', () => {
  const svg = renderCategoryBars({
    title: 'purpose <real & synthetic>',
    categories: ['car', 'a category name far longer than twenty-eight characters'],
    series: [
      { name: 'real', color: '#0072b2', values: [0.5, 0.25] },
      { name: 'synthetic', color: '#d55e00', values: [0.25, Number.NaN] },
    ],
    min: 0,
    max: 1,
    width: 560,
  });
  assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
  assert.ok(svg.includes('purpose &lt;real &amp; synthetic&gt;'));
  // Three finite values → three bars (the NaN is skipped), each with its exact value in a tooltip.
  const bars = [
    ...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="8" fill="([^"]+)"><title>([^<]+)<\/title>/g),
  ];
  assert.equal(bars.length, 3);
  const [a, b, c] = bars.map((m) => Number(m[1]));
  assert.ok(a && b && c);
  assert.ok(Math.abs(a - 2 * b) < 0.2 && Math.abs(c - b) < 0.2, `widths ${a} ${b} ${c}`);
  assert.equal(bars[0]?.[3], 'car · real: 0.500');
  // The long label is clipped on screen and kept whole in its tooltip.
  assert.ok(svg.includes('>a category name far long…</text>'));
  assert.ok(svg.includes('<title>a category name far longer than twenty-eight characters</title>'));
});

test('category bars: a per-bar colour and the chart height grows with the categories', () => {
  const spec = (n: number) => ({
    title: 'scores',
    categories: Array.from({ length: n }, (_, i) => `c${i}`),
    series: [{ name: 'score', color: '#000', values: Array.from({ length: n }, (_, i) => i / n) }],
    colorOf: (v: number) => (v >= 0.5 ? 'green' : 'red'),
  });
  const small = renderCategoryBars(spec(2));
  const big = renderCategoryBars(spec(20));
  const height = (svg: string) => Number(/height="(\d+(\.\d+)?)"/.exec(svg)?.[1]);
  assert.ok(height(big) > height(small) * 3);
  assert.ok(big.includes('fill="green"') && big.includes('fill="red"'));
});

test('heatmap: k² cells coloured by value (NaN grey), labelled, with a key', () => {
  const svg = renderHeatmap({
    title: 'corr',
    labels: ['a', 'b<c'],
    values: [1, -1, Number.NaN, 0],
    scale: 'diverging',
  });
  const cells = [...svg.matchAll(/fill="(rgb\([^)]+\)|#d9dde2)" stroke="#fff"/g)].map((m) => m[1]);
  assert.deepEqual(cells, ['rgb(178,24,43)', 'rgb(33,102,172)', '#d9dde2', 'rgb(255,255,255)']);
  assert.ok(svg.includes('b&lt;c × a: n/a'));
  assert.ok(svg.includes('>-1.00<') && svg.includes('>1.00<'), 'colour key from −1 to 1');
  const sequential = renderHeatmap({ title: 'diff', labels: ['a'], values: [0.25], scale: 'sequential', max: 0.5 });
  // 0.25 of a 0.5 scale is the middle of white → purple.
  assert.ok(sequential.includes('fill="rgb(170,147,199)"'), sequential);
});
