"""The trainer: one backward pass or whole epochs, with history.

A :class:`Trainer` owns a model, an optimizer and a dataset. Each epoch visits
the training set in an order drawn from the trainer's own seeded generator;
:meth:`Trainer.step` takes the next minibatch of that order (or the samples
you name), :meth:`Trainer.run_epochs` finishes whole epochs. Per epoch it
records the train loss (the sample-weighted mean of the epoch's minibatch
objectives, as scikit-learn and Keras report it), the test loss (the
objective on the whole test set after the epoch) and each layer's gradient
norm (the mean of ``||dW[l]||_F`` over the epoch's steps).

A non-finite loss (divergence) is reported through ``finite`` fields and
stops :meth:`run_epochs`; nothing raises from inside NumPy.

:meth:`run_epochs` is the hot path: it enters ``np.errstate`` once, and its
steps write into preallocated arrays (a :class:`~.model.Workspace` per batch
size, one gradient buffer), so that NumPy's per-call cost, not Python or the
allocator, sets the pace. :meth:`step` hands back a trace whose arrays are
its own.

:func:`make_trainer` builds everything from one plain config dict shaped like
the REST API's ``SessionConfig``; :meth:`Trainer.state_dict` and
:meth:`Trainer.from_state` save and restore all of it so that training
continues bit for bit.

Beyond the loss (issue 8): per-epoch metrics (:mod:`.metrics`), a
learning-rate schedule and early stopping on the test loss
(:mod:`.schedules`), input feature transforms (:mod:`.features`, applied to
the dataset by :func:`make_trainer`), editing one parameter
(:meth:`Trainer.edit_param`) and undo (:meth:`Trainer.undo`): the trainer
keeps snapshots of its state before its last ``undo_depth`` changes (every
applied step, every ``run_epochs`` call, every edit), so a learner can step
back exactly. All of it is in :meth:`Trainer.state_dict`.
"""
from __future__ import annotations

import copy
import math
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import metrics
from .datasets import DATASETS, Dataset, load_dataset
from .features import DEFAULT_FEATURES
from .losses import VALID_PAIRS
from .model import MLP, ForwardCache, Gradients, Params, Workspace
from .optimizers import Optimizer, make_optimizer
from .schedules import EarlyStopping, Schedule
from .state import decode, encode

Array = np.ndarray

STATE_VERSION = 1

DEFAULT_HIDDEN = [8, 8]

EPOCH_GATHER_BYTES = 4 << 20
"""Training sets up to this size are copied into the epoch's order once per
epoch; larger ones a minibatch at a time."""

UNDO_DEPTH_ENV = "MLP_PLAYGROUND_UNDO_DEPTH"
UNDO_MAX_PARAMS_ENV = "MLP_PLAYGROUND_UNDO_MAX_PARAMS"
DEFAULT_UNDO_DEPTH = 20
DEFAULT_UNDO_MAX_PARAMS = 5000
"""A snapshot holds the parameters and the optimizer's vectors (up to three
copies of ``n_params`` floats with Adam) and travels in every saved state, so
models above this size keep none; the memory bound per session is
``undo_depth * 3 * 8 * undo_max_params`` bytes (2.4 MB by default) plus the
epoch orders the snapshots refer to (shared, not copied)."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {raw!r}")
    return value


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


class Trainer:
    """Minibatch training of ``model`` on ``data`` with ``optimizer``.

    ``rng`` draws each epoch's sample order (when ``shuffle``). The training
    arrays are cast once to the model's dtype. ``schedule`` sets the learning
    rate from ``optimizer.learning_rate`` of the config (or the optimizer's
    initial rate); ``early_stopping`` ends :meth:`run_epochs` for good once the
    test loss stops improving. ``undo_depth`` (default
    ``$MLP_PLAYGROUND_UNDO_DEPTH`` or 20) snapshots are kept when the model has
    at most ``$MLP_PLAYGROUND_UNDO_MAX_PARAMS`` (5000) parameters.
    """

    def __init__(self, model: MLP, optimizer: Optimizer, data: Dataset, batch_size: int = 32,
                 shuffle: bool = True, rng: np.random.Generator | None = None,
                 config: dict[str, Any] | None = None, schedule: Schedule | None = None,
                 early_stopping: EarlyStopping | None = None, undo_depth: int | None = None) -> None:
        if data.n_features != model.layers[0] or data.n_outputs != model.layers[-1]:
            raise ValueError(
                f"model.layers: the dataset has {data.n_features} features and {data.n_outputs} "
                f"outputs, so layers must start with {data.n_features} and end with "
                f"{data.n_outputs}; got {model.layers}")
        if not (isinstance(batch_size, int) and batch_size >= 1):
            raise ValueError(f"optimizer.batch_size: must be a positive integer, got {batch_size!r}")
        self.model = model
        self.optimizer = optimizer
        self.data = data
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.rng = rng or np.random.default_rng()
        self.config = config or {}
        dt = model.W[0].dtype
        self.X = np.ascontiguousarray(data.X_train, dtype=dt)
        self.y = np.ascontiguousarray(data.y_train, dtype=dt)
        self.X_test = np.ascontiguousarray(data.X_test, dtype=dt)
        self.y_test = np.ascontiguousarray(data.y_test, dtype=dt)
        self._grad_buffer = Params(model.layers, np.empty_like(model.params.flat))
        self.epoch = 0
        self.step_count = 0
        self.history = History()
        self._order: Array | None = None
        self._X_epoch: Array | None = None
        self._y_epoch: Array | None = None
        self._cursor = 0
        self.task = data.task if data.task in metrics.METRICS else "regression"
        self.history.metrics = {k: [] for k in metrics.history_keys(self.task)}
        self._classify = self.task == "classification"
        self._sst_train = metrics.sst_per_row(self.y)
        self._sst_test = metrics.sst_per_row(self.y_test)
        self.schedule = schedule or Schedule()
        self._per_update = self.schedule.per_update
        self._lr0 = optimizer.learning_rate
        self.early_stopping = early_stopping
        if early_stopping is not None and not self.X_test.shape[0]:
            raise ValueError("optimizer.early_stopping: watches the test loss, so it needs a test split "
                             "(dataset.test_fraction > 0)")
        depth = _env_int(UNDO_DEPTH_ENV, DEFAULT_UNDO_DEPTH) if undo_depth is None else int(undo_depth)
        self.undo_limit = _env_int(UNDO_MAX_PARAMS_ENV, DEFAULT_UNDO_MAX_PARAMS)
        self.undo_depth = depth if model.n_params <= self.undo_limit else 0
        self._undo: deque[dict[str, Any]] = deque(maxlen=max(self.undo_depth, 1))
        self.revision = 0
        """Counts edits and undos: changes that leave the step count where it was."""
        self._reset_accumulators()

    # -- epoch bookkeeping --------------------------------------------------
    @property
    def n_train(self) -> int:
        return self.X.shape[0]

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self.batch_size)

    @property
    def position(self) -> int:
        """How many samples of the current epoch's order have been consumed."""
        return self._cursor

    def _reset_accumulators(self) -> None:
        self._acc_loss = 0.0
        self._acc_samples = 0
        self._acc_norms = [0.0] * self.model.n_layers
        self._acc_steps = 0
        self._acc_correct = 0  # classification: rows predicted right
        self._acc_sse = np.zeros(self.y.shape[1])  # regression: squared error per output

    @property
    def base_learning_rate(self) -> float:
        """``lr0`` of the schedule: the config's rate (live play may change it) or the initial one."""
        return float((self.config.get("optimizer") or {}).get("learning_rate", self._lr0))

    def _scheduled_rate(self, epoch: int, t: int) -> float:
        return self.schedule.rate(self.base_learning_rate, epoch, t)

    @property
    def learning_rate(self) -> float:
        """The rate the next update will use."""
        if self._per_update:
            return self._scheduled_rate(self.epoch, self.optimizer.t + 1)
        return self.optimizer.learning_rate

    @property
    def stopped(self) -> bool:
        """Whether early stopping has ended training."""
        return self.early_stopping is not None and self.early_stopping.stopped

    @property
    def stopped_epoch(self) -> int | None:
        return None if self.early_stopping is None else self.early_stopping.stopped_epoch

    def _start_epoch(self) -> None:
        n = self.n_train
        self._order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        self._gather_epoch()
        self._cursor = 0

    def _gather_epoch(self) -> None:
        # Small training sets are gathered in the epoch's order once, into the
        # same two buffers every epoch, so every minibatch is a view. A large
        # one is gathered a minibatch at a time (see _batch): copying it all
        # would cost a pass over memory that the minibatch copies avoid.
        if self.X.nbytes > EPOCH_GATHER_BYTES:
            return
        if self._X_epoch is None:
            self._X_epoch, self._y_epoch = np.empty_like(self.X), np.empty_like(self.y)
        np.take(self.X, self._order, axis=0, out=self._X_epoch)
        np.take(self.y, self._order, axis=0, out=self._y_epoch)

    def _batch(self, lo: int, hi: int, ws: Workspace | None = None) -> tuple[Array, Array]:
        """Rows ``lo:hi`` of the epoch's order: ``X`` ``(m, d_in)`` and ``y`` ``(m, d_out)``.

        Views into the epoch's buffers or, for a large training set, copies
        into ``ws`` (fresh arrays without one).
        """
        if self._X_epoch is not None:
            return self._X_epoch[lo:hi], self._y_epoch[lo:hi]
        idx = self._order[lo:hi]
        if ws is None:
            return self.X[idx], self.y[idx]
        return np.take(self.X, idx, axis=0, out=ws.X), np.take(self.y, idx, axis=0, out=ws.y)

    def _finish_epoch(self) -> EpochRecord:
        steps = max(self._acc_steps, 1)
        train = self._acc_loss / max(self._acc_samples, 1)
        test, test_metrics = self._test_pass()
        norms = [s / steps for s in self._acc_norms]
        self.epoch += 1
        rec = EpochRecord(self.epoch, train, test, norms, self.optimizer.learning_rate, {
            **{f"train_{k}": v for k, v in metrics.from_sums(
                self.task, self._acc_samples, self._acc_correct, self._acc_sse, self._sst_train).items()},
            **{f"test_{k}": v for k, v in test_metrics.items()}})
        self.history.append(rec)
        self._order = None
        self._cursor = 0
        self._reset_accumulators()
        if self.early_stopping is not None:
            self.early_stopping.update(self.epoch, test)
        if self.schedule.name == "step":  # the rate of the next epoch
            self.optimizer.learning_rate = self._scheduled_rate(self.epoch, self.optimizer.t + 1)
        return rec

    def _train_batch(self, Xb: Array, yb: Array, ws: Workspace | None = None) -> tuple[ForwardCache, Gradients]:
        """Forward, backward, update, and accumulate the epoch's statistics.

        The caller holds ``np.errstate(all="ignore")``. With a workspace
        (``run_epochs``) every array is reused and overwritten by the next
        step; without one the trace has arrays of its own (``step``).
        """
        model, opt = self.model, self.optimizer
        cache = model._forward(Xb, ws)
        grads = model._backward(cache, yb, None if ws is None else self._grad_buffer, ws)
        if self._per_update:
            opt.learning_rate = self._scheduled_rate(self.epoch, opt.t + 1)
        opt.apply(model.params.flat, grads.flat)
        self.step_count += 1
        m = Xb.shape[0]
        self._acc_loss += grads.loss * m
        self._acc_samples += m
        # Metrics from the output this step computed anyway (the parameters before the update,
        # like the loss): O(m * d_out), next to the O(m * width^2) of the step itself.
        if self._classify:
            self._acc_correct += metrics.correct(cache.a[-1], yb)
        else:
            self._acc_sse += metrics.squared_errors(cache.a[-1], yb)
        acc = self._acc_norms
        for l, g in enumerate(grads.grad_norm):
            acc[l] += g
        self._acc_steps += 1
        return cache, grads

    # -- the public moves ---------------------------------------------------
    def step(self, indices: Sequence[int] | None = None, apply: bool = True) -> StepResult:
        """One forward and backward pass over one minibatch, then the update.

        Without ``indices`` it takes the next minibatch of the current epoch's
        order (finishing the epoch when it was the last); with ``indices`` it
        takes those training rows and leaves the epoch's order where it was.
        With ``apply=False`` nothing changes: the trace is a preview. The
        result's arrays are its own (later steps do not overwrite them).
        """
        if indices is not None:
            idx = self._check_indices(indices)
        if apply:
            self._snapshot()  # before drawing a new epoch's order: undo puts that draw back too
        if indices is None:
            if self._order is None:
                self._start_epoch()
            lo = self._cursor
            hi = min(lo + self.batch_size, self.n_train)
            idx = self._order[lo:hi]
        Xb, yb = self.X[idx], self.y[idx]  # copies: the trace is kept
        if not apply:
            cache = self.model.forward(Xb)
            return StepResult(self.step_count, idx, Xb, yb, cache, self.model.backward(cache, yb), False,
                              learning_rate=self.learning_rate)
        with np.errstate(all="ignore"):  # divergence is reported, never raised
            cache, grads = self._train_batch(Xb, yb)
        rate = self.optimizer.learning_rate
        finished = None
        if indices is None:
            self._cursor = hi
            if hi >= self.n_train:
                finished = self._finish_epoch()
        return StepResult(self.step_count, idx, Xb, yb, cache, grads, True, finished, rate)

    def run_epochs(self, count: int = 1) -> list[EpochRecord]:
        """Train ``count`` epochs (the first one finishes the current epoch if
        it is under way). Stops early after an epoch whose loss is not finite
        and when early stopping says so; once stopped it trains nothing."""
        if isinstance(count, bool) or not (isinstance(count, int) and count >= 1):
            raise ValueError(f"count: must be a positive integer, got {count!r}")
        records: list[EpochRecord] = []
        if self.stopped:
            return records
        self._snapshot()
        bs, n = self.batch_size, self.n_train
        workspace, batch, train_batch = self.model.workspace, self._batch, self._train_batch
        with np.errstate(all="ignore"):  # divergence is reported, never raised
            for _ in range(count):
                if self._order is None:
                    self._start_epoch()
                for lo in range(self._cursor, n, bs):
                    hi = min(lo + bs, n)
                    ws = workspace(hi - lo)
                    train_batch(*batch(lo, hi, ws), ws)
                rec = self._finish_epoch()
                records.append(rec)
                if not rec.finite or self.stopped:
                    break
        return records

    def _check_indices(self, indices: Sequence[int]) -> Array:
        try:
            idx = np.asarray(indices, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            raise ValueError("indices: must be a list of integers") from None
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError("indices: must be a non-empty list of integers")
        if idx.min() < 0 or idx.max() >= self.n_train:
            raise ValueError(f"indices: every index must be in [0, {self.n_train}) (the training rows)")
        return idx

    # -- evaluation ---------------------------------------------------------
    def evaluate(self) -> dict[str, float | None]:
        """Objective on the whole train and test sets at the current parameters."""
        return {"train_loss": self.model.objective(self.X, self.y), "test_loss": self._test_objective()}

    def _test_objective(self) -> float | None:
        """The objective on the whole test set (``None`` without one)."""
        return self._test_pass()[0]

    def _test_pass(self) -> tuple[float | None, dict[str, float | None]]:
        """The objective and the metrics on the whole test set, from one forward pass."""
        m = self.X_test.shape[0]
        if not m:
            return None, {k: None for k in metrics.METRICS[self.task]}
        model = self.model
        with np.errstate(all="ignore"):
            # MLP._objective's own steps, keeping the forward cache for the metrics.
            cache = model._forward(self.X_test, model.workspace(m, backward=False))
            out = cache.a[-1]
            loss = model.loss_fn.value(cache.z[-1], out, self.y_test, model.output_activation)
            if model.l2:
                w = model.params.weights_flat
                loss += 0.5 * model.l2 * float(np.vdot(w, w))
            loss = float(loss)
            if self._classify:
                found = metrics.from_sums(self.task, m, metrics.correct(out, self.y_test), self._acc_sse, None)
            else:
                found = metrics.from_sums(self.task, m, 0, metrics.squared_errors(out, self.y_test),
                                          self._sst_test)
        return loss, found

    @property
    def finite(self) -> bool:
        """False once any parameter is NaN or infinite."""
        return all(bool(np.isfinite(w).all()) for w in self.model.W) and all(
            bool(np.isfinite(v).all()) for v in self.model.b)

    # -- editing and undo -----------------------------------------------------
    def edit_param(self, layer: int, name: str, index: Sequence[int], value: float) -> None:
        """Set one weight ``W[layer][i, j]`` or bias ``b[layer][i]`` to ``value`` (undoable).

        The optimizer's state is left as it is: the next update starts from the edited value."""
        L = self.model.n_layers
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < L:
            raise ValueError(f"layer: must be a weight layer in [0, {L}), got {layer!r}")
        if name not in ("W", "b"):
            raise ValueError(f"name: must be 'W' or 'b', got {name!r}")
        target = (self.model.W if name == "W" else self.model.b)[layer]
        idx = tuple(index) if isinstance(index, (list, tuple)) else None
        if idx is None or len(idx) != target.ndim or any(
                isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n for i, n in zip(idx, target.shape)):
            raise ValueError(f"index: {name}[{layer}] has shape {list(target.shape)}; give "
                             f"{'[i, j]' if name == 'W' else '[i]'} within it, got {index!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"value: must be a finite number, got {value!r}")
        self._snapshot()
        target[idx] = value
        self.revision += 1

    @property
    def undo_available(self) -> int:
        """How many changes :meth:`undo` can take back."""
        return len(self._undo) if self.undo_depth else 0

    def _snapshot(self) -> None:
        """Remember the state before a change (parameters, optimizer, RNG, position,
        accumulators, history length, early stopping). The epoch's order is shared,
        not copied: orders are replaced, never changed in place."""
        if not self.undo_depth:
            return
        self._undo.append({
            "params": self.model.params.flat.copy(),
            "optimizer": self.optimizer.state_dict(),  # copies its vectors
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "epoch": self.epoch, "step": self.step_count, "order": self._order, "cursor": self._cursor,
            "accumulators": self._accumulators(),
            "history_length": len(self.history.train_loss),
            "early_stopping": None if self.early_stopping is None else self.early_stopping.state_dict(),
        })

    def undo(self, count: int = 1) -> None:
        """Restore the state from before the last ``count`` changes, exactly."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count: must be a positive integer, got {count!r}")
        if count > self.undo_available:
            raise ValueError(f"count: {count} changes asked, {self.undo_available} can be undone")
        for _ in range(count - 1):
            self._undo.pop()
        snap = self._undo.pop()
        self.model.params.flat[...] = snap["params"]
        self.optimizer.load_state_dict(snap["optimizer"])
        self.rng.bit_generator.state = snap["rng"]
        self.epoch, self.step_count, self._cursor = snap["epoch"], snap["step"], snap["cursor"]
        self._order = snap["order"]
        if self._order is not None:
            self._gather_epoch()
        self._load_accumulators(snap["accumulators"])
        self.history.truncate(snap["history_length"])
        if self.early_stopping is not None and snap["early_stopping"] is not None:
            self.early_stopping.load_state_dict(snap["early_stopping"])
        self.revision += 1

    def _accumulators(self) -> dict[str, Any]:
        return {"loss": self._acc_loss, "samples": self._acc_samples, "norms": list(self._acc_norms),
                "steps": self._acc_steps, "correct": self._acc_correct, "sse": self._acc_sse.copy()}

    def _load_accumulators(self, acc: dict[str, Any]) -> None:
        self._acc_loss, self._acc_samples = float(acc["loss"]), int(acc["samples"])
        self._acc_norms, self._acc_steps = [float(x) for x in acc["norms"]], int(acc["steps"])
        self._acc_correct = int(acc.get("correct", 0))
        sse = acc.get("sse")
        self._acc_sse = np.zeros(self.y.shape[1]) if sse is None else np.array(sse, dtype=np.float64)
        if self._acc_sse.shape != (self.y.shape[1],):
            raise ValueError(f"state.accumulators.sse: expected {self.y.shape[1]} numbers")

    # -- save and load ------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly, JSON-safe (see :mod:`.state`).

        Undo snapshots name their epoch order by its place in ``undo.orders``
        (one copy of each distinct order; ``-1``: the current one)."""
        orders: list[Array] = []
        slots: dict[int, int] = {}

        def order_ref(order: Array | None) -> int | None:
            if order is None:
                return None
            if order is self._order:
                return -1
            if id(order) not in slots:
                slots[id(order)] = len(orders)
                orders.append(order)
            return slots[id(order)]

        snaps = [{**snap, "order": order_ref(snap["order"])} for snap in self._undo] if self.undo_depth else []
        return encode({
            "version": STATE_VERSION,
            "config": self.config,
            "params": {"W": self.model.W, "b": self.model.b},
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "epoch": self.epoch,
            "step": self.step_count,
            "order": self._order,
            "cursor": self._cursor,
            "accumulators": self._accumulators(),
            "history": self.history.as_dict(extras=True),
            "early_stopping": None if self.early_stopping is None else self.early_stopping.state_dict(),
            "undo": {"orders": orders, "snapshots": snaps},
        })

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Trainer":
        """Rebuild a trainer from :meth:`state_dict` output; it continues bit for bit."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"version: expected a state of version {STATE_VERSION}")
        s = decode(state)
        trainer = make_trainer(s["config"])
        trainer.load_state(s)
        return trainer

    def load_state(self, s: dict[str, Any]) -> None:
        """Restore decoded state (params, optimizer, RNG, position, history, early
        stopping, undo snapshots). States saved before these existed load too."""
        dt = self.model.W[0].dtype
        self.model.set_params([np.asarray(w, dtype=dt) for w in s["params"]["W"]],
                              [np.asarray(v, dtype=dt) for v in s["params"]["b"]], finite=False)
        self.optimizer.load_state_dict(s["optimizer"])
        self.rng.bit_generator.state = s["rng"]
        self.epoch, self.step_count = int(s["epoch"]), int(s["step"])
        self._order = None
        if s["order"] is not None:
            self._order = np.asarray(s["order"], dtype=np.int64)
            self._gather_epoch()
        self._cursor = int(s["cursor"])
        self._load_accumulators(s["accumulators"])
        h = s["history"]
        n = len(h["train_loss"])
        self.history = History([float(x) for x in h["train_loss"]],
                               [None if x is None else float(x) for x in h["test_loss"]],
                               [[float(x) for x in g] for g in h["grad_norms"]],
                               [float(x) for x in h.get("learning_rate", [math.nan] * n)],
                               {k: [None if x is None else float(x) for x in h.get(k, [None] * n)]
                                for k in metrics.history_keys(self.task)})
        if any(len(v) != n for v in (self.history.learning_rate, *self.history.metrics.values())):
            raise ValueError(f"state.history: needs one entry per epoch ({n}) in every list")
        es = s.get("early_stopping")
        if self.early_stopping is not None and es is not None:
            self.early_stopping.load_state_dict(es)
        self._load_undo(s.get("undo") or {})

    def _load_undo(self, undo: dict[str, Any]) -> None:
        """Snapshots from a saved state, each checked against this model and data."""
        self._undo.clear()
        if not self.undo_depth:
            return
        orders = [np.asarray(o, dtype=np.int64) for o in undo.get("orders", [])]
        for o in orders:
            if o.shape != (self.n_train,) or not np.array_equal(np.sort(o), np.arange(self.n_train)):
                raise ValueError(f"state.undo.orders: each must be a permutation of the {self.n_train} training rows")
        snaps = list(undo.get("snapshots", []))[-self.undo_depth:]
        for k, snap in enumerate(snaps):
            try:
                params = np.asarray(snap["params"], dtype=self.model.params.flat.dtype)
                ref = snap["order"]
                order = None if ref is None else (self._order if ref == -1 else orders[ref])
                if params.shape != self.model.params.flat.shape or (ref == -1 and order is None):
                    raise ValueError
                for key, value in snap["optimizer"].items():
                    if isinstance(value, np.ndarray) and value.shape != params.shape:
                        raise ValueError
                if not 0 <= int(snap["history_length"]) <= len(self.history.train_loss):
                    raise ValueError
                if int(snap["cursor"]) > (self.n_train if order is not None else 0):
                    raise ValueError
                self._undo.append({**snap, "params": params, "order": order,
                                   "epoch": int(snap["epoch"]), "step": int(snap["step"]),
                                   "cursor": int(snap["cursor"]), "history_length": int(snap["history_length"])})
            except (KeyError, TypeError, ValueError, IndexError):
                raise ValueError(f"state.undo.snapshots[{k}]: does not fit this session's model and data") from None

    def __repr__(self) -> str:
        return (f"Trainer({self.model!r}, optimizer={self.optimizer!r}, data={self.data!r}, "
                f"epoch={self.epoch}, step={self.step_count})")


# --------------------------------------------------------------------------
# Building from a config dict (the shape of the REST API's SessionConfig)
# --------------------------------------------------------------------------
def default_output(task: str, n_outputs: int) -> tuple[str, str]:
    """The usual output activation and loss for a task."""
    if task == "regression":
        return "linear", "mse"
    if n_outputs == 1:
        return "sigmoid", "binary_cross_entropy"
    return "softmax", "cross_entropy"


def resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Fill every default of a (possibly partial) config so that it is complete
    and reproduces the same run when given again. Does not load data."""
    cfg = copy.deepcopy(config or {})
    seed = cfg.get("seed")
    cfg["seed"] = 0 if seed is None else seed
    ds = {k: v for k, v in (cfg.get("dataset") or {}).items() if v is not None}
    ds.setdefault("name", "xor")
    ds.setdefault("seed", cfg["seed"])
    if ds["name"] == "inline":
        ds.setdefault("task", "regression")
        ds.setdefault("standardize", False)
    cfg["dataset"] = ds
    cfg["model"] = {k: v for k, v in (cfg.get("model") or {}).items() if v is not None}
    opt = {k: v for k, v in (cfg.get("optimizer") or {}).items() if v is not None}
    opt.setdefault("name", "sgd")
    opt.setdefault("learning_rate", 0.01 if opt["name"] == "adam" else 0.1)
    opt.setdefault("batch_size", 16)
    opt.setdefault("momentum", 0.9)
    opt.setdefault("nesterov", False)
    opt.setdefault("l2", 0.0)
    opt.setdefault("shuffle", True)
    opt.setdefault("clip_norm", None)
    # Popped and put back so that the key order (and a saved state's bytes) never depends on the input's.
    opt["schedule"] = Schedule.from_config(opt.pop("schedule", None)).as_config()
    es = EarlyStopping.from_config(opt.pop("early_stopping", None))
    opt["early_stopping"] = None if es is None else es.as_config()
    cfg["optimizer"] = opt
    return cfg


def make_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for initialisation and batch order from one seed."""
    init_ss, order_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_ss), np.random.default_rng(order_ss)


def make_trainer(config: dict[str, Any] | None = None, data: Dataset | None = None) -> Trainer:
    """Build data, model, optimizer and trainer from a ``SessionConfig``-shaped dict.

    ``{"dataset": {...}, "model": {...}, "optimizer": {...}, "seed": int}``;
    every field is optional. Missing ``model.layers`` become
    ``[n_features, 8, 8, n_outputs]``; missing output activation and loss
    follow the task. ``data`` may be passed to skip loading it again.
    ``dataset.features`` (1-D and 2-D data only; default the raw inputs)
    turns the inputs into those features, so the default input size follows.
    The trainer's ``config`` is the complete, resolved config.
    """
    cfg = resolve_config(config)
    ds_cfg, m_cfg, o_cfg = cfg["dataset"], cfg["model"], cfg["optimizer"]
    if data is None:
        data = load_dataset(**{k: v for k, v in ds_cfg.items() if k != "features"})
    d_raw = data.raw_train.shape[1]
    if d_raw in DEFAULT_FEATURES:
        ds_cfg["features"] = list(ds_cfg.get("features") or DEFAULT_FEATURES[d_raw])
        data = data.with_features(ds_cfg["features"])
    elif "features" in ds_cfg:
        raise ValueError(f"dataset.features: feature transforms apply to datasets with 1 or 2 inputs; "
                         f"{ds_cfg['name']} has {d_raw}")
    if "layers" not in m_cfg:
        if m_cfg.get("weights") is not None:
            W = m_cfg["weights"]
            m_cfg["layers"] = [len(W[0][0]) if W and W[0] else data.n_features] + [len(w) for w in W]
        else:
            m_cfg["layers"] = [data.n_features, *DEFAULT_HIDDEN, data.n_outputs]
    out, loss = m_cfg.get("output_activation"), m_cfg.get("loss")
    if out is None:
        # Follow the loss when one is given (cross_entropy implies softmax), else the task.
        out = next((o for o, ls in VALID_PAIRS.items() if loss in ls), None) if loss else None
        out = out or default_output(data.task, data.n_outputs)[0]
    m_cfg["output_activation"] = out
    m_cfg["loss"] = loss or VALID_PAIRS.get(out, ("mse",))[0]
    m_cfg.setdefault("activation", "relu")
    m_cfg.setdefault("init", "he")
    m_cfg.setdefault("dtype", "float64")
    init_rng, order_rng = make_rngs(cfg["seed"])
    model = MLP(m_cfg["layers"], m_cfg["activation"], m_cfg["output_activation"], m_cfg["loss"],
                m_cfg["init"], init_rng, m_cfg.get("weights"), m_cfg.get("biases"),
                l2=o_cfg["l2"], dtype=m_cfg["dtype"])
    optimizer = make_optimizer(o_cfg["name"], o_cfg["learning_rate"], momentum=o_cfg["momentum"],
                               nesterov=o_cfg["nesterov"], clip_norm=o_cfg["clip_norm"])
    return Trainer(model, optimizer, data, o_cfg["batch_size"], o_cfg["shuffle"], order_rng, cfg,
                   Schedule.from_config(o_cfg["schedule"]), EarlyStopping.from_config(o_cfg["early_stopping"]))


__all__ = ["Trainer", "History", "EpochRecord", "StepResult", "make_trainer", "resolve_config",
           "make_rngs", "default_output", "DATASETS"]
