/**
 * Area under the ROC curve by ranks (ties share their mean rank), for early stopping and blend
 * selection inside the models. The evaluation module owns the user-facing metric; this private
 * copy keeps models free of that dependency. Returns NaN when one class is absent.
 */
export function rankAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = Float64Array.from({ length: n }, (_, i) => score[i] as number);
  order.sort((a, b) => (s[a] as number) - (s[b] as number));
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && s[order[j + 1] as number] === s[order[i] as number]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k] as number] === 1) {
        rankSumPos += meanRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Macro one-vs-rest AUC over the columns of an n × k probability matrix (classes absent from y are skipped). */
export function macroAuc(y: ArrayLike<number>, proba: Float32Array, k: number): number {
  let sum = 0;
  let count = 0;
  const n = y.length;
  const yk = new Uint8Array(n);
  const sk = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      yk[i] = y[i] === c ? 1 : 0;
      sk[i] = proba[i * k + c] as number;
    }
    const a = rankAuc(yk, sk);
    if (!Number.isNaN(a)) {
      sum += a;
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}
