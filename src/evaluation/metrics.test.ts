import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, DataError } from '../errors.js';
import {
  auc,
  averagePrecision,
  binaryMetrics,
  brier,
  confusionAt,
  confusionRates,
  gini,
  ks,
  logLoss,
} from './index.js';
import { binaryFixture } from './test-fixtures.js';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

const f32 = (values: number[]): Float32Array => Float32Array.from(values);

// Reference values from scikit-learn 1.2.1 / scipy 1.10.1 (Debian python3-sklearn, python3-scipy):
//   y, s = fixture(200)            # see binaryFixture in test-fixtures.ts
//   roc_auc_score(y, s)            -> 0.7275
//   average_precision_score(y, s)  -> 0.574662034672718
//   brier_score_loss(y, s)         -> 0.20198749959170834
//   log_loss(y, s, eps=1e-15)      -> 0.5711102884691444
//   ks_2samp(s[y == 1], s[y == 0]).statistic -> 0.2857142857142857
const { y, score } = binaryFixture();

test('auc matches roc_auc_score on 200 rows with ties', () => {
  close(auc(y, score), 0.7275);
});

test('auc averages over ties and is insensitive to row order', () => {
  // y = [0,0,1,1,0,1,0,1,1,0]; s = [.5,.5,.5,.2,.8,.8,.1,.9,.5,.2]
  // roc_auc_score(y, s) -> 0.68; average_precision_score -> 0.6730158730158731; ks_2samp -> 0.2
  const ys = f32([0, 0, 1, 1, 0, 1, 0, 1, 1, 0]);
  const s = f32([0.5, 0.5, 0.5, 0.2, 0.8, 0.8, 0.1, 0.9, 0.5, 0.2]);
  close(auc(ys, s), 0.68);
  close(averagePrecision(ys, s), 0.6730158730158731);
  close(ks(ys, s), 0.2);
  const order = [9, 3, 7, 0, 5, 1, 8, 2, 6, 4];
  close(auc(f32(order.map((i) => ys[i] as number)), f32(order.map((i) => s[i] as number))), 0.68);
  // All scores tied: the ROC is the diagonal.
  close(auc(ys, new Float32Array(10).fill(0.3)), 0.5);
});

test('auc equals the Mann–Whitney pair count (ties count ½) on random inputs', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 })), { minLength: 2, maxLength: 40 }),
      (rows) => {
        const labels = rows.map(([b]) => (b ? 1 : 0));
        if (!labels.includes(0) || !labels.includes(1)) return;
        const s = rows.map(([, v]) => v / 6);
        let wins = 0;
        let pairs = 0;
        for (let i = 0; i < rows.length; i++) {
          for (let j = 0; j < rows.length; j++) {
            if (labels[i] !== 1 || labels[j] !== 0) continue;
            pairs++;
            wins += (s[i] as number) > (s[j] as number) ? 1 : s[i] === s[j] ? 0.5 : 0;
          }
        }
        close(auc(f32(labels), Float64Array.from(s)), wins / pairs);
      },
    ),
    { seed: 7, numRuns: 300 },
  );
});

test('gini is 2·auc − 1', () => {
  close(gini(y, score), 2 * 0.7275 - 1);
});

test('ks matches scipy ks_2samp statistic', () => {
  close(ks(y, score), 0.2857142857142857);
});

test('averagePrecision matches average_precision_score', () => {
  close(averagePrecision(y, score), 0.574662034672718);
});

test('brier matches brier_score_loss', () => {
  close(brier(y, score), 0.20198749959170834);
});

test('logLoss matches log_loss and clips 0 and 1 to 1e-15', () => {
  close(logLoss(y, score), 0.5711102884691444);
  // log_loss([1, 0, 1], [0.0, 1.0, 0.75], eps=1e-15) -> 23.122011486567782
  close(logLoss(f32([1, 0, 1]), f32([0, 1, 0.75])), 23.122011486567782, 1e-9);
});

test('confusionAt and its rates match sklearn at threshold 0.5', () => {
  // pred = (s >= np.float32(0.5)).astype(int)
  // confusion_matrix(y, pred).ravel() -> tn 90, fp 50, fn 22, tp 38
  // precision 0.4318181818181818, recall 0.6333333333333333, f1 0.5135135135135135, accuracy 0.64
  const c = confusionAt(y, score, 0.5);
  assert.deepEqual(c, { tp: 38, fp: 50, tn: 90, fn: 22 });
  const r = confusionRates(c);
  close(r.precision, 0.4318181818181818);
  close(r.recall, 0.6333333333333333);
  close(r.f1, 0.5135135135135135);
  close(r.accuracy, 0.64);
  close(r.fpr, 50 / 140);
  close(r.specificity, 90 / 140);
  // Nothing flagged: precision is 0 like sklearn's zero_division default, not NaN.
  assert.equal(confusionRates(confusionAt(y, score, 2)).precision, 0);
  assert.throws(
    () => confusionAt(y, score, Number.NaN),
    (e: unknown) => e instanceof ConfigError && e.code === 'invalid_threshold',
  );
});

test('binaryMetrics gathers every metric from one call', () => {
  const m = binaryMetrics(y, score, { kind: 'fixed', threshold: 0.5 });
  close(m.auc, 0.7275);
  close(m.gini, 0.455);
  close(m.ks, 0.2857142857142857);
  close(m.ap, 0.574662034672718);
  close(m.brier, 0.20198749959170834);
  close(m.logLoss, 0.5711102884691444);
  assert.equal(m.threshold, 0.5);
  assert.deepEqual(m.thresholdPolicy, { kind: 'fixed', threshold: 0.5 });
  assert.deepEqual(m.confusion, { tp: 38, fp: 50, tn: 90, fn: 22 });
  close(m.precision, 0.4318181818181818);
  close(m.recall, 0.6333333333333333);
  close(m.f1, 0.5135135135135135);
  close(m.accuracy, 0.64);
  assert.deepEqual([m.positives, m.negatives, m.nRows], [60, 140, 200]);
  // Plain numbers only, so it serialises into a bundle's metrics as is.
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('a single class throws single_class rather than returning NaN', () => {
  const ones = new Float32Array(5).fill(1);
  const s = f32([0.1, 0.2, 0.3, 0.4, 0.5]);
  for (const fn of [auc, ks, gini, averagePrecision, logLoss, binaryMetrics]) {
    assert.throws(
      () => fn(ones, s),
      (e: unknown) => e instanceof DataError && e.code === 'single_class',
    );
  }
  // Brier is defined for one class: mean of (p − 1)².
  close(brier(ones, s), (0.81 + 0.64 + 0.49 + 0.36 + 0.25) / 5, 1e-7);
});

test('bad inputs throw typed errors with stable codes', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      if (e instanceof DataError) return e.code;
      throw e;
    }
    return 'none';
  };
  assert.equal(
    code(() => auc(f32([0, 1]), f32([0.1]))),
    'length_mismatch',
  );
  assert.equal(
    code(() => auc(f32([]), f32([]))),
    'empty_input',
  );
  assert.equal(
    code(() => auc(f32([0, 2]), f32([0.1, 0.2]))),
    'invalid_label',
  );
  assert.equal(
    code(() => auc(f32([0, 1]), f32([0.1, Number.NaN]))),
    'invalid_score',
  );
  assert.equal(
    code(() => brier(f32([0, 1]), f32([0.1, 1.2]))),
    'invalid_probability',
  );
  assert.equal(
    code(() => logLoss(f32([0, 1]), f32([-0.1, 0.5]))),
    'invalid_probability',
  );
  // Rank metrics accept any real scores (margins, log-odds), not only probabilities.
  close(auc(f32([0, 1, 0, 1]), f32([-3, 2, -1, 40])), 1);
});

test('a million rows: every binary metric in well under a few seconds', () => {
  const n = 1_000_000;
  const yy = new Float32Array(n);
  const ss = new Float32Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const u = state / 4294967296;
    yy[i] = u < 0.05 ? 1 : 0;
    // Three decimals: heavy ties, as a calibrated model's rounded PDs would have.
    ss[i] =
      Math.round(Math.min(1, Math.max(0, 0.3 * (yy[i] as number) + (0.7 * ((i * 7919) % 1000)) / 1000)) * 1000) / 1000;
  }
  const m = binaryMetrics(yy, ss, { kind: 'max-f1' });
  assert.ok(m.auc > 0.5 && m.auc < 1);
  assert.equal(m.nRows, n);
  assert.equal(m.confusion.tp + m.confusion.fn, m.positives);
});
