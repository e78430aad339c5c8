"""Datasets: seeded toy problems, real data, and inline ``X``/``y``.

Every dataset comes back as a :class:`Dataset` with samples as rows:
``X_train`` ``(m, n_features)`` and ``y_train`` ``(m, n_outputs)``; binary
classification targets are a 0/1 column, multi-class targets are one-hot.

Real data is standardised as seed 003 does it: the scalers are fit on the
training part only (scikit-learn's ``StandardScaler``) and regression targets
are standardised too, with :meth:`Dataset.to_original_units` to undo it.
Pixel data (``digits``, ``mnist_subset``) is scaled to ``[0, 1]`` instead, so
that first-layer weights read as images.

Real files are looked for in the data folder ``data_dir`` (an argument of
:func:`load_dataset`; default ``../shared/datasets/`` beside the project),
then in scikit-learn's own cache (and, when ``download`` is true,
scikit-learn's usual download). The engine reads no environment: the server
passes ``$MLP_PLAYGROUND_DATA`` and ``$MLP_PLAYGROUND_DOWNLOAD`` as those arguments.
"""
from __future__ import annotations

import functools
import gzip
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .features import check_features, transform

Array = np.ndarray

DATA_ENV = "MLP_PLAYGROUND_DATA"
"""The server setting that names the data folder (the messages below point to it)."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, before it is generated or loaded."""

    name: str
    task: str  # "classification" or "regression"
    n_features: int
    n_outputs: int
    n_samples: int  # the default size (for real data: all of it)
    description: str
    kind: str  # "toy", "real" or "inline"
    max_samples: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "task": self.task, "n_features": self.n_features,
                "n_outputs": self.n_outputs, "n_samples": self.n_samples,
                "description": self.description, "kind": self.kind}


@dataclass
class Dataset:
    """A train/test split ready for training; samples are rows.

    ``X_*`` are ``(m, n_features)``, ``y_*`` are ``(m, n_outputs)``.
    ``y_mean``/``y_std`` (``(n_outputs,)``) undo target standardisation.
    """

    name: str
    task: str
    description: str
    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    feature_names: list[str]
    spec: dict[str, Any]
    class_names: list[str] | None = None
    y_mean: Array | None = None
    y_std: Array | None = None
    image_shape: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    features: list[str] | None = None
    """Input feature transforms applied (see :mod:`.features`); ``None``: raw inputs."""
    X_raw_train: Array | None = None
    """The raw coordinates ``(m, d)`` before the feature transform (``None``: same as ``X_train``)."""
    X_raw_test: Array | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.y_train.shape[1]

    @property
    def n_samples(self) -> int:
        return self.X_train.shape[0] + self.X_test.shape[0]

    @property
    def raw_train(self) -> Array:
        """Training inputs before any feature transform (what the page plots)."""
        return self.X_train if self.X_raw_train is None else self.X_raw_train

    @property
    def raw_test(self) -> Array:
        return self.X_test if self.X_raw_test is None else self.X_raw_test

    def with_features(self, features: list[str]) -> "Dataset":
        """This dataset with its raw inputs ``(m, d)`` turned into ``features``
        (``(m, len(features))``); the raw coordinates stay in ``raw_train``/``raw_test``."""
        names = check_features(features, self.raw_train.shape[1])
        if self.features == names:
            return self
        raw_tr, raw_te = self.raw_train, self.raw_test
        return replace(self, X_train=transform(raw_tr, names), X_test=transform(raw_te, names),
                       feature_names=names, features=names, X_raw_train=raw_tr, X_raw_test=raw_te)

    def to_original_units(self, y: Array) -> Array:
        """Undo the target standardisation of a regression output ``(m, n_outputs)``."""
        if self.y_mean is None:
            return y
        return y * self.y_std + self.y_mean

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, task={self.task!r}, train={self.X_train.shape}, "
                f"test={self.X_test.shape}, outputs={self.n_outputs})")


# --------------------------------------------------------------------------
# Toy generators: (rng, n, noise) -> X (n, d), target (n,) labels or values.
# Coordinates are about [-1, 1] so the page can draw them as they are.
# --------------------------------------------------------------------------
def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05  # keep a small gap around the axes, as TF Playground does
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + noise * rng.standard_normal(X.shape), labels


def _circles(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_circles(n, noise=noise, factor=0.5, random_state=_int_seed(rng))
    return X, 1 - labels  # inner circle is class 1


def _gaussians(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_blobs(n, centers=[[-0.5, -0.5], [0.5, 0.5]], cluster_std=0.25 + noise,
                               random_state=_int_seed(rng))
    return X, labels


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_moons(n, noise=noise, random_state=_int_seed(rng))
    return (X - [0.5, 0.25]) * [0.6, 1.0], labels


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # Two interleaved arms, one turn and a half each (TF Playground's spiral).
    labels = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * np.pi * r + np.pi * labels
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + noise * rng.standard_normal(X.shape), labels


def _sine(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-1, 1, (n, 1))
    return x, np.sin(np.pi * x[:, 0]) + noise * rng.standard_normal(n)


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X = rng.uniform(-1, 1, (n, 2))
    return X, 0.6 * X[:, 0] - 0.4 * X[:, 1] + noise * rng.standard_normal(n)


def _int_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


TOY_GENERATORS: dict[str, Callable[[np.random.Generator, int, float], tuple[Array, Array]]] = {
    "xor": _xor, "circles": _circles, "gaussians": _gaussians, "spiral": _spiral,
    "moons": _moons, "sine": _sine, "plane": _plane,
}

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("xor", "classification", 2, 1, 200,
                    "Four quadrants; the class is the sign of x1*x2. Not linearly separable.", "toy"),
        DatasetInfo("circles", "classification", 2, 1, 200,
                    "A disc inside a ring: needs a closed decision boundary.", "toy"),
        DatasetInfo("gaussians", "classification", 2, 1, 200,
                    "Two Gaussian blobs: almost linearly separable, the easy one.", "toy"),
        DatasetInfo("spiral", "classification", 2, 1, 300,
                    "Two interleaved spiral arms: the hard one; needs depth or features.", "toy"),
        DatasetInfo("moons", "classification", 2, 1, 200,
                    "Two interleaving half circles (scikit-learn's make_moons).", "toy"),
        DatasetInfo("sine", "regression", 1, 1, 100,
                    "y = sin(pi x) plus noise, x in [-1, 1]: fit a curve.", "toy"),
        DatasetInfo("plane", "regression", 2, 1, 200,
                    "y = 0.6 x1 - 0.4 x2 plus noise: a linear model suffices.", "toy"),
        DatasetInfo("california_housing", "regression", 8, 1, 20640,
                    "1990 US census block groups: median house value from 8 features "
                    "(Pace & Barry, 1997). Seed 003's experiment.", "real", 20640),
        DatasetInfo("digits", "classification", 64, 10, 1797,
                    "8x8 images of handwritten digits 0-9 (scikit-learn's bundled set).", "real", 1797),
        DatasetInfo("diabetes", "regression", 10, 1, 442,
                    "Disease progression after one year from 10 baseline variables "
                    "(scikit-learn's bundled set).", "real", 442),
        DatasetInfo("mnist_subset", "classification", 784, 10, 10000,
                    "The 10,000 MNIST test digits, 28x28 (LeCun, Cortes & Burges).", "real", 10000),
        DatasetInfo("inline", "regression", 0, 0, 0,
                    "Your own X and y, trained on exactly as given.", "inline"),
    )
}
"""Every dataset, by the name the API accepts."""

MAX_TOY_SAMPLES = 100_000


def get_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"dataset.name: unknown dataset {name!r}; choose one of {', '.join(DATASETS)}") from None


# --------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------
DEFAULT_FOLDERS: list[Path] = []
"""Folders tried first when no ``data_dir`` is given (a test harness in a clone made away
from ``shared/`` adds the one beside its origin); then ``../shared/datasets``."""


def data_folder(data_dir: str | Path | None = None) -> Path:
    """Where real data files are read from: ``data_dir``, or the first of
    :data:`DEFAULT_FOLDERS` and ``../shared/datasets`` (beside the project, or beside the
    working folder) that exists."""
    if data_dir:
        return Path(data_dir).expanduser()
    project_root = Path(__file__).resolve().parent.parent
    for candidate in (*DEFAULT_FOLDERS, project_root.parent / "shared" / "datasets",
                      Path.cwd().parent / "shared" / "datasets"):
        if candidate.is_dir():
            return candidate
    return project_root.parent / "shared" / "datasets"


class DataNotFoundError(ValueError):
    """A real dataset's files are missing; the message says where we looked and how to get them."""


def read_california_file(path: Path) -> "tuple[np.ndarray, np.ndarray] | None":
    """California housing from ``cal_housing.data.gz`` or ``cal_housing.tgz`` in the folder
    ``path``: ``X`` ``(20640, 8)`` in scikit-learn's column order and ``y`` in $100,000;
    ``None`` when neither file is there. (The code export writes this function into its
    scripts as it stands here: it uses ``gzip``, ``tarfile`` and ``numpy`` only.)"""
    raw = None
    if (path / "cal_housing.data.gz").is_file():
        with gzip.open(path / "cal_housing.data.gz", "rt") as f:
            raw = np.loadtxt(f, delimiter=",")
    elif (path / "cal_housing.tgz").is_file():
        with tarfile.open(path / "cal_housing.tgz") as tar:
            member = tar.extractfile("CaliforniaHousing/cal_housing.data")
            raw = np.loadtxt(member, delimiter=",")
    if raw is None:
        return None
    lon, lat, age, rooms, beds, pop, hh, inc, val = raw.T
    X = np.column_stack([inc, age, rooms / hh, beds / hh, pop, pop / hh, lat, lon])
    return X, val / 100000.0


@functools.lru_cache(maxsize=8)
def _load_california(folder: str, download: bool) -> tuple[Array, Array]:
    """``X`` ``(20640, 8)`` in scikit-learn's column order and ``y`` in $100,000: the data
    folder's file, else scikit-learn's cache (or download)."""
    path = Path(folder)
    found = read_california_file(path)
    if found is not None:
        return found
    try:
        bunch = skd.fetch_california_housing(download_if_missing=download)
        return bunch.data, bunch.target
    except Exception as exc:  # OSError when not cached, URLError when offline
        raise DataNotFoundError(
            f"dataset.name: california_housing data not found. Looked for cal_housing.data.gz or "
            f"cal_housing.tgz in {path} (set ${DATA_ENV} to another folder) and in scikit-learn's "
            f"cache {skd.get_data_home()} ({type(exc).__name__}: {exc}). Get it by running "
            f"sklearn.datasets.fetch_california_housing() once with a network, or put "
            f"cal_housing.tgz (https://www.dcc.fc.up.pt/~ltorgo/Regression/cal_housing.tgz) in {path}."
        ) from None


def _read_idx(path: Path) -> Array:
    """Read a gzipped IDX file of uint8 (MNIST's format)."""
    with gzip.open(path, "rb") as f:
        b = f.read()
    if b[:3] != b"\x00\x00\x08":
        raise DataNotFoundError(f"dataset.name: {path} is not a uint8 IDX file")
    dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(b[3])]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * b[3]).reshape(dims)


@functools.lru_cache(maxsize=4)
def _load_mnist(folder: str) -> tuple[Array, Array]:
    """``X`` ``(10000, 784)`` in ``[0, 1]`` and integer labels ``(10000,)``."""
    path = Path(folder)
    images, labels = path / "t10k-images-idx3-ubyte.gz", path / "t10k-labels-idx1-ubyte.gz"
    missing = [p.name for p in (images, labels) if not p.is_file()]
    if missing:
        raise DataNotFoundError(
            f"dataset.name: mnist_subset needs {', '.join(missing)} in {path} (set ${DATA_ENV} "
            f"to the folder that has them). They are the MNIST test files from "
            f"http://yann.lecun.com/exdb/mnist/ (also mirrored by torchvision)."
        )
    X = _read_idx(images).reshape(-1, 784).astype(np.float64) / 255.0
    return X, _read_idx(labels).astype(np.int64)


def _load_real(name: str, folder: Path, download: bool) -> tuple[Array, Array, list[str], list[str] | None]:
    """The whole real dataset: ``X``, target (values or integer labels), names."""
    if name == "california_housing":
        X, y = _load_california(str(folder), download)
        names = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup",
                 "Latitude", "Longitude"]
        return X, y, names, None
    if name == "digits":
        bunch = skd.load_digits()
        return bunch.data / 16.0, bunch.target, [f"px{i}" for i in range(64)], [str(c) for c in range(10)]
    if name == "diabetes":
        bunch = skd.load_diabetes(scaled=False)
        return bunch.data, bunch.target, list(bunch.feature_names), None
    if name == "mnist_subset":
        X, labels = _load_mnist(str(folder))
        return X, labels, [f"px{i}" for i in range(784)], [str(c) for c in range(10)]
    raise AssertionError(name)


# --------------------------------------------------------------------------
# The one entry point
# --------------------------------------------------------------------------
def load_dataset(
    name: str = "xor",
    n_samples: int | None = None,
    noise: float = 0.1,
    test_fraction: float | None = None,
    seed: int = 0,
    X: Any = None,
    y: Any = None,
    task: str | None = None,
    standardize: bool | None = None,
    *,
    data_dir: str | Path | None = None,
    download: bool = True,
) -> Dataset:
    """Generate or load a dataset and split it into train and test parts.

    ``n_samples`` defaults to the dataset's usual size (all of it for real
    data; a smaller number draws a seeded subsample). ``noise`` applies to toy
    data only. ``test_fraction`` defaults to 0.2 (0 for ``inline``). The split
    is ``train_test_split(..., random_state=seed)``, as seed 003 does it with 42.
    ``task`` and ``standardize`` are for ``inline`` data: its task (default
    regression) and whether to fit a ``StandardScaler`` on its training part
    (inputs, and regression targets), as real data is (default false).
    ``data_dir`` is the folder real data is read from (:func:`data_folder`), and
    ``download`` whether scikit-learn may download what is missing there and in its cache.
    """
    info = get_info(name)
    if test_fraction is None:
        test_fraction = 0.0 if name == "inline" else 0.2
    if not (0 <= test_fraction < 1):
        raise ValueError(f"dataset.test_fraction: must be in [0, 1), got {test_fraction!r}")
    if not (isinstance(noise, (int, float)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"dataset.noise: must be a finite number >= 0, got {noise!r}")
    spec = {"name": name, "n_samples": n_samples, "noise": float(noise),
            "test_fraction": float(test_fraction), "seed": int(seed)}
    if name == "inline":
        return _inline(X, y, spec, task, bool(standardize))
    if standardize:
        raise ValueError(f"dataset.standardize: only read when dataset.name is 'inline', not {name!r}")
    if X is not None or y is not None:
        raise ValueError(f"dataset.X: X and y are only read when dataset.name is 'inline', not {name!r}")
    rng = np.random.default_rng(seed)
    if info.kind == "toy":
        n = info.n_samples if n_samples is None else int(n_samples)
        if not (4 <= n <= MAX_TOY_SAMPLES):
            raise ValueError(f"dataset.n_samples: must be between 4 and {MAX_TOY_SAMPLES} for {name}, got {n}")
        Xall, target = TOY_GENERATORS[name](rng, n, float(noise))
        feature_names = ["x1", "x2"][: Xall.shape[1]]
        class_names = ["0", "1"] if info.task == "classification" else None
    else:
        Xall, target, feature_names, class_names = _load_real(name, data_folder(data_dir), download)
        n_all = Xall.shape[0]
        n = n_all if n_samples is None else int(n_samples)
        if not (10 <= n <= n_all):
            raise ValueError(f"dataset.n_samples: must be between 10 and {n_all} for {name}, got {n}")
        if n < n_all:
            keep = np.sort(rng.choice(n_all, n, replace=False))
            Xall, target = Xall[keep], target[keep]
    Y = _targets(target, info)
    stratify = target if info.task == "classification" and test_fraction > 0 and _can_stratify(target, test_fraction) else None
    if test_fraction > 0:
        X_tr, X_te, y_tr, y_te = train_test_split(
            Xall, Y, test_size=test_fraction, random_state=seed, stratify=stratify)
    else:
        X_tr, X_te, y_tr, y_te = Xall, Xall[:0], Y, Y[:0]
    ds = Dataset(name, info.task, info.description, X_tr, y_tr, X_te, y_te, feature_names, spec,
                 class_names=class_names)
    if name in ("california_housing", "diabetes"):
        _standardise(ds)
    if name == "digits":
        ds.image_shape = (8, 8)
    elif name == "mnist_subset":
        ds.image_shape = (28, 28)
    return ds


def _targets(target: Array, info: DatasetInfo) -> Array:
    """Targets as ``(m, n_outputs)``: 0/1 column, one-hot rows, or values."""
    if info.task == "regression":
        return np.asarray(target, dtype=np.float64).reshape(-1, 1)
    labels = np.asarray(target, dtype=np.int64)
    if info.n_outputs == 1:
        return labels.reshape(-1, 1).astype(np.float64)
    return np.eye(info.n_outputs)[labels]


def _can_stratify(labels: Array, test_fraction: float) -> bool:
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    counts = counts[counts > 0]
    return counts.min() >= 2 and len(labels) * test_fraction >= len(counts)


def _standardise(ds: Dataset) -> None:
    """Seed 003's scaling: fit on the training part only, X and y alike
    (class labels are left as they are)."""
    def scaled(scaler: StandardScaler, A: Array) -> Array:
        return scaler.transform(A) if A.shape[0] else A  # inline data may have no test part

    sx = StandardScaler().fit(ds.X_train)
    ds.X_train, ds.X_test = sx.transform(ds.X_train), scaled(sx, ds.X_test)
    ds.extra["x_mean"], ds.extra["x_std"] = sx.mean_.copy(), sx.scale_.copy()
    if ds.task != "regression":
        return
    sy = StandardScaler().fit(ds.y_train)
    ds.y_train, ds.y_test = sy.transform(ds.y_train), scaled(sy, ds.y_test)
    ds.y_mean, ds.y_std = sy.mean_.copy(), sy.scale_.copy()


def _inline(X: Any, y: Any, spec: dict[str, Any], task: str | None, standardize: bool) -> Dataset:
    if X is None or y is None:
        raise ValueError("dataset.X: inline data needs both X and y")
    Xa = _finite_matrix(X, "dataset.X")
    ya = _finite_matrix(y, "dataset.y", allow_vector=True)
    if Xa.shape[0] != ya.shape[0]:
        raise ValueError(f"dataset.y: {ya.shape[0]} rows for {Xa.shape[0]} rows of X")
    task = task or "regression"
    if task not in ("regression", "classification"):
        raise ValueError(f"dataset.task: must be 'regression' or 'classification', got {task!r}")
    frac, seed = spec["test_fraction"], spec["seed"]
    if frac > 0:
        n_test = int(np.ceil(frac * Xa.shape[0]))
        if n_test >= Xa.shape[0]:
            raise ValueError(f"dataset.test_fraction: {frac} leaves no training samples of {Xa.shape[0]}")
        X_tr, X_te, y_tr, y_te = train_test_split(Xa, ya, test_size=frac, random_state=seed)
    else:
        X_tr, X_te, y_tr, y_te = Xa, Xa[:0], ya, ya[:0]
    class_names = None
    if task == "classification" and np.isin(ya, (0.0, 1.0)).all():  # a 0/1 column or one-hot rows
        class_names = ["0", "1"] if ya.shape[1] == 1 else [str(k) for k in range(ya.shape[1])]
    spec = {**spec, "X": Xa.tolist(), "y": ya.tolist(), "task": task, "standardize": standardize}
    ds = Dataset("inline", task, DATASETS["inline"].description, X_tr, y_tr, X_te, y_te,
                 [f"x{i + 1}" for i in range(Xa.shape[1])], spec, class_names=class_names)
    if standardize:
        _standardise(ds)
    return ds


def _finite_matrix(value: Any, field: str, allow_vector: bool = False) -> Array:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: must be a list of rows of numbers of equal length") from None
    if allow_vector and arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{field}: must be a non-empty list of rows (a 2-D array), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{field}: must be finite numbers (no NaN or infinity)")
    return arr


def list_datasets() -> list[dict[str, Any]]:
    """Metadata of every dataset, as ``GET /api/datasets`` lists it."""
    return [info.as_dict() for info in DATASETS.values()]
