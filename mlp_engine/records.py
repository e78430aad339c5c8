"""What training records: one epoch (:class:`EpochRecord`), every epoch so far
(:class:`History`) and one step's trace (:class:`StepResult`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import ForwardCache, Gradients

Array = np.ndarray


@dataclass
class History:
    """Per-epoch records; ``test_loss`` is ``None`` when there is no test set.

    ``learning_rate`` is the rate of each epoch's last update; ``metrics``
    maps ``train_accuracy``/``test_accuracy`` (classification) or
    ``train_rmse``, ``test_rmse``, ``train_r2``, ``test_r2`` (regression) to
    one value per epoch (``None`` where undefined, e.g. no test set)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float | None] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    metrics: dict[str, list[float | None]] = field(default_factory=dict)

    def as_dict(self, extras: bool = False) -> dict[str, Any]:
        """The loss lists; with ``extras`` also ``learning_rate`` and the metrics."""
        out = {"train_loss": list(self.train_loss), "test_loss": list(self.test_loss),
               "grad_norms": [list(g) for g in self.grad_norms]}
        if extras:
            out["learning_rate"] = list(self.learning_rate)
            out.update((k, list(v)) for k, v in self.metrics.items())
        return out

    def append(self, rec: "EpochRecord") -> None:
        self.train_loss.append(rec.train_loss)
        self.test_loss.append(rec.test_loss)
        self.grad_norms.append(rec.grad_norms)
        self.learning_rate.append(rec.learning_rate)
        for k, v in rec.metrics.items():
            self.metrics.setdefault(k, []).append(v)

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` epochs (undo)."""
        for values in (self.train_loss, self.test_loss, self.grad_norms, self.learning_rate,
                       *self.metrics.values()):
            del values[n:]


@dataclass
class EpochRecord:
    """One finished epoch."""

    epoch: int
    train_loss: float
    test_loss: float | None
    grad_norms: list[float]
    learning_rate: float = math.nan
    metrics: dict[str, float | None] = field(default_factory=dict)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.train_loss) and (self.test_loss is None or math.isfinite(self.test_loss))


@dataclass
class StepResult:
    """One forward and backward pass over a minibatch, then (maybe) the update.

    ``cache`` and ``grads`` were computed with the parameters *before* the
    update; ``indices`` are rows of the training set, ``X`` ``(m, d_in)`` and
    ``y`` ``(m, d_out)`` the batch itself.
    """

    step: int
    indices: Array
    X: Array
    y: Array
    cache: ForwardCache
    grads: Gradients
    applied: bool
    epoch_finished: EpochRecord | None = None
    learning_rate: float = math.nan
    """The rate this update used (for a preview: the one it would use)."""

    @property
    def loss(self) -> float:
        return self.grads.loss

    @property
    def finite(self) -> bool:
        return self.grads.finite


__all__ = ["History", "EpochRecord", "StepResult"]
