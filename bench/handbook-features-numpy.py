#!/usr/bin/python3
"""The fraud handbook's 15 features, vectorised with numpy: the reference bench/feature-replay.ts
times Vigil's replay against (same machine, same file, parsing excluded on both sides).

Usage: /usr/bin/python3 bench/handbook-features-numpy.py FILE [ROUNDS]
Needs numpy and pandas (Debian: apt-get install -y python3-pandas). Prints one JSON object: the
seconds of each round and, per feature, the sum of its values, so the caller can check that both
computed the same features.

Per key the rows are sorted by (key, time); a window over (t - span, t] is then the rows
from the first with a later time than t - span up to the row itself, found with one searchsorted
over key * 2^40 + time, and counts and sums come from cumulative sums. The terminal windows end 7
days before the transaction: (t - 7d - w, t - 7d], as the handbook's delay-then-window difference.
"""
import json
import sys
import time

import numpy as np
import pandas as pd

DAY = 86_400


def window_stats(key, t, values, spans):
    """Per span: the count of the key's rows in (t - span, t] up to each row, and the sum of values there."""
    # The rows are in time order (as the replay requires too), so a stable sort by key alone gives
    # (key, time) order; numpy sorts 16-bit keys stably by radix, 20x faster than a lexsort here.
    order = np.argsort(key.astype(np.uint16) if 0 <= key.min() and key.max() < 65536 else key, kind='stable')
    composite = key[order].astype(np.int64) * (1 << 40) + t[order]
    position = np.arange(len(t))
    sums = np.concatenate(([0.0], np.cumsum(values[order])))
    out = {}
    for span in spans:
        start = np.searchsorted(composite, composite - span, side='right')
        count = np.empty(len(t))
        total = np.empty(len(t))
        count[order] = position - start + 1
        total[order] = sums[position + 1] - sums[start]
        out[span] = (count, total)
    return out


def features(t, customer, terminal, amount, fraud):
    f = {'TX_AMOUNT': amount}
    seconds_of_day = t % DAY
    f['TX_DURING_WEEKEND'] = (((t // DAY) + 3) % 7 >= 5).astype(np.float64)  # 1970-01-01 was a Thursday
    f['TX_DURING_NIGHT'] = (seconds_of_day // 3600 <= 6).astype(np.float64)
    c = window_stats(customer, t, amount, [d * DAY for d in (1, 7, 30)])
    for d in (1, 7, 30):
        count, total = c[d * DAY]
        f[f'CUSTOMER_ID_NB_TX_{d}DAY_WINDOW'] = count
        f[f'CUSTOMER_ID_AVG_AMOUNT_{d}DAY_WINDOW'] = total / count
    delay = 7 * DAY
    w = window_stats(terminal, t, fraud, [delay] + [delay + d * DAY for d in (1, 7, 30)])
    before_count, before_frauds = w[delay]
    for d in (1, 7, 30):
        count, frauds = w[delay + d * DAY]
        n = count - before_count
        f[f'TERMINAL_ID_NB_TX_{d}DAY_WINDOW'] = n
        with np.errstate(invalid='ignore', divide='ignore'):
            f[f'TERMINAL_ID_RISK_{d}DAY_WINDOW'] = np.where(n > 0, (frauds - before_frauds) / np.maximum(n, 1), 0.0)
    return f


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = pd.read_csv(path, usecols=['TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT', 'TX_FRAUD'])
    t = pd.to_datetime(df['TX_DATETIME']).values.astype('datetime64[s]').astype(np.int64)
    customer = df['CUSTOMER_ID'].to_numpy(np.int64)
    terminal = df['TERMINAL_ID'].to_numpy(np.int64)
    amount = df['TX_AMOUNT'].to_numpy(np.float64)
    fraud = df['TX_FRAUD'].to_numpy(np.float64)
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        f = features(t, customer, terminal, amount, fraud)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({
        'transactions': len(t),
        'seconds': [round(s, 3) for s in seconds],
        'sums': {name: float(np.sum(values)) for name, values in f.items()},
        'numpy': np.__version__,
        'pandas': pd.__version__,
    }))


main()
