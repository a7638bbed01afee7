import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Column, type DictionaryColumn, findColumn, isDictionaryColumn, type Table } from '../data/table.js';
import { ConfigError } from '../errors.js';
import {
  CREDIT_APPLICATION_COLUMNS,
  type CreditApplications,
  generateCreditApplications,
  LOAN_TERMS_MONTHS,
  writeCreditApplicationsCsv,
} from './index.js';

const SEED = 20_240_101;

function column(table: Table, name: string): Column {
  const col = findColumn(table, name);
  assert.ok(col, `missing column ${name}`);
  return col;
}

function values(table: Table, name: string): Float64Array {
  const col = column(table, name);
  assert.ok(!isDictionaryColumn(col), `${name} is not numeric`);
  return col.values;
}

function labels(table: Table, name: string): (string | null)[] {
  const col = column(table, name) as DictionaryColumn;
  return Array.from(col.codes, (c) => (c < 0 ? null : (col.dictionary[c] as string)));
}

/** Default rate and count of the rows where `keep` is true. */
function rateWhere(data: CreditApplications, keep: (row: number) => boolean): { rate: number; n: number } {
  const y = values(data.table, 'default_12m');
  let n = 0;
  let defaults = 0;
  for (let i = 0; i < data.table.nRows; i++) {
    if (!keep(i)) continue;
    n++;
    defaults += y[i] as number;
  }
  return { rate: defaults / n, n };
}

const logit = (p: number): number => Math.log(p / (1 - p));

function quantile(x: Float64Array, q: number): number {
  const sorted = Float64Array.from(x).sort();
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** Rank AUC (ties are negligible for a continuous score). */
function auc(score: Float64Array, y: Float64Array): number {
  const order = Array.from(score.keys()).sort((a, b) => (score[a] as number) - (score[b] as number));
  let positives = 0;
  let rankSum = 0;
  order.forEach((row, rank) => {
    if (y[row] === 1) {
      positives++;
      rankSum += rank + 1;
    }
  });
  const negatives = y.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

describe('generateCreditApplications', () => {
  let small: CreditApplications;
  let large: CreditApplications;
  before(() => {
    small = generateCreditApplications({ rows: 20_000, seed: SEED });
    large = generateCreditApplications({ rows: 50_000, seed: SEED });
  });

  it('is deterministic for a seed and different across seeds', () => {
    const again = generateCreditApplications({ rows: 20_000, seed: SEED });
    const other = generateCreditApplications({ rows: 20_000, seed: SEED + 1 });
    assert.deepEqual(again.table, small.table);
    assert.deepEqual(again.pd, small.pd);
    assert.notDeepEqual(values(other.table, 'annual_income'), values(small.table, 'annual_income'));
    assert.notDeepEqual(values(other.table, 'default_12m'), values(small.table, 'default_12m'));
  });

  it('has the documented columns, row count, ids and date order', () => {
    assert.equal(small.table.nRows, 20_000);
    assert.deepEqual(
      small.table.columns.map((c) => [c.name, c.kind]),
      CREDIT_APPLICATION_COLUMNS.map((c) => [c.name, c.kind]),
    );
    const ids = labels(small.table, 'application_id');
    assert.equal(ids[0], 'APP-000001');
    assert.equal(ids[19_999], 'APP-020000');
    assert.equal(new Set(ids).size, 20_000);

    const dates = values(small.table, 'application_date');
    const first = Date.UTC(2024, 0, 1);
    const end = Date.UTC(2026, 0, 1);
    for (let i = 0; i < dates.length; i++) {
      const d = dates[i] as number;
      assert.ok(d >= first && d < end, `date out of window at row ${i}`);
      if (i > 0) assert.ok(d >= (dates[i - 1] as number), `dates not sorted at row ${i}`);
    }
    // Spread over the whole window, roughly evenly: every month gets 1/24 ± 25%.
    const perMonth = new Array<number>(24).fill(0);
    for (const d of dates) {
      const date = new Date(d);
      const month = (date.getUTCFullYear() - 2024) * 12 + date.getUTCMonth();
      perMonth[month] = (perMonth[month] as number) + 1;
    }
    for (const count of perMonth) assert.ok(Math.abs(count / 20_000 - 1 / 24) < 0.25 / 24, `month share ${count}`);
  });

  it('honours startDate and months', () => {
    const data = generateCreditApplications({ rows: 1_000, seed: 1, startDate: '2021-07-15', months: 6 });
    const dates = values(data.table, 'application_date');
    assert.equal(dates[0], Date.UTC(2021, 6, 15));
    assert.ok((dates[999] as number) < Date.UTC(2022, 0, 15));
    assert.ok((dates[999] as number) >= Date.UTC(2022, 0, 1));
  });

  it('has a default rate between 7% and 14%, matching the mean pd', () => {
    assert.ok(small.defaultRate >= 0.07 && small.defaultRate <= 0.14, `default rate ${small.defaultRate}`);
    assert.equal(small.defaults, Math.round(small.defaultRate * 20_000));
    const meanPd = small.pd.reduce((a, b) => a + b, 0) / small.pd.length;
    assert.ok(Math.abs(meanPd - small.defaultRate) < 0.01, `mean pd ${meanPd}`);
  });

  it('keeps every column in its documented range', () => {
    const t = small.table;
    const inRange = (name: string, lo: number, hi: number, integer = false) => {
      for (const v of values(t, name)) {
        if (Number.isNaN(v)) continue;
        assert.ok(v >= lo && v <= hi, `${name} = ${v} outside [${lo}, ${hi}]`);
        if (integer) assert.ok(Number.isInteger(v), `${name} = ${v} is not an integer`);
      }
    };
    inRange('age', 18, 80, true);
    inRange('annual_income', 6_000, 2_000_000, true);
    inRange('employment_years', 0, 62, true);
    inRange('loan_amount', 1_000, 60_000, true);
    inRange('interest_rate_pct', 2, 35);
    inRange('debt_to_income', 0, 0.65);
    inRange('revolving_utilization', 0, 1.2);
    inRange('credit_history_years', 0, 62);
    inRange('open_accounts', 1, 30, true);
    inRange('delinquencies_2y', 0, 15, true);
    inRange('inquiries_6m', 0, 20, true);
    inRange('months_since_last_delinquency', 0, 120, true);
    inRange('default_12m', 0, 1, true);
    inRange('_is_test', 0, 1, true);
    assert.deepEqual(new Set(values(t, 'loan_term_months')), new Set(LOAN_TERMS_MONTHS));
    // Utilization above the limit exists but is rare.
    const overLimit = values(t, 'revolving_utilization').filter((u) => u > 1).length / t.nRows;
    assert.ok(overLimit > 0.005 && overLimit < 0.05, `over-limit share ${overLimit}`);

    const age = values(t, 'age');
    const history = values(t, 'credit_history_years');
    const amount = values(t, 'loan_amount');
    const rate = values(t, 'interest_rate_pct');
    const term = values(t, 'loan_term_months');
    const payment = values(t, 'monthly_payment');
    const income = values(t, 'annual_income');
    const pti = values(t, 'payment_to_income');
    for (let i = 0; i < t.nRows; i++) {
      assert.ok((history[i] as number) <= (age[i] as number) - 18 + 1e-9, `history longer than adult life at ${i}`);
      const r = (rate[i] as number) / 1200;
      const n = term[i] as number;
      const annuity = ((amount[i] as number) * r) / (1 - (1 + r) ** -n);
      assert.ok(Math.abs(annuity - (payment[i] as number)) <= 0.005 + 1e-9, `annuity mismatch at ${i}`);
      assert.ok(Math.abs((pti[i] as number) - (payment[i] as number) / ((income[i] as number) / 12)) <= 5e-5 + 1e-12);
    }
  });

  it('leaves values missing only where designed', () => {
    const t = small.table;
    for (const col of t.columns) {
      if (col.name === 'employment_years' || col.name === 'months_since_last_delinquency') continue;
      const missing = isDictionaryColumn(col) ? col.codes.some((c) => c < 0) : col.values.some(Number.isNaN);
      assert.equal(missing, false, `${col.name} has missing values`);
    }

    const status = labels(t, 'employment_status');
    const years = values(t, 'employment_years');
    let withJob = 0;
    let missingWithJob = 0;
    for (let i = 0; i < t.nRows; i++) {
      if (status[i] === 'unemployed' || status[i] === 'student') {
        assert.ok(Number.isNaN(years[i] as number), `employment_years present for ${status[i]} at ${i}`);
      } else {
        withJob++;
        if (Number.isNaN(years[i] as number)) missingWithJob++;
      }
    }
    // A little random missingness on top (2% by design).
    assert.ok(missingWithJob / withJob > 0.01 && missingWithJob / withJob < 0.03, `random missing ${missingWithJob}`);

    // months_since_last_delinquency: present whenever there was a recent delinquency; missing
    // (never delinquent) for most applicants; old delinquencies are 24+ months ago.
    const delinquencies = values(t, 'delinquencies_2y');
    const since = values(t, 'months_since_last_delinquency');
    let missing = 0;
    for (let i = 0; i < t.nRows; i++) {
      const s = since[i] as number;
      if (Number.isNaN(s)) missing++;
      if ((delinquencies[i] as number) > 0) assert.ok(s < 24, `recent delinquency without recency at ${i}`);
      else assert.ok(Number.isNaN(s) || s >= 24, `old delinquency too recent at ${i}`);
    }
    assert.ok(missing / t.nRows > 0.6 && missing / t.nRows < 0.8, `never-delinquent share ${missing / t.nRows}`);
    // The missingness is informative: never-delinquent applicants default less.
    const never = rateWhere(small, (i) => Number.isNaN(since[i] as number)).rate;
    const ever = rateWhere(small, (i) => !Number.isNaN(since[i] as number)).rate;
    assert.ok(ever > never * 1.5, `ever ${ever} vs never ${never}`);
  });

  it('flags about a quarter of rows as test, independently of date', () => {
    const isTest = values(large.table, '_is_test');
    const share = (from: number, to: number) => isTest.subarray(from, to).reduce((a, b) => a + b, 0) / (to - from);
    assert.ok(Math.abs(share(0, 50_000) - 0.25) < 0.01);
    assert.ok(Math.abs(share(0, 25_000) - share(25_000, 50_000)) < 0.015);
  });

  it('has a rare region', () => {
    const region = labels(small.table, 'region');
    const counts = new Map<string, number>();
    for (const r of region) counts.set(r as string, (counts.get(r as string) ?? 0) + 1);
    assert.equal(counts.size, 10);
    const islands = counts.get('islands') ?? 0;
    assert.ok(islands >= 40 && islands <= 200, `islands rows ${islands}`);
    for (const [name, n] of counts) if (name !== 'islands') assert.ok(n > 1_000, `${name} rows ${n}`);
  });

  it('makes DTI and utilization monotone risk drivers', () => {
    const dti = values(small.table, 'debt_to_income');
    const low = quantile(dti, 0.2);
    const high = quantile(dti, 0.8);
    const bottom = rateWhere(small, (i) => (dti[i] as number) < low).rate;
    const top = rateWhere(small, (i) => (dti[i] as number) >= high).rate;
    assert.ok(top > 2 * bottom && top - bottom > 0.06, `DTI top ${top} vs bottom ${bottom}`);

    const util = values(small.table, 'revolving_utilization');
    const maxed = rateWhere(small, (i) => (util[i] as number) > 0.9).rate;
    const light = rateWhere(small, (i) => (util[i] as number) < 0.3).rate;
    assert.ok(maxed > 3 * light, `utilization > 0.9 ${maxed} vs < 0.3 ${light}`);
  });

  it('prices risk into the interest rate', () => {
    const rate = values(small.table, 'interest_rate_pct');
    const t1 = quantile(rate, 1 / 3);
    const t2 = quantile(rate, 2 / 3);
    const cheap = rateWhere(small, (i) => (rate[i] as number) < t1).rate;
    const mid = rateWhere(small, (i) => (rate[i] as number) >= t1 && (rate[i] as number) < t2).rate;
    const dear = rateWhere(small, (i) => (rate[i] as number) >= t2).rate;
    assert.ok(cheap < mid && mid < dear && dear > 3 * cheap, `${cheap} < ${mid} < ${dear}`);
  });

  it('has effects a logistic regression on raw columns cannot represent', () => {
    // U-shaped age: young and old both riskier than middle age (a linear term is monotone).
    const age = values(large.table, 'age');
    const young = rateWhere(large, (i) => (age[i] as number) < 25).rate;
    const middle = rateWhere(large, (i) => (age[i] as number) >= 40 && (age[i] as number) < 55).rate;
    const old = rateWhere(large, (i) => (age[i] as number) >= 70).rate;
    assert.ok(young > 1.8 * middle, `young ${young} vs middle ${middle}`);
    assert.ok(old > 1.3 * middle, `old ${old} vs middle ${middle}`);

    // Utilization cliff at 0.8: the log-odds step across it is much bigger than the same-sized
    // step just below it.
    const util = values(large.table, 'revolving_utilization');
    const band = (lo: number, hi: number) =>
      rateWhere(large, (i) => (util[i] as number) >= lo && (util[i] as number) < hi).rate;
    const below = logit(band(0.7, 0.78)) - logit(band(0.58, 0.66));
    const across = logit(band(0.82, 0.9)) - logit(band(0.7, 0.78));
    assert.ok(across > 2 * below && across > 0.6, `cliff step ${across} vs ${below}`);

    // DTI × short tenure: short tenure matters far more at high DTI, even on the log-odds scale
    // where an additive model would give the same gap everywhere.
    const dti = values(large.table, 'debt_to_income');
    const years = values(large.table, 'employment_years');
    const lowDti = quantile(dti, 0.2);
    const highDti = quantile(dti, 0.8);
    const gap = (inBand: (d: number) => boolean) =>
      logit(rateWhere(large, (i) => inBand(dti[i] as number) && (years[i] as number) < 1).rate) -
      logit(rateWhere(large, (i) => inBand(dti[i] as number) && (years[i] as number) >= 5).rate);
    const gapHigh = gap((d) => d >= highDti);
    const gapLow = gap((d) => d < lowDti);
    assert.ok(gapHigh > gapLow + 0.4, `tenure gap at high DTI ${gapHigh} vs low DTI ${gapLow}`);
  });

  it('drifts upward over time so out-of-time tests are meaningful', () => {
    const dates = values(large.table, 'application_date');
    const firstHalfYear = Date.UTC(2024, 6, 1);
    const lastHalfYear = Date.UTC(2025, 6, 1);
    const early = rateWhere(large, (i) => (dates[i] as number) < firstHalfYear).rate;
    const late = rateWhere(large, (i) => (dates[i] as number) >= lastHalfYear).rate;
    assert.ok(late - early > 0.01 && late / early < 1.6, `early ${early} vs late ${late}`);
  });

  it('leaves a realistic ceiling on model quality', () => {
    // The true pd knows the hidden factors, so its AUC bounds every model from above.
    const oracle = auc(large.pd, values(large.table, 'default_12m'));
    assert.ok(oracle > 0.8 && oracle < 0.92, `oracle AUC ${oracle}`);
  });

  it('reports every bad option at once as a ConfigError', () => {
    assert.throws(
      () => generateCreditApplications({ rows: 0, seed: -1, startDate: '2024-02-30', months: 0 }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, 'invalid_simulation_options');
        assert.deepEqual(
          error.issues.map((i) => i.code),
          ['invalid_rows', 'invalid_seed', 'invalid_months', 'invalid_start_date'],
        );
        return true;
      },
    );
    assert.throws(() => generateCreditApplications({ rows: 1.5, seed: 1 }), ConfigError);
  });
});

describe('writeCreditApplicationsCsv', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-sim-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams 200k rows with a header and one line per row', async () => {
    const path = join(dir, 'big.csv');
    const summary = await writeCreditApplicationsCsv(path, { rows: 200_000, seed: SEED });
    assert.equal(summary.rows, 200_000);
    assert.equal(summary.defaultRate, summary.defaults / 200_000);
    assert.ok(summary.defaultRate > 0.07 && summary.defaultRate < 0.14);

    const text = await readFile(path, 'latin1');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'file ends with a newline');
    assert.equal(lines.length, 200_001);
    assert.equal(lines[0], CREDIT_APPLICATION_COLUMNS.map((c) => c.name).join(','));
    assert.match(lines[1] as string, /^APP-000001,2024-01-01,/);
    assert.match(lines[200_000] as string, /^APP-200000,2025-12-3\d,/);
    let defaults = 0;
    for (let i = 1; i < lines.length; i++) {
      const cells = (lines[i] as string).split(',');
      assert.equal(cells.length, 26, `line ${i + 1}`);
      defaults += Number(cells[24]);
    }
    assert.equal(defaults, summary.defaults);
  });

  it('writes exactly the in-memory values', async () => {
    const options = { rows: 5_000, seed: 99, startDate: '2023-03-01', months: 12 };
    const path = join(dir, 'same.csv');
    await writeCreditApplicationsCsv(path, options);
    const { table } = generateCreditApplications(options);
    const lines = (await readFile(path, 'latin1')).trimEnd().split('\n').slice(1);
    assert.equal(lines.length, table.nRows);
    lines.forEach((line, row) => {
      const cells = line.split(',');
      table.columns.forEach((col, c) => {
        const cell = cells[c] as string;
        if (isDictionaryColumn(col)) assert.equal(cell, col.dictionary[col.codes[row] as number]);
        else if (col.kind === 'datetime')
          assert.equal(cell, new Date(col.values[row] as number).toISOString().slice(0, 10));
        else if (col.name === 'has_cosigner') assert.equal(cell, col.values[row] === 1 ? 'yes' : 'no');
        else if (col.kind === 'boolean') assert.equal(cell, col.values[row] === 1 ? 'true' : 'false');
        else {
          const v = col.values[row] as number;
          // Empty cell for missing; otherwise the text parses back to the identical double.
          assert.equal(cell, Number.isNaN(v) ? '' : String(v), `${col.name} at row ${row}`);
        }
      });
    });
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const digest = async (seed: number, name: string) => {
      const path = join(dir, name);
      await writeCreditApplicationsCsv(path, { rows: 30_000, seed });
      return createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    };
    const a = await digest(5, 'a.csv');
    const b = await digest(5, 'b.csv');
    const c = await digest(6, 'c.csv');
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('rejects bad options before touching the file', async () => {
    const path = join(dir, 'never.csv');
    await assert.rejects(writeCreditApplicationsCsv(path, { rows: -5, seed: 1 }), ConfigError);
    await assert.rejects(readFile(path), { code: 'ENOENT' });
  });
});
