"""What work costs, counted before it is done: multiply-adds, steps and bytes.

The server turns these counts into seconds and megabytes and refuses a
request over its budget before it starts; the engine
only counts, because it is the one that knows what a step, an epoch or a
workspace is made of. Every count is an upper estimate of the real work.

A step's cost is its fixed Python overhead plus its multiply-adds. Batch norm,
dropout and the skip (:mod:`.remedies`) add both: per hidden layer a few
NumPy calls (their overhead counted in plain steps, :data:`STAGE_STEPS`) and
a few elementwise operations per unit and row (counted as multiply-adds,
:data:`STAGE_OPS`). ``python bench/budget_calibration.py`` measures them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .params import n_weights
from .trainer import epoch_batches

ITEMSIZE = 8
"""Bytes per number: the engine computes in float64."""


@dataclass(frozen=True)
class Work:
    """``steps``: Python-level overhead, in units of one plain training step's fixed
    overhead whatever its size (a step with remedies counts for more than one), and
    ``macs`` multiply-adds (or elementwise operations) done in NumPy."""

    steps: float
    macs: int

    def __add__(self, other: "Work") -> "Work":
        return Work(self.steps + other.steps, self.macs + other.macs)

    def __mul__(self, k: int) -> "Work":
        return Work(self.steps * k, self.macs * k)


@dataclass(frozen=True)
class Remedies:
    """The stages a model's hidden layers run besides ``z`` and ``f``: batch norm and
    dropout in every hidden layer, the skip in ``skips`` of them."""

    batch_norm: bool = False
    dropout: bool = False
    skips: int = 0

    @classmethod
    def of(cls, model: Any) -> "Remedies":
        """The remedies of an :class:`~.model.MLP`."""
        return cls(bool(model.batch_norm), bool(model.dropout), sum(map(bool, model.skip)))

    def __bool__(self) -> bool:
        return self.batch_norm or self.dropout or self.skips > 0


PLAIN = Remedies()

STAGE_STEPS = {"remedies": 0.4, "batch_norm": 0.6, "dropout": 0.1, "skip": 0.15}
"""Python overhead of one training step's stages, in plain steps (``bench/budget_calibration.py``
measures them): ``remedies`` once per step of a model with any (its passes make fresh
arrays, draw masks, keep the stages' trace), the others per hidden layer that has them."""

STAGE_OPS = {"batch_norm": 19, "dropout": 7, "skip": 2}
"""Elementwise operations per hidden unit and row of one training step: batch norm's
statistics, normalisation, scale and shift and their backward (8 + 11); dropout's draw
(3), mask and scale (2) and back (2); the skip's sum forward and back."""

FORWARD_OPS = {"batch_norm": 5, "skip": 1}
"""The same for a forward pass alone (batch norm on its running estimates; no dropout)."""


def _hidden(layers: Sequence[int]) -> int:
    """Hidden units of one row."""
    return sum(layers[1:-1])


def _skip_units(layers: Sequence[int], skips: int) -> int:
    """Units of ``skips`` skipped layers (an upper bound: the widest hidden layers)."""
    return sum(sorted(layers[1:-1], reverse=True)[:skips])


def forward(layers: Sequence[int], rows: int, remedies: Remedies = PLAIN) -> Work:
    """One forward pass over ``rows`` rows."""
    ops = (FORWARD_OPS["batch_norm"] * _hidden(layers) * remedies.batch_norm
           + FORWARD_OPS["skip"] * _skip_units(layers, remedies.skips))
    return Work(1, rows * (n_weights(layers) + ops))


def train_step(layers: Sequence[int], rows: int, remedies: Remedies = PLAIN) -> Work:
    """A forward pass, the backward pass (``delta`` and ``dW``: twice the forward's
    multiply-adds) and the update, on a batch of ``rows`` rows; with ``remedies``, their stages."""
    work = Work(1, 3 * rows * n_weights(layers) + 4 * sum(layers))
    return work + remedy_step(layers, rows, remedies) if remedies else work


def remedy_step(layers: Sequence[int], rows: int, remedies: Remedies) -> Work:
    """What ``remedies`` add to one training step on ``rows`` rows (nothing without any)."""
    if not remedies:
        return Work(0, 0)
    n_hidden, units = len(layers) - 2, _hidden(layers)
    on = {"batch_norm": remedies.batch_norm, "dropout": remedies.dropout}
    steps = STAGE_STEPS["remedies"] + STAGE_STEPS["skip"] * remedies.skips + sum(
        STAGE_STEPS[k] * n_hidden for k, v in on.items() if v)
    ops = STAGE_OPS["skip"] * _skip_units(layers, remedies.skips) + sum(
        STAGE_OPS[k] * units for k, v in on.items() if v)
    return Work(steps, rows * ops)


def epoch(layers: Sequence[int], n_train: int, n_test: int, batch_size: int,
          remedies: Remedies = PLAIN) -> Work:
    """One whole epoch: its steps (:func:`~.trainer.epoch_batches`), then the test set's forward pass."""
    full, rest = epoch_batches(n_train, batch_size)
    work = train_step(layers, batch_size, remedies) * full
    if rest:
        work = work + train_step(layers, rest, remedies)
    return work + forward(layers, n_test, remedies)


def trainer_epoch(trainer: Any) -> Work:
    """One whole epoch of a :class:`~.trainer.Trainer`, its remedies included."""
    return epoch(trainer.model.layers, trainer.n_train, trainer.X_test.shape[0], trainer.batch_size,
                 Remedies.of(trainer.model))


def gradient_check(layers: Sequence[int], rows: int, checked: int, remedies: Remedies = PLAIN) -> Work:
    """``checked`` parameters by central differences (two forward passes each) on ``rows`` rows,
    plus the one backward pass they are compared with."""
    return forward(layers, rows, remedies) * (2 * checked) + train_step(layers, rows, remedies)


def activation_bytes(layers: Sequence[int], rows: int, backward: bool = True) -> int:
    """The arrays a pass over ``rows`` rows allocates: ``z`` and ``a`` per layer, and for a
    backward pass ``delta`` and ``f'(z)`` per hidden layer and the gathered ``X`` and ``y``
    (what a :class:`~mlp_engine.workspace.Workspace` holds, and what a trace hands back)."""
    outs = sum(layers[1:])
    numbers = 2 * outs + 1  # z, a, and a one per row
    if backward:
        numbers = 2 * outs + 2 * sum(layers[1:-1]) + layers[0] + layers[-1] + 1
    return ITEMSIZE * rows * numbers


def training_bytes(layers: Sequence[int], n_train: int, n_test: int, batch_size: int) -> int:
    """The buffers a trainer keeps while it trains: a full batch's and the last partial
    batch's workspaces, and the test set's forward workspace (the model keeps those three)."""
    bs = min(batch_size, max(n_train, 1))
    rest = epoch_batches(n_train, bs)[1]
    return (activation_bytes(layers, bs) + (activation_bytes(layers, rest) if rest else 0)
            + activation_bytes(layers, n_test, backward=False))


def parameter_bytes(n_params: int, copies: int) -> int:
    """``copies`` arrays the size of the parameters (the parameters, gradients, optimizer moments,
    undo snapshots)."""
    return ITEMSIZE * n_params * copies


__all__ = ["Work", "Remedies", "PLAIN", "STAGE_STEPS", "STAGE_OPS", "FORWARD_OPS", "ITEMSIZE", "n_weights",
           "forward", "train_step", "remedy_step", "epoch", "trainer_epoch", "gradient_check",
           "activation_bytes", "training_bytes", "parameter_bytes"]
