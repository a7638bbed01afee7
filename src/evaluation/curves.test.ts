import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { calibrationCurve, ks, ksCurve, prCurve, rocCurve, scoreHistogram } from './index.js';
import { binaryFixture } from './test-fixtures.js';

const closeAll = (actual: ArrayLike<number>, expected: number[], tol = 1e-12): void => {
  assert.equal(actual.length, expected.length, `length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs((actual[i] as number) - (expected[i] as number)) <= tol,
      `[${i}]: ${actual[i]} ≠ ${expected[i]}`,
    );
  }
};

const { y, score } = binaryFixture();

// fpr, tpr, th = roc_curve(y, s, drop_intermediate=False)    (y, s = fixture(200))
const ROC_FPR = [
  0.0, 0.0, 0.0, 0.0, 0.0, 0.06428571428571428, 0.12857142857142856, 0.18571428571428572, 0.2357142857142857, 0.3,
  0.35714285714285715, 0.4142857142857143, 0.4785714285714286, 0.5357142857142857, 0.6071428571428571,
  0.6714285714285714, 0.7357142857142858, 0.8, 0.8714285714285714, 0.9285714285714286, 1.0,
];
const ROC_TPR = [
  0.0, 0.03333333333333333, 0.08333333333333333, 0.13333333333333333, 0.21666666666666667, 0.2833333333333333,
  0.36666666666666664, 0.45, 0.5, 0.5833333333333334, 0.6333333333333333, 0.7, 0.75, 0.8166666666666667,
  0.8666666666666667, 0.9333333333333333, 1.0, 1.0, 1.0, 1.0, 1.0,
];

test('rocCurve matches roc_curve point for point and runs from (0,0) to (1,1)', () => {
  const roc = rocCurve(y, score);
  closeAll(roc.fpr, ROC_FPR);
  closeAll(roc.tpr, ROC_TPR);
  assert.equal(roc.thresholds[0], Number.POSITIVE_INFINITY);
  assert.equal(roc.thresholds[1], Math.fround(0.95));
  assert.equal(roc.auc, 0.7275);
});

test('prCurve matches precision_recall_curve (reversed to decreasing thresholds)', () => {
  // prec, rec, th = precision_recall_curve(y, s); prec[::-1], rec[::-1]
  const pr = prCurve(y, score);
  closeAll(
    pr.precision,
    [
      1.0, 1.0, 1.0, 1.0, 1.0, 0.6538461538461539, 0.55, 0.5094339622641509, 0.47619047619047616, 0.45454545454545453,
      0.4318181818181818, 0.42, 0.4017857142857143, 0.3951612903225806, 0.3795620437956204, 0.37333333333333335,
      0.36809815950920244, 0.3488372093023256, 0.32967032967032966, 0.3157894736842105, 0.3,
    ],
  );
  closeAll(pr.recall, ROC_TPR);
  assert.equal(pr.baseRate, 0.3);
  assert.ok(Math.abs(pr.ap - 0.574662034672718) < 1e-12);
});

test('ksCurve gives the two class CDFs from 0 to 1 and marks the gap equal to ks()', () => {
  const c = ksCurve(y, score);
  assert.equal(c.cdfPositive[0], 0);
  assert.equal(c.cdfNegative[0], 0);
  assert.equal(c.cdfPositive.at(-1), 1);
  assert.equal(c.cdfNegative.at(-1), 1);
  for (let i = 1; i < c.score.length; i++) {
    assert.ok((c.score[i] as number) > (c.score[i - 1] as number) || i === 1);
    assert.ok((c.cdfPositive[i] as number) >= (c.cdfPositive[i - 1] as number));
  }
  // ks_2samp(s[y == 1], s[y == 0]).statistic -> 0.2857142857142857
  assert.ok(Math.abs(c.ks - 0.2857142857142857) < 1e-12);
  assert.equal(c.ks, ks(y, score));
  assert.ok(Math.abs(Math.abs(c.ksCdfNegative - c.ksCdfPositive) - c.ks) < 1e-15);
  // Negatives score lower, so their CDF is the one ahead at the gap.
  assert.ok(c.ksCdfNegative > c.ksCdfPositive);
  const i = c.score.indexOf(c.ksScore);
  assert.ok(i > 0, 'the KS point is kept on the curve');
});

test('curves of a million-row-like input are thinned to ≤ maxPoints exact points', () => {
  const n = 200_000;
  const yy = new Float32Array(n);
  const ss = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    yy[i] = (i * 2654435761) % 4294967296 < 429496729 ? 1 : 0; // ~10 % positives
    ss[i] = (((i * 69069 + 1) % 65536) / 65536) * 0.7 + 0.3 * (yy[i] as number);
  }
  const full = rocCurve(yy, ss, n + 2);
  const roc = rocCurve(yy, ss);
  assert.ok(roc.fpr.length <= 200, `${roc.fpr.length} points`);
  assert.deepEqual([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)], [0, 0, 1, 1]);
  // Every kept point is a point of the full curve, at its own threshold.
  const byThreshold = new Map<number, [number, number]>();
  for (let i = 0; i < full.fpr.length; i++) {
    byThreshold.set(full.thresholds[i] as number, [full.fpr[i] as number, full.tpr[i] as number]);
  }
  for (let i = 0; i < roc.fpr.length; i++) {
    assert.deepEqual(byThreshold.get(roc.thresholds[i] as number), [roc.fpr[i], roc.tpr[i]]);
  }
  assert.equal(roc.auc, full.auc);
  const pr = prCurve(yy, ss, 50);
  assert.ok(pr.recall.length <= 50);
  assert.deepEqual([pr.recall[0], pr.precision[0], pr.recall.at(-1)], [0, 1, 1]);
  const kc = ksCurve(yy, ss, 60);
  assert.ok(kc.score.length <= 60);
  assert.ok(kc.score.includes(kc.ksScore));
  assert.equal(kc.ks, ks(yy, ss));
  assert.throws(
    () => rocCurve(yy, ss, 2),
    (e: unknown) => e instanceof ConfigError && e.code === 'invalid_max_points',
  );
});

test('calibrationCurve matches sklearn calibration_curve for both strategies', () => {
  // prob_true, prob_pred = calibration_curve(y, s, n_bins=NB, strategy=ST)
  const cases: [number, 'uniform' | 'quantile', number[], number[]][] = [
    [
      5,
      'uniform',
      [0.0, 0.29411764705882354, 0.30612244897959184, 0.34, 1.0],
      [0.07432432633799475, 0.27352941416057885, 0.47755102235443736, 0.6799999952316285, 0.8576923104432913],
    ],
    [
      10,
      'uniform',
      [
        0.0, 0.0, 0.3076923076923077, 0.28, 0.2857142857142857, 0.35714285714285715, 0.35135135135135137,
        0.3076923076923077, 1.0, 1.0,
      ],
      [
        0.022222222553359136, 0.12368421413396534, 0.22500000149011612, 0.3240000033378601, 0.44857142652784077,
        0.550000011920929, 0.6554053989616601, 0.75, 0.840909096327695, 0.949999988079071,
      ],
    ],
    [
      5,
      'quantile',
      [0.08, 0.2894736842105263, 0.2857142857142857, 0.35135135135135137, 0.55],
      [0.1070000022649765, 0.2986842127222764, 0.44857142652784077, 0.5986486512261469, 0.7674999967217445],
    ],
    [
      10,
      'quantile',
      [
        0.0, 0.18181818181818182, 0.3076923076923077, 0.28, 0.25, 0.30434782608695654, 0.3333333333333333,
        0.38461538461538464, 0.3333333333333333, 1.0,
      ],
      [
        0.05000000074505806, 0.1795454587448727, 0.25, 0.3240000033378601, 0.4000000059604645, 0.47391303725864575,
        0.570833350221316, 0.6499999761581421, 0.7240740678928517, 0.8576923104432913,
      ],
    ],
  ];
  for (const [nBins, strategy, observed, predicted] of cases) {
    const c = calibrationCurve(y, score, nBins, strategy);
    closeAll(c.observedRate, observed);
    closeAll(c.meanPredicted, predicted);
    assert.equal(
      c.counts.reduce((a, b) => a + b, 0),
      200,
    );
    assert.equal(c.edges.length, nBins + 1);
  }
  assert.throws(
    () => calibrationCurve(y, score, 0),
    (e: unknown) => e instanceof ConfigError && e.code === 'invalid_bins',
  );
});

test('scoreHistogram matches numpy histograms per class over shared edges', () => {
  // edges = np.histogram_bin_edges(s, bins=8)
  // np.histogram(s[y == 1], bins=edges)[0], np.histogram(s[y == 0], bins=edges)[0]
  const h = scoreHistogram(y, score, 8);
  closeAll(
    h.edges,
    [
      0.0, 0.11874999850988388, 0.23749999701976776, 0.35624999552965164, 0.4749999940395355, 0.5937499925494194,
      0.7124999910593033, 0.8312499895691872, 0.949999988079071,
    ],
  );
  assert.deepEqual(Array.from(h.positives), [0, 4, 11, 7, 8, 13, 9, 8]);
  assert.deepEqual(Array.from(h.negatives), [28, 18, 27, 17, 17, 24, 9, 0]);
  // One class is fine for a histogram.
  const single = scoreHistogram(new Float32Array(3), Float32Array.from([0.2, 0.2, 0.2]), 2);
  assert.deepEqual(Array.from(single.negatives), [0, 3]);
});
