#!/usr/bin/env bash
# `vigil predict` throughput and peak memory on one million rows.
# Trains an mlp on 20,000 synthetic applications, then scores 1,000,000 others (same generator,
# another seed) under /usr/bin/time, which reports the process's peak resident memory.
# Run from the repository root: bash bench/predict-million.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tmp/bench
node --import tsx bench/write-credit-csv.ts --rows 20000 --seed 1 --out .tmp/bench/train-20k.csv >/dev/null
[ -s .tmp/bench/credit-1m.csv ] || node --import tsx bench/write-credit-csv.ts --rows 1000000 --seed 42 --out .tmp/bench/credit-1m.csv
npx vigil train --data .tmp/bench/train-20k.csv --target default_12m --model mlp --seed 1 --out .tmp/bench/model-20k --json >/dev/null
rows=$(($(wc -l < .tmp/bench/credit-1m.csv) - 1))
/usr/bin/time -f '%e %M' -o .tmp/bench/predict.time \
  npx vigil predict --model .tmp/bench/model-20k --data .tmp/bench/credit-1m.csv --out .tmp/bench/scores-1m.csv
read -r seconds peak_kb < .tmp/bench/predict.time
scored=$(($(wc -l < .tmp/bench/scores-1m.csv) - 1))
node -e "console.log(JSON.stringify({rows: $rows, scored: $scored, wallSeconds: $seconds, rowsPerSec: Math.round($rows / $seconds), peakRssMiB: Math.round($peak_kb / 1024)}))"
