"""What a dataset is: :class:`DatasetInfo` before it is loaded, :class:`Dataset` after.

Samples are rows: ``X_train`` ``(m, n_features)`` and ``y_train`` ``(m, n_outputs)``;
binary classification targets are a 0/1 column, multi-class targets are one-hot.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..features import check_features, transform

Array = np.ndarray


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
