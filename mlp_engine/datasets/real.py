"""Real data files: where they are looked for and how each is read.

Files are looked for in the data folder ``data_dir`` (an argument of
:func:`~.load.load_dataset`; default ``../shared/datasets/`` beside the project),
then in scikit-learn's own cache (and, when ``download`` is true,
scikit-learn's usual download). The engine reads no environment: the server
passes ``$MLP_PLAYGROUND_DATA`` and ``$MLP_PLAYGROUND_DOWNLOAD`` as those arguments.
"""
from __future__ import annotations

import functools
import gzip
import tarfile
from pathlib import Path

import numpy as np
from sklearn import datasets as skd

Array = np.ndarray

DATA_ENV = "MLP_PLAYGROUND_DATA"
"""The server setting that names the data folder (the messages below point to it)."""

DEFAULT_FOLDERS: list[Path] = []
"""Folders tried first when no ``data_dir`` is given (a test harness in a clone made away
from ``shared/`` adds the one beside its origin); then ``../shared/datasets``."""


def data_folder(data_dir: str | Path | None = None) -> Path:
    """Where real data files are read from: ``data_dir``, or the first of
    :data:`DEFAULT_FOLDERS` and ``../shared/datasets`` (beside the project, or beside the
    working folder) that exists."""
    if data_dir:
        return Path(data_dir).expanduser()
    project_root = Path(__file__).resolve().parents[2]
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
