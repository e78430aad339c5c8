"""The one entry point: :func:`load_dataset` generates or reads a dataset, splits it into
train and test parts, and standardises it.

Real data is standardised as in the California-housing experiment of the reference
write-up: the scalers are fit on the training part only (scikit-learn's
``StandardScaler``) and regression targets are standardised too, with
:meth:`~.dataset.Dataset.to_original_units` to undo it. Pixel data (``digits``,
``mnist_subset``) is scaled to ``[0, 1]`` instead, so that first-layer weights read as images.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .catalogue import DATASETS, DatasetInfo, get_info
from .dataset import Dataset
from .real import _load_real, data_folder
from .toy import MAX_TOY_SAMPLES, TOY_GENERATORS

Array = np.ndarray


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
    is ``train_test_split(..., random_state=seed)``, as the California-housing experiment
    of the reference write-up does it (with 42).
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
    """The reference write-up's scaling: fit on the training part only, X and y alike
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
