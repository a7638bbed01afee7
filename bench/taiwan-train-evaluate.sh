#!/usr/bin/env bash
# Train + evaluate wall time on the Taiwan default data (split by _is_test), per model kind.
# Run from the repository root: bash bench/taiwan-train-evaluate.sh [mlp|ensemble|logistic ...]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${TAIWAN_CSV:-../shared/data/taiwan_credit.csv}
mkdir -p .tmp/bench
for model in "${@:-mlp}"; do
  /usr/bin/time -f '%e %M' -o .tmp/bench/train.time \
    npx vigil train --data "$data" --target target --split-column _is_test --model "$model" --seed 1 \
      --out ".tmp/bench/taiwan-$model" --json > ".tmp/bench/taiwan-$model.json"
  /usr/bin/time -f '%e %M' -o .tmp/bench/evaluate.time \
    npx vigil evaluate --model ".tmp/bench/taiwan-$model" --data "$data" --split-column _is_test \
      --report ".tmp/bench/taiwan-$model.html" --json > ".tmp/bench/taiwan-$model-eval.json"
  read -r train_s train_kb < .tmp/bench/train.time
  read -r eval_s eval_kb < .tmp/bench/evaluate.time
  node -e "
    const t = require('./.tmp/bench/taiwan-$model.json'), e = require('./.tmp/bench/taiwan-$model-eval.json');
    console.log(JSON.stringify({ model: '$model', trainSeconds: $train_s, evaluateSeconds: $eval_s,
      peakRssMiB: Math.round(Math.max($train_kb, $eval_kb) / 1024), epochs: t.epochs,
      testAuc: +e.metrics.auc.toFixed(4), testKs: +e.metrics.ks.toFixed(4) }));"
done
