import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeXml, groupThousands, renderChart } from './svg-chart.js';

test('escapeXml escapes the five markup characters', () => {
  assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('groupThousands groups the integer part only', () => {
  assert.equal(groupThousands('1234567.891'), '1,234,567.891');
  assert.equal(groupThousands('-1234'), '-1,234');
  assert.equal(groupThousands('999'), '999');
});

test('a chart has ticks on nice values, labels, series and a legend, all escaped', () => {
  const svg = renderChart({
    title: 'ROC <b>',
    x: { label: 'FPR & co', min: 0, max: 1 },
    y: { label: 'TPR', min: 0, max: 1 },
    series: [
      { kind: 'line', name: 'model "A"', x: [0, 0.5, 1], y: [0, 0.8, 1], color: '#0072b2' },
      { kind: 'line', x: [0, 1], y: [0, 1], color: '#888', dashed: true },
    ],
  });
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.endsWith('</svg>'));
  assert.ok(!svg.includes('<b>'));
  assert.ok(svg.includes('ROC &lt;b&gt;'));
  assert.ok(svg.includes('FPR &amp; co'));
  assert.ok(svg.includes('model &quot;A&quot;'));
  for (const tick of ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']) assert.ok(svg.includes(`>${tick}</text>`), tick);
  assert.ok(svg.includes('stroke-dasharray'));
  // Only the named series is in the legend.
  assert.equal(svg.match(/<line x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#0072b2"/g)?.length, 1);
});

test('step series draw staircases; non-finite points break the line', () => {
  const base = { title: 't', x: { label: 'x', min: 0, max: 2 }, y: { label: 'y', min: 0, max: 1 } };
  const post = renderChart({
    ...base,
    series: [{ kind: 'line', step: 'post', x: [0, 1, 2], y: [0, 0.5, 1], color: 'red' }],
  });
  assert.match(post, /d="M[\d.]+ [\d.]+H[\d.]+V[\d.]+H[\d.]+V[\d.]+"/);
  const pre = renderChart({
    ...base,
    series: [{ kind: 'line', step: 'pre', x: [0, 1, 2], y: [0, 0.5, 1], color: 'red' }],
  });
  assert.match(pre, /d="M[\d.]+ [\d.]+V[\d.]+H[\d.]+V[\d.]+H[\d.]+"/);
  const gap = renderChart({
    ...base,
    series: [{ kind: 'line', x: [0, 1, Number.NaN, 2], y: [0, 1, 1, 0], color: 'red' }],
  });
  assert.equal(gap.match(/M/g)?.length, 2);
});

test('bars and points render, and a data-fitted axis covers the data on round ticks', () => {
  const svg = renderChart({
    title: 'hist',
    x: { label: 'score' },
    y: { label: 'rows' },
    series: [
      { kind: 'bars', name: 'bad', edges: [0, 1, 2, 3], heights: [5, 0, 12], color: '#d55e00' },
      { kind: 'points', name: 'rows', x: [0.5, 2.5], y: [3, 11], color: '#009e73' },
    ],
  });
  assert.equal(svg.match(/<rect x=/g)?.length, 2 + 1 + 1 + 1); // 2 bars (zero skipped), frame, legend box and swatch
  assert.equal(svg.match(/<circle /g)?.length, 2 + 1);
  assert.ok(svg.includes('>12</text>') || svg.includes('>14</text>'));
  assert.ok(svg.includes('>0</text>'));
});
