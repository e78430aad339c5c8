"""The data part of an exported script: the session's training set rebuilt with the same
generator or loader, split, scaling, feature transform and seed (inline data written out in
full), then checked byte for byte against the session's.
"""
from __future__ import annotations

import inspect

import numpy as np
import sklearn

from mlp_engine import DATASETS
from mlp_engine.datasets import DATA_ENV, read_california_file
from mlp_engine.features import DEFAULT_FEATURES

from .common import Snapshot, array_literal

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
    # The engine's own reader of the data folder's file (read_california_file, written out below).
    "california_housing": '''\
def load_all():
    """The 1990 census block groups: 8 features (scikit-learn's column order) and the median
    house value in $100,000, from the data folder or scikit-learn's cache."""
    found = read_california_file(DATA_FOLDER)
    if found is not None:
        return found
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
                out.append("# Real files are read from $MLP_PLAYGROUND_DATA, else the folder the session read them from.")
                out.append(f"DATA_FOLDER = Path(os.environ.get({DATA_ENV!r}) or {s.data_folder!r}).expanduser()")
            if s.dataset == "california_housing":
                out.append("\n" + inspect.getsource(read_california_file))
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
    lines = ["# The scaling of the reference write-up's California-housing experiment:",
             "# StandardScaler fit on the training part only."]
    lines.append("X_train = StandardScaler().fit(X_train).transform(X_train)")
    if targets_too:
        lines.append("y_train = StandardScaler().fit(y_train).transform(y_train)  # regression targets too")
    return "\n".join(lines)


def data_imports(s: Snapshot) -> list[str]:
    """The imports the data section needs."""
    lines = ["import sklearn"]
    if s.dataset == "california_housing":
        lines += ["import gzip", "import tarfile"]
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


