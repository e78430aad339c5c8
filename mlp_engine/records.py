"""What training records: one epoch (:class:`EpochRecord`), every epoch so far
(:class:`History`), the spread of each layer's numbers over the epochs
(:class:`Distributions`) and one step's trace (:class:`StepResult`)."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .trace import ForwardCache, Gradients

Array = np.ndarray


KEPT_CUTS = 64
"""How many recent cuts a :class:`History` remembers for :meth:`History.kept_since`."""


@dataclass
class History:
    """Per-epoch records; ``test_loss`` is ``None`` when there is no test set.

    ``learning_rate`` is the rate of each epoch's last update; ``metrics``
    maps ``train_accuracy``/``test_accuracy`` (classification) or
    ``train_rmse``, ``test_rmse``, ``train_r2``, ``test_r2`` (regression) to
    one value per epoch (``None`` where undefined, e.g. no test set).

    Entries are only ever appended, or cut off at the end (:meth:`truncate`,
    undo), so whoever keeps a copy or an encoding of the lists can ask
    :meth:`kept_since` how much of it still holds and redo only the rest
    (a long history is then saved in time proportional to what is new).

    Each epoch's ``grad_norms`` (one per weight layer) is kept as a tuple: a
    tuple of floats is untracked by the garbage collector after its first
    pass, where a list would be traced on every full pass for as long as the
    session lives (a million epochs: a million lists, and seconds of passes)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float | None] = field(default_factory=list)
    grad_norms: list[tuple[float, ...]] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    cuts: int = field(default=0, compare=False)
    """How many times :meth:`truncate` has cut the lists."""
    _recent_cuts: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=KEPT_CUTS),
                                                 compare=False, repr=False)

    def __post_init__(self) -> None:
        if not all(type(g) is tuple for g in self.grad_norms):
            self.grad_norms = [g if type(g) is tuple else tuple(g) for g in self.grad_norms]

    def columns(self, extras: bool = False) -> dict[str, list[Any]]:
        """The per-epoch lists themselves (not copies), by the names :meth:`as_dict` uses."""
        out: dict[str, list[Any]] = {"train_loss": self.train_loss, "test_loss": self.test_loss,
                                     "grad_norms": self.grad_norms}
        if extras:
            out["learning_rate"] = self.learning_rate
            out.update(self.metrics)
        return out

    def as_dict(self, extras: bool = False) -> dict[str, Any]:
        """The loss lists; with ``extras`` also ``learning_rate`` and the metrics (copies)."""
        return {k: [list(g) for g in v] if k == "grad_norms" else list(v) for k, v in self.columns(extras).items()}

    def kept_since(self, cuts: int) -> int | None:
        """How many leading entries are unchanged since the history had made ``cuts`` cuts
        (its :attr:`cuts` then): all of them when it has not cut since, else the shortest
        length it was cut to; ``None`` when that is too long ago to know (redo everything)."""
        if cuts == self.cuts:
            return len(self.train_loss)
        if cuts > self.cuts or cuts < self.cuts - len(self._recent_cuts):
            return None
        return min(n for number, n in self._recent_cuts if number > cuts)

    def append(self, rec: "EpochRecord") -> None:
        self.train_loss.append(rec.train_loss)
        self.test_loss.append(rec.test_loss)
        self.grad_norms.append(tuple(rec.grad_norms))
        self.learning_rate.append(rec.learning_rate)
        for k, v in rec.metrics.items():
            self.metrics.setdefault(k, []).append(v)

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` epochs (undo)."""
        for values in (self.train_loss, self.test_loss, self.grad_norms, self.learning_rate,
                       *self.metrics.values()):
            del values[n:]
        self.cuts += 1
        self._recent_cuts.append((self.cuts, n))


PERCENTILES: tuple[float, ...] = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)
"""TensorBoard's distribution bands: the extremes, +-1.5, +-1 and +-0.5 standard
deviations of a normal distribution, and the median."""

DISTRIBUTION_KINDS = ("W", "dW", "a")
MAX_DISTRIBUTION_EPOCHS = 2000


_FRACTIONS = np.asarray(PERCENTILES) / 100.0
_PLACES: dict[int, tuple[Array, Array, Array, Array]] = {}


def _places(n: int) -> tuple[Array, Array, Array, Array]:
    """For ``n`` sorted values: each percentile's neighbours ``lo``, ``hi``, its weight ``t``
    and where ``t >= 0.5`` (cached: the sizes met in training are few)."""
    got = _PLACES.get(n)
    if got is None:
        pos = _FRACTIONS * (n - 1)
        lo = np.floor(pos).astype(np.intp)
        t = pos - lo
        got = _PLACES[n] = (lo, np.minimum(lo + 1, n - 1), t, t >= 0.5)
        if len(_PLACES) > 256:  # a bound, not a policy: drop the oldest size
            del _PLACES[next(iter(_PLACES))]
    return got


def quantiles(values: Array) -> list[float]:
    """:data:`PERCENTILES` of all entries of ``values``, NumPy's ``percentile`` with its
    default (linear) method: one sort and NumPy's own interpolation, ``a + (b - a) t``
    (``b - (b - a) (1 - t)`` from ``t = 0.5``), since ``np.percentile`` itself costs more
    than an epoch of a small network; NaN when any entry is NaN, as there."""
    v = np.sort(values, axis=None)
    if not v.size:
        return [math.nan] * len(PERCENTILES)
    if np.isnan(v[-1]):  # sort puts NaN last
        return [math.nan] * len(PERCENTILES)
    lo, hi, t, upper = _places(v.size)
    a, b = v[lo], v[hi]
    d = b - a
    return np.where(upper, b - d * (1 - t), a + d * t).tolist()


@dataclass
class Distributions:
    """Per weight layer and per recorded epoch, the :data:`PERCENTILES` of ``W``
    (after the epoch), ``dW`` (of the epoch's last step) and ``a`` (the layer's
    activations over the epoch's last minibatch).

    ``layers[l][kind]`` holds one list of 9 floats per entry of ``epochs``.
    Kept: every ``stride``-th epoch, and the newest. Once more than ``limit``
    are kept, every second one goes and ``stride`` doubles, so a long run's
    record stays bounded and evenly spaced."""

    n_layers: int
    epochs: list[int] = field(default_factory=list)
    layers: list[dict[str, list[list[float]]]] = field(default_factory=list)
    stride: int = 1
    limit: int = MAX_DISTRIBUTION_EPOCHS

    def __post_init__(self) -> None:
        if not self.layers:
            self.layers = [{k: [] for k in DISTRIBUTION_KINDS} for _ in range(self.n_layers)]

    def _keep(self, places: list[int]) -> None:
        self.epochs = [self.epochs[i] for i in places]
        for layer in self.layers:
            for k in DISTRIBUTION_KINDS:
                layer[k] = [layer[k][i] for i in places]

    def record(self, epoch: int, W: list[Array], dW: list[Array], a: list[Array]) -> None:
        """Add one epoch: ``W[l]`` ``(out, in)``, ``dW[l]`` like it, ``a[l]`` ``(m, out)``."""
        if self.epochs and self.epochs[-1] % self.stride:  # it was kept only as the newest
            self._keep(list(range(len(self.epochs) - 1)))
        self.epochs.append(epoch)
        with np.errstate(all="ignore"):
            for layer, w, g, act in zip(self.layers, W, dW, a):
                layer["W"].append(quantiles(w))
                layer["dW"].append(quantiles(g))
                layer["a"].append(quantiles(act))
        if len(self.epochs) > self.limit:
            self.stride *= 2
            last = len(self.epochs) - 1
            self._keep([i for i, e in enumerate(self.epochs) if e % self.stride == 0 or i == last])

    def truncate(self, n: int) -> None:
        """Keep the epochs up to ``n`` (undo)."""
        self._keep([i for i, e in enumerate(self.epochs) if e <= n])

    def as_dict(self) -> dict[str, Any]:
        """``percentiles``, ``epochs`` and per layer ``W``, ``dW``, ``a``: one list of quantiles per epoch."""
        return {"percentiles": list(PERCENTILES), "epochs": list(self.epochs),
                "layers": [{k: [list(q) for q in layer[k]] for k in DISTRIBUTION_KINDS} for layer in self.layers]}

    def state_dict(self) -> dict[str, Any]:
        return {**self.as_dict(), "stride": self.stride}


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


__all__ = ["History", "EpochRecord", "StepResult", "Distributions", "PERCENTILES", "quantiles"]
