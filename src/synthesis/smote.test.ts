import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from '../data/table.js';
import { DataError } from '../errors.js';
import { Random } from '../random.js';
import { minorityNeighbours, smote } from './smote.js';

/** 400 rows: the minority (label 1, rows 0..59) in two clusters, each with its own city; income partly missing. */
function data(): { table: Table; minority: Int32Array } {
  const rng = new Random(3);
  const n = 400;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const income = new Float64Array(n);
  const city = new Int32Array(n);
  const label = new Float64Array(n);
  const id = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const minority = i < 60;
    const cluster = i % 2;
    x[i] = minority ? (cluster ? 10 : -10) + rng.normal() : rng.normal() * 3;
    y[i] = minority ? (cluster ? 5 : -5) + rng.normal() : rng.normal() * 3;
    income[i] = rng.next() < 0.3 ? Number.NaN : Math.round(1000 + 100 * rng.normal());
    city[i] = minority ? cluster : 2 + rng.int(2);
    label[i] = minority ? 1 : 0;
    id[i] = i;
  }
  return {
    table: {
      nRows: n,
      columns: [
        { name: 'id', kind: 'identifier', codes: id, dictionary: Array.from({ length: n }, (_, i) => `c${i}`) },
        { name: 'x', kind: 'numeric', values: x },
        { name: 'y', kind: 'numeric', values: y },
        { name: 'income', kind: 'numeric', values: income },
        { name: 'city', kind: 'categorical', codes: city, dictionary: ['north', 'south', 'east', 'west'] },
        { name: 'label', kind: 'numeric', values: label },
      ],
    },
    minority: Int32Array.from({ length: 60 }, (_, i) => i),
  };
}

function col(table: Table, name: string) {
  const c = table.columns.find((cc) => cc.name === name);
  assert.ok(c);
  return c;
}

test('each new row lies between a minority row and one of its k nearest minority neighbours', () => {
  const { table, minority } = data();
  const k = 5;
  const out = smote(table, minority, 300, { k, seed: 1 });
  assert.equal(out.nRows, 300);
  assert.deepEqual(
    out.columns.map((c) => c.name),
    table.columns.map((c) => c.name),
  );
  const neighbours = minorityNeighbours(table, minority, k);
  const xs = (col(table, 'x') as { values: Float64Array }).values;
  const ys = (col(table, 'y') as { values: Float64Array }).values;
  const ox = (col(out, 'x') as { values: Float64Array }).values;
  const oy = (col(out, 'y') as { values: Float64Array }).values;
  const cities = (col(table, 'city') as { codes: Int32Array }).codes;
  const oc = (col(out, 'city') as { codes: Int32Array }).codes;
  for (let s = 0; s < out.nRows; s++) {
    let found = false;
    for (let i = 0; i < minority.length && !found; i++) {
      for (let q = 0; q < k && !found; q++) {
        const j = neighbours[i * k + q] as number;
        const dx = (xs[j] as number) - (xs[i] as number);
        const dy = (ys[j] as number) - (ys[i] as number);
        const g = Math.abs(dx) > 1e-12 ? ((ox[s] as number) - (xs[i] as number)) / dx : 0;
        const onSegment =
          g >= -1e-9 &&
          g <= 1 + 1e-9 &&
          Math.abs((xs[i] as number) + g * dx - (ox[s] as number)) < 1e-9 &&
          Math.abs((ys[i] as number) + g * dy - (oy[s] as number)) < 1e-9;
        // The category is the nearer endpoint's: one of the two rows'.
        if (onSegment && (oc[s] === cities[i] || oc[s] === cities[j])) found = true;
      }
    }
    assert.ok(found, `row ${s} (${ox[s]}, ${oy[s]}) is not between a minority row and a neighbour`);
  }
  // Clusters stay apart (neighbours are found within a cluster), so cities stay those of the minority.
  assert.ok(Array.from(oc).every((c) => c === 0 || c === 1));
  assert.ok(Array.from(ox).every((v) => Math.abs(Math.abs(v) - 10) < 5));
  const label = (col(out, 'label') as { values: Float64Array }).values;
  assert.ok(label.every((v) => v === 1));
  assert.ok(
    (col(out, 'id') as { codes: Int32Array }).codes.every((c) => c === -1),
    'synthetic rows have no id',
  );
});

test('missing values carry over, whole-number columns stay whole, and the seed fixes the rows', () => {
  const { table, minority } = data();
  const out = smote(table, minority, 2000, { seed: 7 });
  const income = (col(out, 'income') as { values: Float64Array }).values;
  const realIncome = (col(table, 'income') as { values: Float64Array }).values.subarray(0, 60);
  const share = (v: Float64Array) => v.filter(Number.isNaN).length / v.length;
  // A new value is missing when the nearer endpoint's is: about the minority's share.
  assert.ok(Math.abs(share(income) - share(realIncome)) < 0.08, `${share(income)} vs ${share(realIncome)}`);
  assert.ok(income.every((v) => Number.isNaN(v) || Number.isInteger(v)));
  const again = smote(table, minority, 2000, { seed: 7 });
  assert.deepEqual(again, out);
  assert.notDeepEqual(smote(table, minority, 2000, { seed: 8 }), out);
  assert.throws(() => smote(table, Int32Array.of(3), 5, { seed: 1 }), DataError);
});
