"""What both exported scripts share: the facts read from a session, and the script parts
that do not depend on the framework (the data, the minibatch order, the schedule, the
final JSON line).

:func:`snapshot` reads everything a script needs from a session's trainer through its
public names (``state_dict()``, the model, the schedule); the caller holds the session's
lock. The ``*_section`` functions turn a :class:`Snapshot` into Python source text that
imports nothing from the playground: NumPy, scikit-learn and the standard library only.
"""
from __future__ import annotations

import hashlib
import json
import math
import pprint
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn

from mlp_engine import DATASETS, Params, Trainer
from mlp_engine.datasets import DATA_ENV, data_folder
from mlp_engine.features import DEFAULT_FEATURES
from mlp_engine.state import decode

Array = np.ndarray

FRAMEWORKS = ("numpy", "pytorch")
MAX_STEPS = 1000

# The config fields a script knows how to reproduce. A field outside these (an option the
# engine gains later) is refused by name rather than silently left out of the script.
KNOWN_FIELDS = {
    "dataset": {"name", "n_samples", "noise", "test_fraction", "seed", "X", "y", "task", "standardize",
                "features"},
    "model": {"layers", "activation", "output_activation", "loss", "init", "dtype", "weights", "biases"},
    "optimizer": {"name", "learning_rate", "batch_size", "momentum", "nesterov", "l2", "shuffle",
                  "clip_norm", "schedule", "early_stopping"},
}
KNOWN_TOP = {"dataset", "model", "optimizer", "seed"}


@dataclass
class Snapshot:
    """A session's state at the moment of export, as plain Python values and arrays.

    ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)`` in the model's dtype; ``opt`` is the
    optimizer's ``state_dict()`` with its flat vectors split per layer (``velocity``, ``m``,
    ``v`` as ``{"W": [...], "b": [...]}``); ``order`` the current epoch's order (``None``
    before the next epoch is drawn) and ``cursor`` how much of it is consumed; ``rng`` the
    batch-order generator's PCG64 state."""

    config: dict[str, Any]
    spec: dict[str, Any]
    features: list[str] | None
    raw_width: int
    layers: list[int]
    activation: str
    output_activation: str
    loss: str
    l2: float
    dtype: str
    W: list[Array]
    b: list[Array]
    opt: dict[str, Any]
    learning_rate: float
    base_learning_rate: float
    schedule: dict[str, Any]
    batch_size: int
    shuffle: bool
    rng: dict[str, Any]
    order: Array | None
    cursor: int
    epoch: int
    step: int
    n_train: int
    data_sha256: str
    data_folder: str
    steps: int

    @property
    def dataset(self) -> str:
        return str(self.spec["name"])

    @property
    def kind(self) -> str:
        return DATASETS[self.dataset].kind


def data_digest(X: Array, y: Array) -> str:
    """SHA-256 of the training arrays' bytes (C order, the model's dtype): the script
    checks the data it rebuilds against this, so a different loader or library version
    cannot go unnoticed."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def check_config(config: dict[str, Any]) -> None:
    """Refuse a config with a field no script reproduces (``ValueError`` naming it)."""
    for key in config:
        if key not in KNOWN_TOP:
            raise ValueError(f"{key}: the code export does not reproduce this option yet")
    for part, known in KNOWN_FIELDS.items():
        for key in config.get(part) or {}:
            if key not in known:
                raise ValueError(f"{part}.{key}: the code export does not reproduce this option yet")
    act = config["model"].get("activation")
    if not isinstance(act, str):
        raise ValueError("model.activation: the code export reproduces one hidden activation for all layers")


def _split(flat: Array | None, layers: list[int]) -> dict[str, list[Array]] | None:
    """A flat optimizer vector (the parameters' layout: every ``W``, then every ``b``) per layer."""
    if flat is None:
        return None
    p = Params(layers, flat)
    return {"W": p.W, "b": p.b}


def snapshot(trainer: Trainer, config: dict[str, Any], steps: int) -> Snapshot:
    """Everything a script needs, copied out of ``trainer`` (hold the session's lock)."""
    check_config(config)
    state = decode(trainer.state_dict())
    model = trainer.model
    opt = dict(state["optimizer"])
    for key in ("velocity", "m", "v"):
        if key in opt:
            opt[key] = _split(opt[key], model.layers)
    data = trainer.data
    return Snapshot(
        config=config, spec=dict(data.spec), features=None if data.features is None else list(data.features),
        raw_width=int(data.raw_train.shape[1]), layers=list(model.layers), activation=model.activation.name,
        output_activation=model.output_activation.name, loss=model.loss_fn.name, l2=model.l2,
        dtype=model.dtype, W=[np.array(w) for w in state["params"]["W"]],
        b=[np.array(v) for v in state["params"]["b"]], opt=opt,
        learning_rate=float(trainer.optimizer.learning_rate), base_learning_rate=trainer.base_learning_rate,
        schedule=trainer.schedule.as_config(), batch_size=trainer.batch_size, shuffle=trainer.shuffle,
        rng=state["rng"], order=state["order"], cursor=int(state["cursor"]), epoch=int(state["epoch"]),
        step=int(state["step"]), n_train=trainer.n_train, data_sha256=data_digest(trainer.X, trainer.y),
        data_folder=str(data_folder()), steps=steps)


# --------------------------------------------------------------------------
# Literals: every float as its shortest round-trip repr, so the script holds the same bits.
# --------------------------------------------------------------------------
def _num(x: float) -> str:
    if math.isfinite(x):
        return repr(float(x))
    return "float('nan')" if math.isnan(x) else ("float('inf')" if x > 0 else "-float('inf')")


WIDTH = 110


def literal(value: Any, indent: int = 0) -> str:
    """Python source for nested lists of numbers (an array of any rank) whose ``[`` stands at
    column ``indent``: one row per line, long rows wrapped."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            pad = " " * (indent + 1)
            rows = (",\n" + pad).join(literal(v, indent + 1) for v in value)
            return "[" + rows + "]"
        items = [_num(x) if isinstance(x, float) else repr(x) for x in value]
        lines, line = [], ""
        for item in items:  # packed into lines of about WIDTH characters
            if line and indent + 1 + len(line) + len(item) + 2 > WIDTH:
                lines.append(line)
                line = ""
            line = f"{line}, {item}" if line else item
        lines.append(line)
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if isinstance(value, float):
        return _num(value)
    return repr(value)


def array_literal(a: Array, indent: int = 0) -> str:
    """``np.array([...])`` source for ``a``; the dtype is set where it is used."""
    return f"np.array({literal(a, indent + 9)})"


def per_layer(name: str, arrays: list[Array], comment: str) -> str:
    """``name = [np.array(...), ...]`` with one array per layer."""
    parts = [f"# {comment}", f"{name} = ["]
    for l, a in enumerate(arrays):
        parts.append(f"    # layer {l}: shape {tuple(a.shape)}")
        parts.append(f"    {array_literal(a, 4)},")
    parts.append("]")
    return "\n".join(parts)


# --------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------
_TOY = {
    "xor": '''\
def make_data(rng, n, noise):
    """Four quadrants; the class is the sign of x1*x2 (1 where it is positive)."""
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05  # a small gap around the axes, as TensorFlow Playground leaves
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + noise * rng.standard_normal(X.shape), labels
''',
    "circles": '''\
def make_data(rng, n, noise):
    """A disc inside a ring (scikit-learn's make_circles); the inner disc is class 1."""
    X, labels = skd.make_circles(n, noise=noise, factor=0.5, random_state=int(rng.integers(2**31 - 1)))
    return X, 1 - labels
''',
    "gaussians": '''\
def make_data(rng, n, noise):
    """Two Gaussian blobs around (-0.5, -0.5) and (0.5, 0.5)."""
    X, labels = skd.make_blobs(n, centers=[[-0.5, -0.5], [0.5, 0.5]], cluster_std=0.25 + noise,
                               random_state=int(rng.integers(2**31 - 1)))
    return X, labels
''',
    "moons": '''\
def make_data(rng, n, noise):
    """Two interleaving half circles (scikit-learn's make_moons), moved to about [-1, 1]."""
    X, labels = skd.make_moons(n, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return (X - [0.5, 0.25]) * [0.6, 1.0], labels
''',
    "spiral": '''\
def make_data(rng, n, noise):
    """Two interleaved spiral arms, a turn and a half each."""
    labels = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * np.pi * r + np.pi * labels
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + noise * rng.standard_normal(X.shape), labels
''',
    "sine": '''\
def make_data(rng, n, noise):
    """y = sin(pi x) plus noise, x in [-1, 1]."""
    x = rng.uniform(-1, 1, (n, 1))
    return x, np.sin(np.pi * x[:, 0]) + noise * rng.standard_normal(n)
''',
    "plane": '''\
def make_data(rng, n, noise):
    """y = 0.6 x1 - 0.4 x2 plus noise."""
    X = rng.uniform(-1, 1, (n, 2))
    return X, 0.6 * X[:, 0] - 0.4 * X[:, 1] + noise * rng.standard_normal(n)
''',
}

_REAL = {
    "digits": '''\
def load_all():
    """8x8 digit images scaled to [0, 1] (scikit-learn's bundled set) and labels 0-9."""
    bunch = skd.load_digits()
    return bunch.data / 16.0, bunch.target
''',
    "diabetes": '''\
def load_all():
    """Ten baseline variables (unscaled) and disease progression (scikit-learn's bundled set)."""
    bunch = skd.load_diabetes(scaled=False)
    return bunch.data, bunch.target
''',
    "california_housing": '''\
def load_all():
    """The 1990 census block groups: 8 features (scikit-learn's column order) and the median
    house value in $100,000, from the data folder or scikit-learn's cache."""
    import gzip
    import tarfile
    raw = None
    if (DATA_FOLDER / "cal_housing.data.gz").is_file():
        with gzip.open(DATA_FOLDER / "cal_housing.data.gz", "rt") as f:
            raw = np.loadtxt(f, delimiter=",")
    elif (DATA_FOLDER / "cal_housing.tgz").is_file():
        with tarfile.open(DATA_FOLDER / "cal_housing.tgz") as tar:
            raw = np.loadtxt(tar.extractfile("CaliforniaHousing/cal_housing.data"), delimiter=",")
    if raw is not None:
        lon, lat, age, rooms, beds, pop, hh, inc, val = raw.T
        X = np.column_stack([inc, age, rooms / hh, beds / hh, pop, pop / hh, lat, lon])
        return X, val / 100000.0
    try:
        bunch = skd.fetch_california_housing(download_if_missing=False)
    except OSError:
        sys.exit(f"california_housing data not found: put cal_housing.tgz "
                 f"(https://www.dcc.fc.up.pt/~ltorgo/Regression/cal_housing.tgz) in {DATA_FOLDER}, "
                 f"set MLP_PLAYGROUND_DATA to the folder that has it, or run "
                 f"sklearn.datasets.fetch_california_housing() once with a network.")
    return bunch.data, bunch.target
''',
    "mnist_subset": '''\
def load_all():
    """The 10,000 MNIST test digits, 28x28 pixels scaled to [0, 1], from the data folder."""
    import gzip

    def read_idx(path):
        with gzip.open(path, "rb") as f:
            b = f.read()
        dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(b[3])]
        return np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)

    images, labels = DATA_FOLDER / "t10k-images-idx3-ubyte.gz", DATA_FOLDER / "t10k-labels-idx1-ubyte.gz"
    missing = [p.name for p in (images, labels) if not p.is_file()]
    if missing:
        sys.exit(f"mnist_subset needs {', '.join(missing)} in {DATA_FOLDER} (set MLP_PLAYGROUND_DATA "
                 f"to the folder that has them): the MNIST test files from http://yann.lecun.com/exdb/mnist/")
    X = read_idx(images).reshape(-1, 784).astype(np.float64) / 255.0
    return X, read_idx(labels).astype(np.int64)
''',
}

_FEATURE_CODE = {
    "x1": "X[:, 0]", "x2": "X[:, 1]", "x1^2": "X[:, 0] * X[:, 0]", "x2^2": "X[:, 1] * X[:, 1]",
    "x1*x2": "X[:, 0] * X[:, 1]", "sin(x1)": "np.sin(X[:, 0])", "sin(x2)": "np.sin(X[:, 1])",
}


def data_section(s: Snapshot) -> str:
    """Source that leaves ``X_train`` ``(n, d_in)`` and ``y_train`` ``(n, d_out)`` in ``DTYPE``,
    built exactly as the session built them, and checks their bytes against the session's."""
    spec, info = s.spec, DATASETS[s.dataset]
    seed, frac = int(spec["seed"]), float(spec["test_fraction"])
    out: list[str] = [f"# ---- The data: {s.dataset}. {info.description} ----"]
    stratify_fn = '''\
def can_stratify(labels, test_fraction):
    """A stratified split needs two samples per class and room for every class in the test part."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    counts = counts[counts > 0]
    return counts.min() >= 2 and len(labels) * test_fraction >= len(counts)
'''
    if s.kind == "inline":
        out.append("# Your own X and y, written out in full.")
        out.append(f"X_all = {array_literal(np.array(spec['X']), 8)}")
        out.append(f"y_all = {array_literal(np.array(spec['y']), 8)}")
        if frac > 0:
            out.append(f"# The same split as the session: scikit-learn's train_test_split, seed {seed}.")
            out.append(f"X_train, X_test, y_train, y_test = train_test_split(X_all, y_all, test_size={frac!r}, "
                       f"random_state={seed})")
        else:
            out.append("# No test part: every row trains.")
            out.append("X_train, y_train = X_all, y_all")
        if spec.get("standardize"):
            out.append(_standardise_code(spec.get("task") == "regression"))
    else:
        if s.kind == "toy":
            n = info.n_samples if spec["n_samples"] is None else int(spec["n_samples"])
            out.append("\n" + _TOY[s.dataset])
            out.append(f"rng_data = np.random.default_rng({seed})  # the dataset's seed")
            out.append(f"X_all, target = make_data(rng_data, {n}, {float(spec['noise'])!r})")
        else:
            if s.dataset in ("california_housing", "mnist_subset"):
                out.append(f"# Real files are read from $MLP_PLAYGROUND_DATA, else the folder the session read them from.")
                out.append(f"DATA_FOLDER = Path(os.environ.get({DATA_ENV!r}) or {s.data_folder!r}).expanduser()")
            out.append("\n" + _REAL[s.dataset])
            out.append(f"rng_data = np.random.default_rng({seed})  # the dataset's seed")
            out.append("X_all, target = load_all()")
            if spec["n_samples"] is not None:
                out.append("# A seeded subsample, in the original row order.")
                out.append(f"if {int(spec['n_samples'])} < X_all.shape[0]:")
                out.append(f"    keep = np.sort(rng_data.choice(X_all.shape[0], {int(spec['n_samples'])}, replace=False))")
                out.append("    X_all, target = X_all[keep], target[keep]")
        if info.task == "regression":
            out.append("Y = np.asarray(target, dtype=np.float64).reshape(-1, 1)  # one column of values")
        elif info.n_outputs == 1:
            out.append("Y = np.asarray(target, dtype=np.int64).reshape(-1, 1).astype(np.float64)  # a 0/1 column")
        else:
            out.append(f"Y = np.eye({info.n_outputs})[np.asarray(target, dtype=np.int64)]  # one-hot rows")
        if frac > 0:
            if info.task == "classification":
                out.append("\n" + stratify_fn)
                out.append(f"stratify = target if can_stratify(target, {frac!r}) else None")
            else:
                out.append("stratify = None")
            out.append(f"# The same split as the session: scikit-learn's train_test_split, seed {seed}.")
            out.append(f"X_train, X_test, y_train, y_test = train_test_split(X_all, Y, test_size={frac!r}, "
                       f"random_state={seed}, stratify=stratify)")
        else:
            out.append("X_train, y_train = X_all, Y  # no test part")
        if s.dataset in ("california_housing", "diabetes"):
            out.append(_standardise_code(True))
    if s.features is not None and s.features != DEFAULT_FEATURES.get(s.raw_width):
        cols = ", ".join(f"{_FEATURE_CODE[f]}" for f in s.features)
        out.append(f"# Input features {s.features}: columns computed from the raw coordinates.")
        out.append(f"X = X_train\nX_train = np.column_stack([{cols}])")
    out.append(f'''\
# The training arrays in the model's dtype; the test part is not used by training steps.
X_train = np.ascontiguousarray(X_train, dtype=DTYPE)
y_train = np.ascontiguousarray(y_train, dtype=DTYPE)
# The session's training set hashed to {s.data_sha256[:12]}...: the same bytes, or stop.
digest = hashlib.sha256(X_train.tobytes() + y_train.tobytes()).hexdigest()
if digest != "{s.data_sha256}":
    sys.exit("the rebuilt training data differs from the session's: the server built it with "
             "NumPy {np.__version__} and scikit-learn {sklearn.__version__}; this is NumPy " + np.__version__ +
             " with scikit-learn " + sklearn.__version__)''')
    return "\n".join(out)


def _standardise_code(targets_too: bool) -> str:
    lines = ["# Seed 003's scaling: StandardScaler fit on the training part only."]
    lines.append("X_train = StandardScaler().fit(X_train).transform(X_train)")
    if targets_too:
        lines.append("y_train = StandardScaler().fit(y_train).transform(y_train)  # regression targets too")
    return "\n".join(lines)


def data_imports(s: Snapshot) -> list[str]:
    """The imports the data section needs."""
    lines = ["import sklearn"]
    if s.dataset in ("california_housing", "mnist_subset"):
        lines.append("from pathlib import Path")
    needs_split = float(s.spec["test_fraction"]) > 0
    if s.kind != "inline" and s.dataset in ("circles", "gaussians", "moons", *_REAL):
        lines.append("from sklearn import datasets as skd")
    if needs_split:
        lines.append("from sklearn.model_selection import train_test_split")
    if s.dataset in ("california_housing", "diabetes") or (s.kind == "inline" and s.spec.get("standardize")):
        lines.append("from sklearn.preprocessing import StandardScaler")
    return lines


# --------------------------------------------------------------------------
# The minibatch order and the learning rate
# --------------------------------------------------------------------------
def order_section(s: Snapshot) -> str:
    """``next_batch()`` -> the rows of the next minibatch, drawn as the session draws them:
    the rest of the current epoch's order, then a fresh permutation per epoch."""
    rng_state = pprint.pformat(s.rng, width=WIDTH - 26).replace("\n", "\n" + " " * 26)
    order = "None" if s.order is None else f"np.array({literal(s.order.tolist(), 17)})"
    draw = "rng.permutation(N_TRAIN)" if s.shuffle else "np.arange(N_TRAIN)"
    return f'''\
# ---- The minibatch order ----
# Each epoch visits the {s.n_train} training rows in an order drawn from the session's own
# generator (PCG64, its state copied here); minibatches of {s.batch_size} rows take that order
# in turn, the last one of an epoch possibly smaller.
N_TRAIN, BATCH_SIZE = {s.n_train}, {s.batch_size}
rng = np.random.Generator(np.random.PCG64())
rng.bit_generator.state = {rng_state}
epoch = {s.epoch}  # epochs completed
order = {order}  # the current epoch's order (None: the next step draws a new one)
cursor = {s.cursor}  # rows of it already used


def next_batch():
    """The training rows of the next minibatch, and whether it ends the epoch."""
    global order, cursor
    if order is None:
        order = {draw}
        cursor = 0
    lo, hi = cursor, min(cursor + BATCH_SIZE, N_TRAIN)
    cursor = hi
    return order[lo:hi], hi >= N_TRAIN'''


def schedule_section(s: Snapshot) -> str:
    """``lr`` now, and ``rate_for_update(t)`` / ``end_epoch()`` that move it as the session does."""
    sch = s.schedule
    head = f"# ---- The learning rate: schedule {sch['name']!r} ----\n"
    if sch["name"] == "step":
        body = f'''\
# lr = lr0 * gamma ** (epoch // step_size): it drops by gamma every step_size epochs,
# set when an epoch ends.
LR0, GAMMA, STEP_SIZE = {_num(s.base_learning_rate)}, {_num(sch['gamma'])}, {sch['step_size']}
lr = {_num(s.learning_rate)}  # the rate of the current epoch


def rate_for_update(t):
    return lr


def end_epoch():
    global lr, epoch, order
    epoch += 1
    order = None
    lr = LR0 * GAMMA ** (epoch // STEP_SIZE)'''
    elif sch["name"] == "invscaling":
        body = f'''\
# lr = lr0 / t ** power_t, t the number of the update about to be made (1 for the first).
LR0, POWER_T = {_num(s.base_learning_rate)}, {_num(sch['power_t'])}


def rate_for_update(t):
    return LR0 / max(t, 1) ** POWER_T


def end_epoch():
    global epoch, order
    epoch += 1
    order = None'''
    else:
        body = f'''\
lr = {_num(s.learning_rate)}  # constant


def rate_for_update(t):
    return lr


def end_epoch():
    global epoch, order
    epoch += 1
    order = None'''
    return head + body


def early_stopping_note(s: Snapshot) -> str:
    es = s.config["optimizer"].get("early_stopping")
    if not es:
        return ""
    return (f"# Early stopping (patience {es['patience']}, min_delta {es['min_delta']}) watches the test loss\n"
            f"# once per epoch and ends whole-epoch training; single steps, as taken here, go on regardless.\n")


def output_section() -> str:
    return '''\
# ---- One JSON line: the loss of every step, the last step's gradients, the parameters after it ----
print(json.dumps({"loss": losses, "dW": [g.tolist() for g in last_dW], "db": [g.tolist() for g in last_db],
                  "params": [{"W": w.tolist(), "b": v.tolist()} for w, v in params_now()]}))'''


def header(s: Snapshot, framework: str, needs: str) -> str:
    cfg = json.dumps(s.config, sort_keys=True)
    if len(cfg) > 600:  # inline data and explicit weights are written out below; keep the header short
        c = json.loads(cfg)
        for part, key in (("dataset", "X"), ("dataset", "y"), ("model", "weights"), ("model", "biases")):
            if key in c.get(part, {}):
                c[part][key] = "..."
        cfg = json.dumps(c, sort_keys=True)
    return f'''\
"""An MLP Playground session as a standalone {framework} script.

Dataset {s.dataset}, layers {s.layers}, hidden activation {s.activation}, output
{s.output_activation} with loss {s.loss}, optimizer {s.opt['name']}, dtype {s.dtype}.
The session stood at epoch {s.epoch}, step {s.step}; this script takes its next {s.steps}
step(s) exactly as the session would and prints one JSON line:
{{"loss": [one per step], "dW": [last step, per layer], "db": [...], "params": [{{"W", "b"}} after the last step]}}.

Conventions (the playground's): samples are rows, X is (m, d_in); W[l] is (out, in) and
b[l] is (out,); z[l] = a[l-1] @ W[l].T + b[l]; the objective is the batch MEAN of the
per-sample loss plus (l2/2) sum_l ||W[l]||^2. Equations are the seeds' (000: one hidden
layer, Delta = (1/m)(Yhat - Y), dW = Delta^T H, delta_1 = (W_2^T delta_2) * sigma'(z_1)).

Session config:
{textwrap.fill(cfg, WIDTH - 10, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)}

Run: python mlp_{s.dataset}_{framework.lower()}.py  (needs {needs})
"""'''
