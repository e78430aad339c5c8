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
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .datasets import DATASETS, Dataset, load_dataset
from .losses import VALID_PAIRS
from .model import MLP, ForwardCache, Gradients, Params, Workspace
from .optimizers import Optimizer, make_optimizer
from .state import decode, encode

Array = np.ndarray

STATE_VERSION = 1

DEFAULT_HIDDEN = [8, 8]

EPOCH_GATHER_BYTES = 4 << 20
"""Training sets up to this size are copied into the epoch's order once per
epoch; larger ones a minibatch at a time."""


@dataclass
class History:
    """Per-epoch records; ``test_loss`` is ``None`` when there is no test set."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float | None] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"train_loss": list(self.train_loss), "test_loss": list(self.test_loss),
                "grad_norms": [list(g) for g in self.grad_norms]}


@dataclass
class EpochRecord:
    """One finished epoch."""

    epoch: int
    train_loss: float
    test_loss: float | None
    grad_norms: list[float]

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

    @property
    def loss(self) -> float:
        return self.grads.loss

    @property
    def finite(self) -> bool:
        return self.grads.finite


class Trainer:
    """Minibatch training of ``model`` on ``data`` with ``optimizer``.

    ``rng`` draws each epoch's sample order (when ``shuffle``). The training
    arrays are cast once to the model's dtype.
    """

    def __init__(self, model: MLP, optimizer: Optimizer, data: Dataset, batch_size: int = 32,
                 shuffle: bool = True, rng: np.random.Generator | None = None,
                 config: dict[str, Any] | None = None) -> None:
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
        test = self._test_objective()
        norms = [s / steps for s in self._acc_norms]
        self.epoch += 1
        rec = EpochRecord(self.epoch, train, test, norms)
        self.history.train_loss.append(train)
        self.history.test_loss.append(test)
        self.history.grad_norms.append(norms)
        self._order = None
        self._cursor = 0
        self._reset_accumulators()
        return rec

    def _train_batch(self, Xb: Array, yb: Array, ws: Workspace | None = None) -> tuple[ForwardCache, Gradients]:
        """Forward, backward, update, and accumulate the epoch's statistics.

        The caller holds ``np.errstate(all="ignore")``. With a workspace
        (``run_epochs``) every array is reused and overwritten by the next
        step; without one the trace has arrays of its own (``step``).
        """
        model = self.model
        cache = model._forward(Xb, ws)
        grads = model._backward(cache, yb, None if ws is None else self._grad_buffer, ws)
        self.optimizer.apply(model.params.flat, grads.flat)
        self.step_count += 1
        m = Xb.shape[0]
        self._acc_loss += grads.loss * m
        self._acc_samples += m
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
        if indices is None:
            if self._order is None:
                self._start_epoch()
            lo = self._cursor
            hi = min(lo + self.batch_size, self.n_train)
            idx = self._order[lo:hi]
            Xb, yb = self.X[idx], self.y[idx]  # copies: the trace is kept
        else:
            idx = self._check_indices(indices)
            Xb, yb = self.X[idx], self.y[idx]
        if not apply:
            cache = self.model.forward(Xb)
            return StepResult(self.step_count, idx, Xb, yb, cache, self.model.backward(cache, yb), False)
        with np.errstate(all="ignore"):  # divergence is reported, never raised
            cache, grads = self._train_batch(Xb, yb)
        finished = None
        if indices is None:
            self._cursor = hi
            if hi >= self.n_train:
                finished = self._finish_epoch()
        return StepResult(self.step_count, idx, Xb, yb, cache, grads, True, finished)

    def run_epochs(self, count: int = 1) -> list[EpochRecord]:
        """Train ``count`` epochs (the first one finishes the current epoch if
        it is under way). Stops early after an epoch whose loss is not finite."""
        if isinstance(count, bool) or not (isinstance(count, int) and count >= 1):
            raise ValueError(f"count: must be a positive integer, got {count!r}")
        records = []
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
                if not rec.finite:
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
        m = self.X_test.shape[0]
        if not m:
            return None
        with np.errstate(all="ignore"):
            return self.model._objective(self.X_test, self.y_test, self.model.workspace(m, backward=False))

    @property
    def finite(self) -> bool:
        """False once any parameter is NaN or infinite."""
        return all(bool(np.isfinite(w).all()) for w in self.model.W) and all(
            bool(np.isfinite(v).all()) for v in self.model.b)

    # -- save and load ------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly, JSON-safe (see :mod:`.state`)."""
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
            "accumulators": {"loss": self._acc_loss, "samples": self._acc_samples,
                             "norms": self._acc_norms, "steps": self._acc_steps},
            "history": self.history.as_dict(),
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
        """Restore decoded state (params, optimizer, RNG, position, history)."""
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
        acc = s["accumulators"]
        self._acc_loss, self._acc_samples = float(acc["loss"]), int(acc["samples"])
        self._acc_norms, self._acc_steps = [float(x) for x in acc["norms"]], int(acc["steps"])
        h = s["history"]
        self.history = History([float(x) for x in h["train_loss"]],
                               [None if x is None else float(x) for x in h["test_loss"]],
                               [[float(x) for x in g] for g in h["grad_norms"]])

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
    The trainer's ``config`` is the complete, resolved config.
    """
    cfg = resolve_config(config)
    ds_cfg, m_cfg, o_cfg = cfg["dataset"], cfg["model"], cfg["optimizer"]
    if data is None:
        data = load_dataset(**ds_cfg)
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
    return Trainer(model, optimizer, data, o_cfg["batch_size"], o_cfg["shuffle"], order_rng, cfg)


__all__ = ["Trainer", "History", "EpochRecord", "StepResult", "make_trainer", "resolve_config",
           "make_rngs", "default_output", "DATASETS"]
