"""What work costs, counted before it is done: multiply-adds, steps and bytes.

The server turns these counts into seconds and megabytes and refuses a
request over its budget before it starts (:mod:`server.budget`); the engine
only counts, because it is the one that knows what a step, an epoch or a
workspace is made of. Every count is an upper estimate of the real work.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

ITEMSIZE = 8
"""Bytes per number: the engine computes in float64."""


@dataclass(frozen=True)
class Work:
    """``steps`` Python-level engine steps (each has a fixed overhead whatever its size)
    and ``macs`` multiply-adds done in BLAS."""

    steps: int
    macs: int

    def __add__(self, other: "Work") -> "Work":
        return Work(self.steps + other.steps, self.macs + other.macs)

    def __mul__(self, k: int) -> "Work":
        return Work(self.steps * k, self.macs * k)


def n_weights(layers: Sequence[int]) -> int:
    """Weights (not biases) of a model with these sizes: the multiply-adds of one row's forward pass."""
    return sum(a * b for a, b in zip(layers[:-1], layers[1:]))


def forward(layers: Sequence[int], rows: int) -> Work:
    """One forward pass over ``rows`` rows."""
    return Work(1, rows * n_weights(layers))


def train_step(layers: Sequence[int], rows: int) -> Work:
    """A forward pass, the backward pass (``delta`` and ``dW``: twice the forward's
    multiply-adds) and the update, on a batch of ``rows`` rows."""
    return Work(1, 3 * rows * n_weights(layers) + 4 * sum(layers))


def epoch(layers: Sequence[int], n_train: int, n_test: int, batch_size: int) -> Work:
    """One whole epoch: ``ceil(n_train / batch_size)`` steps, then the test set's forward pass."""
    full, rest = divmod(n_train, batch_size)
    work = train_step(layers, batch_size) * full
    if rest:
        work = work + train_step(layers, rest)
    return work + forward(layers, n_test)


def gradient_check(layers: Sequence[int], rows: int, checked: int) -> Work:
    """``checked`` parameters by central differences (two forward passes each) on ``rows`` rows,
    plus the one backward pass they are compared with."""
    return forward(layers, rows) * (2 * checked) + train_step(layers, rows)


def activation_bytes(layers: Sequence[int], rows: int, backward: bool = True) -> int:
    """The arrays a pass over ``rows`` rows allocates: ``z`` and ``a`` per layer, and for a
    backward pass ``delta`` and ``f'(z)`` per hidden layer and the gathered ``X`` and ``y``
    (what a :class:`~mlp_engine.model.Workspace` holds, and what a trace hands back)."""
    outs = sum(layers[1:])
    numbers = 2 * outs + 1  # z, a, and a one per row
    if backward:
        numbers = 2 * outs + 2 * sum(layers[1:-1]) + layers[0] + layers[-1] + 1
    return ITEMSIZE * rows * numbers


def training_bytes(layers: Sequence[int], n_train: int, n_test: int, batch_size: int) -> int:
    """The buffers a trainer keeps while it trains: a full batch's and the last partial
    batch's workspaces, and the test set's forward workspace (the model keeps those three)."""
    bs = min(batch_size, max(n_train, 1))
    rest = n_train % bs if n_train else 0
    return (activation_bytes(layers, bs) + (activation_bytes(layers, rest) if rest else 0)
            + activation_bytes(layers, n_test, backward=False))


def parameter_bytes(n_params: int, copies: int) -> int:
    """``copies`` arrays the size of the parameters (the parameters, gradients, optimizer moments,
    undo snapshots)."""
    return ITEMSIZE * n_params * copies


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    return max(1, math.ceil(n_train / batch_size))
