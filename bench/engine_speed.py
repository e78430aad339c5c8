"""Seconds per training epoch of this engine against the usual alternatives.

Every contender trains the same network, with the same data, batch size and
plain SGD; seconds per epoch are the median of 5 samples, taken in rounds (one
sample of each contender per round) so that a change in the machine's load
touches all of them alike. A sample is one epoch, or for the short epochs of
(b) five epochs in a row. Reported as ratios of this
engine's time to the other's (below 1 means this engine is faster).

(a) the California-housing experiment of the reference write-up: ``[8, 20, 10, 1]``, sigmoid
    hidden, linear output, MSE, lr 0.1, batch 32; against that write-up's own
    ``NN`` class (read from ``../shared/baselines/seed_nn.py``), scikit-learn's
    ``MLPRegressor``, a minimal hand-written NumPy loop (for context) and
    PyTorch when it is installed.
(b) digits, ``[64, 128, 10]``, relu, softmax cross-entropy, batch 32, against
    ``MLPClassifier``.
(c) the MNIST subset, ``[784, 256, 128, 10]``, relu, softmax cross-entropy,
    batch 128, against ``MLPClassifier``; it also prints the achieved GFLOP/s
    next to NumPy's own matmul GFLOP/s on the same shapes in the same run.

An engine epoch is ``Trainer.run_epochs(1)``: it also computes each step's
per-layer gradient norms and, at the end, the loss on the whole test set
(the playground's history), which the others do not; (c) shows what that
test-set evaluation costs. Usage: ``python bench/engine_speed.py [--repeats 5]``. The last line is
``a_vs_sklearn=... a_vs_seed=... b_vs_sklearn=... c_vs_sklearn=... c_matmul_fraction=...``.

``--against DIR`` instead times this engine against another checkout of the
project (``git worktree add /tmp/engine-before <commit>``): each tree trains in
a process of its own, the two take turns (in alternating order) on the same
workloads, and each workload's line gives ``this / other`` of the median
epoch's CPU time (below 1: this tree is faster; CPU time, because on a shared
machine wall time also counts the waits for a core), and of the fastest samples
(the least disturbed by other work). The last line is ``plain_max_ratio=...
plain_geomean_ratio=... plain_geomean_fastest_ratio=...`` over the plain network's workloads.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from _common import (ROOT, final_line, load_seed_nn, median_seconds_interleaved, print_table,
                     silence_convergence_warnings, try_import_torch)
from mlp_engine import Dataset, Trainer, load_dataset, make_trainer
from mlp_engine.datasets import data_folder

Epoch = Callable[[], object]


# --------------------------------------------------------------------------
# One epoch of each contender
# --------------------------------------------------------------------------
def engine_trainer(data: Dataset, layers: list[int], activation: str, lr: float, batch: int,
                   init: str = "he", dtype: str = "float64") -> Trainer:
    return make_trainer({
        "dataset": data.spec,
        "model": {"layers": layers, "activation": activation, "init": init, "dtype": dtype},
        "optimizer": {"name": "sgd", "learning_rate": lr, "batch_size": batch},
        "seed": 0,
    }, data=data)


def engine_epoch(data: Dataset, layers: list[int], activation: str, lr: float, batch: int,
                 init: str = "he", dtype: str = "float64") -> Epoch:
    """One epoch of ``run_epochs``: every minibatch step (loss, per-layer gradient
    norms, update) and, at the end, the objective on the whole test set."""
    trainer = engine_trainer(data, layers, activation, lr, batch, init, dtype)
    return lambda: trainer.run_epochs(1)


def engine_test_eval(data: Dataset, layers: list[int]) -> Epoch:
    """The part of an engine epoch that the others do not do: the test-set objective."""
    trainer = engine_trainer(data, layers, "relu", 0.1, 128)
    return lambda: trainer.model.objective(trainer.X_test, trainer.y_test)


def seed_nn_epoch(data: Dataset, layers: list[int], lr: float, batch: int) -> Epoch:
    np.random.seed(0)  # the write-up's class draws from the global generator
    nn = load_seed_nn()(layers, learning_rate=lr, batch_size=batch)
    return lambda: nn.fit(data.X_train, data.y_train)


def sklearn_epoch(data: Dataset, layers: list[int], activation: str, lr: float, batch: int) -> Epoch:
    """scikit-learn's MLP with plain SGD (no momentum, no L2); ``partial_fit`` with
    ``max_iter=1`` is exactly one shuffled epoch."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    kwargs = dict(hidden_layer_sizes=tuple(layers[1:-1]), activation=activation, solver="sgd",
                  learning_rate_init=lr, momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                  batch_size=batch, max_iter=1, shuffle=True, random_state=0)
    if data.task == "regression":
        model = MLPRegressor(**kwargs)
        y = data.y_train.ravel()
        return lambda: model.partial_fit(data.X_train, y)
    model = MLPClassifier(**kwargs)
    labels = data.y_train.argmax(axis=1)
    classes = np.arange(data.n_outputs)
    return lambda: model.partial_fit(data.X_train, labels, classes=classes)


def lean_numpy_epoch(data: Dataset, layers: list[int], lr: float, batch: int) -> Epoch:
    """The least a NumPy loop can do for (a): sigmoid hidden, linear output, MSE,
    no loss value, no gradient norms, no history. For context only."""
    rng = np.random.default_rng(0)
    W = [rng.normal(0.0, n**-0.5, (o, n)) for n, o in zip(layers[:-1], layers[1:])]
    b = [np.zeros(o) for o in layers[1:]]
    X, Y = data.X_train, data.y_train
    L = len(W)

    def epoch() -> None:
        order = rng.permutation(X.shape[0])
        Xe, Ye = X[order], Y[order]
        for lo in range(0, X.shape[0], batch):
            a = [Xe[lo:lo + batch]]
            for l in range(L):
                z = a[-1] @ W[l].T + b[l]
                a.append(z if l == L - 1 else 1 / (1 + np.exp(-z)))
            d = (a[-1] - Ye[lo:lo + batch]) / a[0].shape[0]
            for l in range(L - 1, -1, -1):
                dW, db = d.T @ a[l], d.sum(axis=0)
                if l:
                    d = (d @ W[l]) * a[l] * (1 - a[l])
                W[l] -= lr * dW
                b[l] -= lr * db
    return epoch


def torch_epoch(torch, data: Dataset, layers: list[int], activation: str, lr: float,
                batch: int) -> Epoch:
    """PyTorch autograd in float64, same network, loss and plain SGD."""
    torch.manual_seed(0)
    mods = []
    for l, (n_in, n_out) in enumerate(zip(layers[:-1], layers[1:])):
        mods.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
        if l < len(layers) - 2:
            mods.append(torch.nn.Sigmoid() if activation == "logistic" else torch.nn.ReLU())
    net = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    X = torch.from_numpy(np.ascontiguousarray(data.X_train))
    if data.task == "regression":
        Y = torch.from_numpy(np.ascontiguousarray(data.y_train))
        loss_fn = lambda out, y: 0.5 * ((out - y) ** 2).sum(dim=1).mean()  # noqa: E731
    else:
        Y = torch.from_numpy(data.y_train.argmax(axis=1))
        loss_fn = torch.nn.functional.cross_entropy
    n = X.shape[0]

    def epoch() -> None:
        order = torch.randperm(n)
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(X[idx]), Y[idx]).backward()
            opt.step()
    return epoch


# --------------------------------------------------------------------------
# FLOPs and NumPy's own matmul rate for (c)
# --------------------------------------------------------------------------
def epoch_flops(layers: list[int], n: int) -> float:
    """Multiply-adds x 2 of one epoch's matmuls: forward ``a @ W.T``, ``dW = delta.T @ a``
    for every layer, and ``delta @ W`` for every layer but the first."""
    sizes = [i * o for i, o in zip(layers[:-1], layers[1:])]
    return 2.0 * n * (3 * sum(sizes) - sizes[0])


def matmul_epoch(layers: list[int], n: int, batch: int) -> Epoch:
    """Only the matmuls of one epoch, into preallocated outputs, on arrays of the
    same shapes: NumPy's (BLAS's) own rate on this workload, the ceiling for any
    NumPy MLP."""
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((o, i)) for i, o in zip(layers[:-1], layers[1:])]
    dW = [np.empty_like(w) for w in W]
    sizes = [min(batch, n - lo) for lo in range(0, n, batch)]
    acts = {m: [rng.standard_normal((m, k)) for k in layers] for m in set(sizes)}
    outs = {m: [np.empty((m, k)) for k in layers] for m in set(sizes)}

    def epoch() -> None:
        for m in sizes:
            a, out = acts[m], outs[m]
            for l, w in enumerate(W):
                np.dot(a[l], w.T, out=out[l + 1])  # z = a @ W.T
            for l in range(len(W) - 1, -1, -1):
                np.dot(a[l + 1].T, a[l], out=dW[l])  # dW = delta.T @ a
                if l:
                    np.dot(a[l + 1], W[l], out=out[l])  # delta @ W
    return epoch


# --------------------------------------------------------------------------
# This tree against another checkout (--against)
# --------------------------------------------------------------------------
def _config(dataset: dict, layers: list[int], activation: str, optimizer: str, batch: int,
            **model: object) -> dict:
    return {"dataset": dataset, "seed": 0,
            "model": {"layers": layers, "activation": activation, **model},
            "optimizer": {"name": optimizer, "learning_rate": 0.01 if optimizer == "adam" else 0.1,
                          "batch_size": batch}}


AGAINST_WORKLOADS: dict[str, dict] = {
    "(a) California [8, 20, 10, 1] sigmoid, SGD batch 32": {
        "config": _config({"name": "california_housing", "seed": 42}, [8, 20, 10, 1], "sigmoid", "sgd", 32,
                          init="normal"), "epochs": 1, "plain": True},
    "(b) digits [64, 128, 10] relu, SGD batch 32 (5 epochs)": {
        "config": _config({"name": "digits"}, [64, 128, 10], "relu", "sgd", 32), "epochs": 5, "plain": True},
    "(c) MNIST subset [784, 256, 128, 10] relu, SGD batch 128": {
        "config": _config({"name": "mnist_subset"}, [784, 256, 128, 10], "relu", "sgd", 128),
        "epochs": 1, "plain": True},
    "(d) moons 4000 [2, 8, 8, 8, 8, 8, 1] tanh, Adam batch 1": {
        "config": _config({"name": "moons", "n_samples": 4000}, [2, 8, 8, 8, 8, 8, 1], "tanh", "adam", 1),
        "epochs": 1, "plain": True},
    "(e) as (d) with batch norm, dropout 0.2 and skips (context)": {
        "config": _config({"name": "moons", "n_samples": 4000}, [2, 8, 8, 8, 8, 8, 1], "tanh", "adam", 1,
                          batch_norm=True, dropout=0.2, residual=True), "epochs": 1, "plain": False},
}
"""Workloads of ``--against``: the plain network's (the hot path: large and small
matrices, and the per-call cost of batch 1), and one with the remedies for context."""

WORKER = """
import sys, json, time
sys.path.insert(0, sys.argv[1])
import mlp_engine
from mlp_engine import make_trainer
work = json.loads(sys.argv[2])
trainers = {name: make_trainer(w["config"], data_dir=sys.argv[3]) for name, w in work.items()}
print(mlp_engine.__file__, flush=True)
for line in sys.stdin:
    name = line.strip()
    t0 = time.process_time()
    trainers[name].run_epochs(work[name]["epochs"])
    print(time.process_time() - t0, flush=True)
"""


def against(other: Path, repeats: int) -> None:
    """Time this tree's engine and ``other``'s on :data:`AGAINST_WORKLOADS`, turn about."""
    work = json.dumps(AGAINST_WORKLOADS)
    trees = {"this": ROOT, "other": other.resolve()}
    procs = {k: subprocess.Popen([sys.executable, "-c", WORKER, str(root), work, str(data_folder())],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
             for k, root in trees.items()}
    for k, proc in procs.items():
        print(f"{k}: {proc.stdout.readline().strip()}")

    def one(tree: str, name: str) -> float:
        procs[tree].stdin.write(name + "\n")
        return float(procs[tree].stdout.readline())

    times = {(k, name): [] for k in trees for name in AGAINST_WORKLOADS}
    for r in range(repeats + 1):  # round 0 warms both up
        for name in AGAINST_WORKLOADS:
            for k in (("this", "other") if r % 2 else ("other", "this")):
                t = one(k, name)
                if r:
                    times[k, name].append(t)
    for proc in procs.values():
        proc.stdin.close()
        proc.wait(timeout=60)
    rows, plain, plain_min = [], [], []
    for name, w in AGAINST_WORKLOADS.items():
        mine, theirs = (statistics.median(times[k, name]) for k in ("this", "other"))
        fastest = min(times["this", name]) / min(times["other", name])
        rows.append([name, mine, theirs, mine / theirs, fastest])
        if w["plain"]:
            plain.append(mine / theirs)
            plain_min.append(fastest)
    print_table(f"CPU seconds per sample (median of {repeats}): this tree against {trees['other']}",
                ["workload", "this s", "other s", "this / other", "fastest / fastest"], rows)
    print()
    final_line(plain_max_ratio=max(plain), plain_geomean_ratio=_geomean(plain),
               plain_geomean_fastest_ratio=_geomean(plain_min))


def _geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


# --------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout of the project to time this engine against")
    args = parser.parse_args()
    if args.against is not None:
        return against(args.against, args.repeats)
    silence_convergence_warnings()
    torch = try_import_torch()
    reps = args.repeats

    # (a) the reference write-up's California-housing experiment
    cal = load_dataset("california_housing", seed=42)
    la = [8, 20, 10, 1]
    fns = {"this engine": engine_epoch(cal, la, "sigmoid", 0.1, 32, init="normal"),
           "reference write-up NN": seed_nn_epoch(cal, la, 0.1, 32),
           "scikit-learn MLPRegressor": sklearn_epoch(cal, la, "logistic", 0.1, 32),
           "lean NumPy loop (context)": lean_numpy_epoch(cal, la, 0.1, 32)}
    if torch is not None:
        fns["PyTorch (float64)"] = torch_epoch(torch, cal, la, "logistic", 0.1, 32)
    ta = median_seconds_interleaved(fns, reps)
    _table("(a) the reference write-up's California-housing experiment: [8, 20, 10, 1], sigmoid, MSE, "
           f"SGD batch 32, {cal.X_train.shape[0]} training rows", ta)

    # (b) digits
    dig = load_dataset("digits", seed=0)
    lb = [64, 128, 10]
    fns = {"this engine": engine_epoch(dig, lb, "relu", 0.1, 32),
           "scikit-learn MLPClassifier": sklearn_epoch(dig, lb, "relu", 0.1, 32)}
    if torch is not None:
        fns["PyTorch (float64)"] = torch_epoch(torch, dig, lb, "relu", 0.1, 32)
    tb = median_seconds_interleaved(fns, reps, calls=5)  # an epoch is ~10 ms: time 5 in a row
    _table(f"(b) digits [64, 128, 10], relu, softmax cross-entropy, SGD batch 32, "
           f"{dig.X_train.shape[0]} training rows", tb)

    # (c) MNIST subset
    mn = load_dataset("mnist_subset", seed=0)
    lc, n = [784, 256, 128, 10], mn.X_train.shape[0]
    fns = {"this engine": engine_epoch(mn, lc, "relu", 0.1, 128),
           "scikit-learn MLPClassifier": sklearn_epoch(mn, lc, "relu", 0.1, 128),
           "this engine, float32": engine_epoch(mn, lc, "relu", 0.1, 128, dtype="float32"),
           "NumPy matmuls only (same shapes)": matmul_epoch(lc, n, 128),
           "(in the engine's epoch: test-set loss)": engine_test_eval(mn, lc)}
    if torch is not None:
        fns["PyTorch (float64)"] = torch_epoch(torch, mn, lc, "relu", 0.1, 128)
    tc = median_seconds_interleaved(fns, reps)
    flops = epoch_flops(lc, n)
    _table(f"(c) MNIST subset [784, 256, 128, 10], relu, softmax cross-entropy, SGD batch 128, "
           f"{n} training rows, {flops / 1e9:.3g} GFLOP of matmuls per epoch", tc, flops)
    engine_gflops = flops / tc["this engine"] / 1e9
    matmul_gflops = flops / tc["NumPy matmuls only (same shapes)"] / 1e9
    print(f"achieved {engine_gflops:.3g} GFLOP/s in float64; NumPy matmul on the same shapes "
          f"{matmul_gflops:.3g} GFLOP/s; fraction {engine_gflops / matmul_gflops:.3g}")
    print("\nAn engine epoch also evaluates the whole test set and every step's gradient norms"
          " (the playground's history); scikit-learn's partial_fit epoch validates its input.")
    print()
    final_line(
        a_vs_sklearn=ta["this engine"] / ta["scikit-learn MLPRegressor"],
        a_vs_seed=ta["this engine"] / ta["reference write-up NN"],
        b_vs_sklearn=tb["this engine"] / tb["scikit-learn MLPClassifier"],
        c_vs_sklearn=tc["this engine"] / tc["scikit-learn MLPClassifier"],
        c_matmul_fraction=engine_gflops / matmul_gflops,
    )


def _table(title: str, times: dict[str, float], flops: float | None = None) -> None:
    mine = times["this engine"]
    headers = ["contender", "s/epoch", "engine / it"] + (["GFLOP/s"] if flops else [])
    rows = []
    for name, t in times.items():
        part = name.startswith("(")  # a part of the engine's epoch, not a contender
        row: list[object] = [name, t, "" if part else mine / t]
        if flops:
            row.append("" if part else flops / t / 1e9)
        rows.append(row)
    print_table(title, headers, rows)


if __name__ == "__main__":
    main()
