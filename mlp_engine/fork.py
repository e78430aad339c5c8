"""A counterfactual run: a trainer like another one, at epoch 0, differing only in the
config fields a learner overrides.

The fork keeps what makes two runs comparable: the same data (the very
:class:`~.datasets.Dataset`, so the same split and scaling), the same seed and so
the same minibatch order (:func:`~.factory.make_rngs` draws the order from its own
generator, which initialisation never touches), and the original's *initial*
parameters in every layer whose ``W`` and ``b`` shapes agree. Overriding
``model.init``, ``model.weights`` or ``model.biases`` asks for other initial
parameters, so then nothing is inherited.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from .datasets import Dataset
from .factory import make_trainer
from .trainer import Trainer

FIXED = ("dataset", "seed")
"""Fields a fork keeps from its original: overriding them is refused."""

NEW_INIT = ("init", "weights", "biases")
"""Model fields whose override means "initialise differently", so nothing is inherited."""


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied: nested dicts merge key by key, anything else
    (numbers, strings, lists) is replaced; ``None`` in ``overrides`` changes nothing."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _initial(trainer: Trainer) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Copies of a trainer's parameters: ``W[l]`` ``(out, in)``, ``b[l]`` ``(out,)``."""
    return [w.copy() for w in trainer.model.W], [b.copy() for b in trainer.model.b]


def fork_trainer(config: dict[str, Any], data: Dataset, overrides: dict[str, Any] | None = None,
                 make: Callable[[dict[str, Any], Dataset], Trainer] = make_trainer) -> Trainer:
    """A new trainer at epoch 0: ``config`` (the original's complete config) with
    ``overrides`` (a partial ``SessionConfig``) applied, on the original's ``data``.

    Its initial ``W[l]``, ``b[l]`` are the original's initial ones wherever their shapes
    agree (and ``overrides.model`` names none of :data:`NEW_INIT`); the other layers get the
    fork's own seeded initialisation. When anything is inherited that the fork's config
    would not produce by itself, the config carries it as ``model.weights``/``model.biases``,
    so that the fork's reset comes back to the same start. ``make(config, data)`` builds a
    trainer (the caller's undo bounds). Raises ``ValueError("overrides.<field>: ...")`` for
    an override of :data:`FIXED`.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key in FIXED:
        if key in overrides:
            raise ValueError(f"overrides.{key}: a fork keeps the original's {key} "
                             f"(so both runs see the same data in the same order); override model or optimizer")
    model_over = {k: v for k, v in (overrides.get("model") or {}).items() if v is not None}
    merged = merge(config, overrides)
    for key in ("weights", "biases"):
        if key not in model_over:
            merged["model"].pop(key, None)  # the original's start is inherited below, layer by layer
    fork = make(merged, data)
    if any(key in model_over for key in NEW_INIT):
        return fork
    W0, b0 = _initial(make(config, data))  # the original's initial parameters (its reset)
    W, b = _initial(fork)
    inherited = False
    for l in range(min(len(W), len(W0))):
        if W[l].shape == W0[l].shape and b[l].shape == b0[l].shape:
            if not (np.array_equal(W[l], W0[l]) and np.array_equal(b[l], b0[l])):
                inherited = True
            W[l], b[l] = W0[l].astype(W[l].dtype), b0[l].astype(b[l].dtype)
    if not inherited:
        return fork
    merged["model"]["weights"] = [w.tolist() for w in W]
    merged["model"]["biases"] = [v.tolist() for v in b]
    return make(merged, data)


__all__ = ["fork_trainer", "merge", "FIXED", "NEW_INIT"]
