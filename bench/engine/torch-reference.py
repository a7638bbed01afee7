"""PyTorch reference for the engine benchmark (bench/engine/run.ts starts it).

Trains and scores the models of shapes.json with PyTorch on ONE thread by default, the same
networks, batch sizes, losses and optimiser as the TypeScript engines, and prints one JSON object:

  {"torchVersion", "threads": {...}, "models": {name: {"trainRowsPerSec",
   "scoreMicrosPerRow1", "scoreMicrosPerRow1000", ...}}}

scoreMicrosPerRowN is microseconds per row when N rows are scored in one call (median call time / N).

  /usr/bin/python3 bench/engine/torch-reference.py --shapes bench/engine/shapes.json --seconds 5
"""

import argparse
import json
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--shapes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "shapes.json"))
parser.add_argument("--seconds", type=float, default=5.0, help="timed training per model")
parser.add_argument("--score-seconds", type=float, default=1.0, help="timed scoring per model and row count")
parser.add_argument("--only", default="", help="comma-separated model names (default: all)")
parser.add_argument("--threads", type=int, default=1, help="torch threads (the reference is single-threaded)")
args = parser.parse_args()

# The thread pools are sized when torch (and its OpenMP / BLAS) loads, so the environment must say
# how many threads before the import; set_num_threads alone leaves OpenBLAS or MKL pools as they were.
# Debian's torch calls OpenBLAS (pthread build), whose pool ignores torch.set_num_threads: imported
# before these are set, it keeps one thread per core (measured here: MLP training 4x slower on a busy host).
ENV_BEFORE_IMPORT = "torch" not in sys.modules
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

try:
    import torch
    from torch import nn
except ImportError as error:  # python3-torch not installed: run.ts reports null with this note
    print(json.dumps({"error": f"torch is not importable by {sys.executable}: {error}"}))
    sys.exit(3)

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(args.threads)

# As WARMUP in bench-model.ts: at least 3 untimed steps and 30 % of the timed seconds (at most 1.5 s);
# no JIT here, but the first calls allocate, and oneDNN picks its kernels.
WARMUP_STEPS, WARMUP_SHARE, WARMUP_MAX_SECONDS = 3, 0.3, 1.5


class Permute(nn.Module):
    """Swaps [N, steps, channels] and [N, channels, steps] where a layer wants the other layout."""

    def forward(self, x):
        return x.transpose(1, 2)


class Recurrent(nn.Module):
    """An LSTM returning the last hidden state, or every step's, like Keras' returnSequences."""

    def __init__(self, features, units, return_sequences):
        super().__init__()
        self.lstm = nn.LSTM(features, units, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x):
        out, (h, _) = self.lstm(x)
        return out if self.return_sequences else h[-1]


class Attention(nn.Module):
    """Vigil's attention layer (src/engine/attention-op.ts): q = h_T W, a = softmax over steps of H q,
    output [sum_t a_t h_t, h_T]."""

    def __init__(self, units):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(units, units))
        nn.init.xavier_uniform_(self.kernel)

    def forward(self, h):
        last = h[:, -1, :]
        weights = torch.softmax(torch.bmm(h, (last @ self.kernel).unsqueeze(2)), dim=1)
        return torch.cat([(weights * h).sum(dim=1), last], dim=1)


ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "selu": nn.SELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def build(spec):
    """A torch network from a Vigil NetworkSpec, and the layout of its input.

    Sequence inputs are fed in the layout PyTorch's first layer wants natively: [N, channels, steps]
    before a Conv1d, [N, steps, features] (batch_first) before an LSTM, as a PyTorch user would.
    """
    shape = list(spec["inputShape"])  # Keras terms: [features] or [steps, features]
    first = spec["layers"][0]["type"]
    channels_first = len(shape) == 2 and first in ("conv1d", "maxPool1d")
    layout = "channels_first" if channels_first else "channels_last"
    mods = []

    def want(target):
        nonlocal layout
        if len(shape) == 2 and layout != target:
            mods.append(Permute())
            layout = target

    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "dense":
            want("channels_last")
            mods.append(nn.Linear(shape[-1], layer["units"], bias=layer.get("useBias", True)))
            shape[-1] = layer["units"]
        elif kind == "conv1d":
            want("channels_first")
            mods.append(nn.Conv1d(shape[1], layer["filters"], layer["kernelSize"]))
            shape = [shape[0] - layer["kernelSize"] + 1, layer["filters"]]
        elif kind == "maxPool1d":
            want("channels_first")
            mods.append(nn.MaxPool1d(layer["poolSize"]))
            shape = [shape[0] // layer["poolSize"], shape[1]]
        elif kind == "flatten":
            # Flattening channels-first orders the values differently from Keras; the cost is the same.
            mods.append(nn.Flatten())
            shape = [shape[0] * shape[1]] if len(shape) == 2 else shape
        elif kind == "lstm":
            want("channels_last")
            mods.append(Recurrent(shape[1], layer["units"], layer.get("returnSequences", False)))
            shape = [shape[0], layer["units"]] if layer.get("returnSequences", False) else [layer["units"]]
        elif kind == "attention":
            want("channels_last")
            mods.append(Attention(shape[1]))
            shape = [2 * shape[1]]
        elif kind == "dropout":
            mods.append(nn.Dropout(layer["rate"]))
        else:
            raise ValueError(f"no torch layer for '{kind}'")
        activation = layer.get("activation", "linear")
        if activation != "linear":
            mods.append(ACTIVATIONS[activation]())
    return nn.Sequential(*mods), layout


def make_data(shapes, name, index, input_shape, layout, with_label):
    """Seeded standard normal rows and, for classifiers, the label rule of shapes.ts (same sizes)."""
    rows = shapes["data"]["rows"]
    gen = torch.Generator().manual_seed(shapes["data"]["seed"] + index)
    x = torch.randn(rows, *input_shape, generator=gen)
    y = None
    if with_label:
        w = torch.randn(x[0].numel(), generator=gen)
        z = x.reshape(rows, -1) @ w / w.norm()
        y = (z + 0.5 * torch.randn(rows, generator=gen) > 0.6).float().unsqueeze(1)
    if layout == "channels_first":
        x = x.transpose(1, 2).contiguous()
    return x, y


def time_training(step, rows_per_step, seconds):
    warmup_seconds = min(WARMUP_MAX_SECONDS, seconds * WARMUP_SHARE)
    warmup_started = time.perf_counter()
    i = 0
    while i < WARMUP_STEPS or time.perf_counter() - warmup_started < warmup_seconds:
        step()
        i += 1
    started = time.perf_counter()
    steps = 0
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return steps * rows_per_step / elapsed, steps


def time_scoring(model, x_all, rows, seconds, min_calls=15):
    """Median µs per row, from a numpy float32 array of `rows` rows to the outputs as numpy."""
    x_np = x_all[:rows].numpy().copy()
    model.eval()
    with torch.no_grad():

        def call():
            return model(torch.from_numpy(x_np)).numpy()

        for _ in range(5):
            call()
        times = []
        started = time.perf_counter()
        while len(times) < min_calls or time.perf_counter() - started < seconds:
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
    model.train()
    times.sort()
    return times[len(times) // 2] * 1e6 / rows


def batches(x, y, batch_size):
    # Views of contiguous rows, made once: like the TS side, the step is timed, not data handling.
    n = x.shape[0] // batch_size
    return [(x[i * batch_size : (i + 1) * batch_size], None if y is None else y[i * batch_size : (i + 1) * batch_size]) for i in range(n)]


def adam(params, shape):
    return torch.optim.Adam(params, lr=shape["optimizer"]["learningRate"])


def bench_network(shapes, name, index, shape):
    model, layout = build(shape["network"])
    x, y = make_data(shapes, name, index, shape["network"]["inputShape"], layout, shape["kind"] == "classifier")
    loss_fn = nn.MSELoss() if shape["loss"] == "mse" else nn.BCEWithLogitsLoss()
    optimizer = adam(model.parameters(), shape)
    data = batches(x, y, shape["batchSize"])
    state = {"next": 0}
    model.train()

    def step():
        xb, yb = data[state["next"] % len(data)]
        state["next"] += 1
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), xb if yb is None else yb)  # the autoencoder's target is its input
        loss.backward()
        optimizer.step()

    rows_per_sec, steps = time_training(step, shape["batchSize"], args.seconds)
    return model, x, rows_per_sec, steps, layout


def bench_gan(shapes, name, index, shape):
    generator, _ = build(shape["generator"])
    discriminator, _ = build(shape["discriminator"])
    x, _ = make_data(shapes, name, index, shape["discriminator"]["inputShape"], "channels_last", False)
    loss_fn = nn.BCEWithLogitsLoss()
    g_opt = adam(generator.parameters(), shape)
    d_opt = adam(discriminator.parameters(), shape)
    n, noise = shape["batchSize"], shape["noiseSize"]
    ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
    data = batches(x, None, n)
    state = {"next": 0}

    def step():
        real = data[state["next"] % len(data)][0]
        state["next"] += 1
        with torch.no_grad():  # the discriminator step does not backpropagate into the generator
            fake = generator(torch.randn(n, noise))
        d_opt.zero_grad(set_to_none=True)
        loss_d = loss_fn(discriminator(real), ones) + loss_fn(discriminator(fake), zeros)
        loss_d.backward()
        d_opt.step()
        # The generator step needs gradients through the discriminator, not for its weights
        # (the TS side asks optimizer.minimize for the generator's variables only).
        discriminator.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        loss_g = loss_fn(discriminator(generator(torch.randn(n, noise))), ones)
        loss_g.backward()
        g_opt.step()
        discriminator.requires_grad_(True)

    rows_per_sec, steps = time_training(step, n, args.seconds)
    return discriminator, x, rows_per_sec, steps, "channels_last"


def main():
    with open(args.shapes) as f:
        shapes = json.load(f)
    names = list(shapes["models"])
    only = [s for s in args.only.split(",") if s]
    out = {}
    for index, name in enumerate(names):
        if only and name not in only:
            continue
        shape = shapes["models"][name]
        bench = bench_gan if shape["kind"] == "gan" else bench_network
        scored, x, rows_per_sec, steps, layout = bench(shapes, name, index, shape)
        out[name] = {
            "trainRowsPerSec": rows_per_sec,
            "trainSteps": steps,
            "scoreMicrosPerRow1": time_scoring(scored, x, 1, args.score_seconds),
            "scoreMicrosPerRow1000": time_scoring(scored, x, 1000, args.score_seconds),
            "inputLayout": layout,
        }
    print(
        json.dumps(
            {
                "torchVersion": torch.__version__,
                "threads": {
                    "intraOp": torch.get_num_threads(),
                    "interOp": torch.get_num_interop_threads(),
                    "env": {v: os.environ[v] for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
                    "envSetBeforeImport": ENV_BEFORE_IMPORT,
                },
                "models": out,
            }
        )
    )


main()
