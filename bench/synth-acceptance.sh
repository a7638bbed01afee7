#!/usr/bin/env bash
# Issue 6's acceptance, through the CLI a user runs: each synthesizer fitted on Taiwan's training
# part (`_is_test` false, `id` and the split flag dropped), as many rows sampled, and
# `vigil synth report` against the real training part with the test part as holdout (TSTR/TRTR
# and DCR on rows no synthesizer saw); then the same on German credit's training part (743 rows),
# with the check that every category of the real data occurs in the sample. Prints JSON lines.
# Run from the repository root: bash bench/synth-acceptance.sh [tvae ctgan gaussian-copula]
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${VIGIL_SHARED_DATA:-../shared/data}
out=.tmp/synth-acceptance
mkdir -p "$out"
# The training and test parts as files of their own (header kept, split flag as the last column).
split_file() { # file name
  awk -F, -v OFS=, -v keep=False 'NR == 1 { print; next } $NF == keep' "$1" > "$out/$2-train.csv"
  awk -F, -v OFS=, -v keep=True 'NR == 1 { print; next } $NF == keep' "$1" > "$out/$2-test.csv"
}
split_file "$shared/taiwan_credit.csv" taiwan
split_file "$shared/german_credit.csv" german
for m in ${@:-tvae ctgan gaussian-copula}; do
  {
    start=$(date +%s.%N)
    npx vigil synth fit --data "$out/taiwan-train.csv" --model "$m" --drop id,_is_test --seed 1 \
      --out "$out/taiwan-$m" --json > "$out/taiwan-$m-fit.json"
    fitted=$(date +%s.%N)
    npx vigil synth sample --model "$out/taiwan-$m" --rows 22471 --seed 1 --out "$out/taiwan-$m.csv" > /dev/null
    sampled=$(date +%s.%N)
    npx vigil synth report --real "$out/taiwan-train.csv" --synthetic "$out/taiwan-$m.csv" \
      --holdout "$out/taiwan-test.csv" --target target --exclude id,_is_test \
      --out "$out/taiwan-$m-report.html" --json > "$out/taiwan-$m-report.json"
    node -e "
      const r = require('./$out/taiwan-$m-report.json');
      console.log(JSON.stringify({ data: 'taiwan', model: '$m',
        fitSeconds: +($fitted - $start).toFixed(1), sampleSeconds: +($sampled - $fitted).toFixed(1),
        columnShapes: +r.columnShapes.score.toFixed(4), pairTrends: +r.pairTrends.score.toFixed(4),
        detectionAuc: +r.detectionAuc.toFixed(4), tstrAuc: +r.tstrAuc.toFixed(4), trtrAuc: +r.trtrAuc.toFixed(4),
        dcrRatio: +r.dcrRatio.toFixed(3), exactCopies: r.exactCopies }));"
  }
done
for m in ${@:-tvae ctgan gaussian-copula}; do
  npx vigil synth fit --data "$out/german-train.csv" --model "$m" --drop _is_test --seed 1 \
    --out "$out/german-$m" --json > /dev/null
  npx vigil synth sample --model "$out/german-$m" --rows 743 --seed 1 --out "$out/german-$m.csv" > /dev/null
  covered=$(node --import tsx bench/categories-covered.ts "$out/german-train.csv" "$out/german-$m.csv" \
    --exclude _is_test || true)
  npx vigil synth report --real "$out/german-train.csv" --synthetic "$out/german-$m.csv" \
    --holdout "$out/german-test.csv" --target target --exclude _is_test \
    --out "$out/german-$m-report.html" --json > "$out/german-$m-report.json"
  node -e "
    const r = require('./$out/german-$m-report.json'), c = $covered;
    console.log(JSON.stringify({ data: 'german', model: '$m', categoriesChecked: c.categoriesChecked,
      categoriesMissing: c.missing, columnShapes: +r.columnShapes.score.toFixed(4),
      pairTrends: +r.pairTrends.score.toFixed(4), detectionAuc: +r.detectionAuc.toFixed(4),
      tstrAuc: +r.tstrAuc.toFixed(4), trtrAuc: +r.trtrAuc.toFixed(4), dcrRatio: +r.dcrRatio.toFixed(3),
      exactCopies: r.exactCopies }));"
done
