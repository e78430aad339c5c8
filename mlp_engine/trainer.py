"""The trainer: one backward pass or whole epochs, with history.

A :class:`Trainer` owns a model, an optimizer and a dataset. Each epoch visits
the training set in an order drawn from the trainer's own seeded generator;
:meth:`Trainer.step` takes the next minibatch of that order (or the samples
you name), :meth:`Trainer.run_epochs` finishes whole epochs. Per epoch it
records (:mod:`.records`) the train loss (the sample-weighted mean of the
epoch's minibatch objectives, as scikit-learn and Keras report it), the test
loss (the objective on the whole test set after the epoch), each layer's
gradient norm (the mean of ``||dW[l]||_F`` over the epoch's steps), the
learning rate and the metrics of :mod:`.metrics`; a learning-rate schedule
and early stopping on the test loss come from :mod:`.schedules`.

A non-finite loss (divergence) is reported through ``finite`` fields and
stops :meth:`run_epochs`; nothing raises from inside NumPy.

:meth:`run_epochs` is the hot path: it enters ``np.errstate`` once, and its
steps write into preallocated arrays (a :class:`~.model.Workspace` per batch
size, one gradient buffer), so that NumPy's per-call cost, not Python or the
allocator, sets the pace. :meth:`step` hands back a trace whose arrays are
its own.

Editing a parameter and undo live in :mod:`.undo`, saving and loading in
:mod:`.checkpoint`; :func:`~.factory.make_trainer` builds a trainer from a
config dict.
"""
from __future__ import annotations

import copy
from collections import deque
from typing import Any, Callable, Sequence

import numpy as np

from . import metrics
from .checkpoint import Checkpointing
from .datasets import Dataset
from .model import MLP
from .params import Params
from .trace import ForwardCache, Gradients
from .workspace import Workspace
from .optimizers import Optimizer
from .records import Distributions, EpochRecord, History, StepResult
from .schedules import EarlyStopping, Schedule
from .undo import DEFAULT_UNDO_DEPTH, DEFAULT_UNDO_MAX_PARAMS, Undoable

Array = np.ndarray

EPOCH_GATHER_BYTES = 4 << 20
"""Training sets up to this size are copied into the epoch's order once per
epoch; larger ones a minibatch at a time."""



def epoch_batches(n_train: int, batch_size: int) -> tuple[int, int]:
    """An epoch's minibatches: ``full`` of ``batch_size`` rows, then one more of ``rest``
    rows when ``rest > 0`` (consecutive slices of the epoch's order)."""
    return divmod(n_train, batch_size)


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """The training steps of one epoch: ``ceil(n_train / batch_size)``."""
    full, rest = epoch_batches(n_train, batch_size)
    return full + (rest > 0)


class Trainer(Undoable, Checkpointing):
    """Minibatch training of ``model`` on ``data`` with ``optimizer``.

    ``rng`` draws each epoch's sample order (when ``shuffle``). The training
    arrays are cast once to the model's dtype. ``schedule`` sets the learning
    rate from ``optimizer.learning_rate`` of the config (or the optimizer's
    initial rate); ``early_stopping`` ends :meth:`run_epochs` for good once the
    test loss stops improving. ``undo_depth`` snapshots are kept when the
    model has at most ``undo_max_params`` parameters (none otherwise).
    ``dropout_rng`` draws the dropout masks of every training step (only
    when the model has dropout), so that the epoch orders do not depend on it.
    """

    def __init__(self, model: MLP, optimizer: Optimizer, data: Dataset, batch_size: int = 32,
                 shuffle: bool = True, rng: np.random.Generator | None = None,
                 config: dict[str, Any] | None = None, schedule: Schedule | None = None,
                 early_stopping: EarlyStopping | None = None, undo_depth: int = DEFAULT_UNDO_DEPTH,
                 undo_max_params: int = DEFAULT_UNDO_MAX_PARAMS,
                 dropout_rng: np.random.Generator | None = None) -> None:
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
        self.dropout_rng = (dropout_rng or np.random.default_rng()) if model.dropout else None
        self.config = config or {}
        dt = model.W[0].dtype
        self.X = np.ascontiguousarray(data.X_train, dtype=dt)
        self.y = np.ascontiguousarray(data.y_train, dtype=dt)
        self.X_test = np.ascontiguousarray(data.X_test, dtype=dt)
        self.y_test = np.ascontiguousarray(data.y_test, dtype=dt)
        self._grad_buffer = Params(model.layers, np.empty_like(model.params.flat), model.batch_norm)
        self.epoch = 0
        self.step_count = 0
        self.history = History()
        self.distributions = Distributions(model.n_layers)
        self._last_step: tuple[ForwardCache, Gradients] | None = None
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
        for value, name in ((undo_depth, "undo_depth"), (undo_max_params, "undo_max_params")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: must be a whole number >= 0, got {value!r}")
        self.undo_limit = undo_max_params
        self.undo_depth = undo_depth if model.n_params <= undo_max_params else 0
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
        return steps_per_epoch(self.n_train, self.batch_size)

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
        if self._last_step is not None:
            cache, grads = self._last_step
            self.distributions.record(self.epoch, self.model.W, grads.dW, cache.a)
            self._last_step = None
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
        if model._plain:
            cache = model._forward(Xb, ws)
        else:  # training mode: this step's dropout masks, batch norm on the batch's statistics
            masks = None if self.dropout_rng is None else model.draw_masks(self.dropout_rng, Xb.shape[0])
            cache = model._forward(Xb, ws, True, masks)
            model.update_running(cache)
        grads = model._backward(cache, yb, None if ws is None else self._grad_buffer, ws)
        if self._per_update:
            opt.learning_rate = self._scheduled_rate(self.epoch, opt.t + 1)
        opt.apply(model.params.flat, grads.flat)
        self._last_step = (cache, grads)  # the epoch's distributions read its last step
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
            # The masks the step would draw, from a copy: a preview changes nothing.
            masks = None if self.dropout_rng is None else self.model.draw_masks(
                copy.deepcopy(self.dropout_rng), Xb.shape[0])
            cache = self.model.forward(Xb, train=True, masks=masks)
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

    def run_epochs(self, count: int = 1, keep_going: Callable[[], bool] | None = None) -> list[EpochRecord]:
        """Train ``count`` epochs (the first one finishes the current epoch if
        it is under way). Stops early after an epoch whose loss is not finite
        and when early stopping says so; once stopped it trains nothing.

        ``keep_going`` is asked before every batch: when it answers false the
        run ends there, mid-epoch if need be (the position is kept, as after
        single steps), and the finished epochs' records are returned."""
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
                    if keep_going is not None and not keep_going():
                        self._cursor = lo  # the batches before lo are done
                        return records
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
            loss = float(model.loss_fn.value(cache.z[-1], out, self.y_test, model.output_activation)
                         + model.penalty())
            if self._classify:
                found = metrics.from_sums(self.task, m, metrics.correct(out, self.y_test), self._acc_sse, None)
            else:
                found = metrics.from_sums(self.task, m, 0, metrics.squared_errors(out, self.y_test),
                                          self._sst_test)
        return loss, found

    @property
    def finite(self) -> bool:
        """False once any parameter (``gamma`` and ``beta`` included) is NaN or infinite."""
        return bool(np.isfinite(self.model.params.flat).all())

    def __repr__(self) -> str:
        return (f"Trainer({self.model!r}, optimizer={self.optimizer!r}, data={self.data!r}, "
                f"epoch={self.epoch}, step={self.step_count})")


__all__ = ["Trainer", "EPOCH_GATHER_BYTES", "epoch_batches", "steps_per_epoch", "DEFAULT_UNDO_DEPTH", "DEFAULT_UNDO_MAX_PARAMS"]
