"""Editing one parameter and taking changes back, exactly.

The trainer keeps snapshots of its state from before its last
``undo_depth`` changes (every applied step, every ``run_epochs`` call, every
edit): the parameters, the optimizer's state, the RNG, the position in the
epoch, the epoch's accumulators, the history's length and early stopping.
:class:`Undoable` is that part of :class:`~.trainer.Trainer`.
"""
from __future__ import annotations

import copy
import math
from collections import deque
from typing import Any, Sequence

DEFAULT_UNDO_DEPTH = 20
DEFAULT_UNDO_MAX_PARAMS = 5000
"""A snapshot holds the parameters and the optimizer's vectors (up to three
copies of ``n_params`` floats with Adam) and travels in every saved state, so
models above this size keep none; the memory bound per session is
``undo_depth * 3 * 8 * undo_max_params`` bytes (2.4 MB by default) plus the
epoch orders the snapshots refer to (shared, not copied)."""


class Undoable:
    """Edit and undo, mixed into :class:`~.trainer.Trainer` (which owns the attributes used here)."""

    _undo: deque[dict[str, Any]]
    undo_depth: int
    revision: int

    def edit_param(self, layer: int, name: str, index: Sequence[int], value: float) -> None:
        """Set one weight ``W[layer][i, j]``, bias ``b[layer][i]`` or, with batch norm,
        scale ``gamma[layer][i]`` or shift ``beta[layer][i]`` of a hidden layer to
        ``value`` (undoable).

        The optimizer's state is left as it is: the next update starts from the edited value."""
        m = self.model
        if name not in ("W", "b", "gamma", "beta"):
            raise ValueError(f"name: must be 'W', 'b', 'gamma' or 'beta', got {name!r}")
        if name in ("gamma", "beta") and not m.batch_norm:
            raise ValueError(f"name: {name} exists with batch norm only (model.batch_norm), and this model has none")
        arrays = {"W": m.W, "b": m.b, "gamma": m.gamma, "beta": m.beta}[name]
        L = len(arrays)  # gamma and beta: one per hidden layer
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < L:
            raise ValueError(f"layer: {name} has layers [0, {L}), got {layer!r}")
        target = arrays[layer]
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
            **self._remedy_state(),
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
        self.distributions.truncate(snap["history_length"])
        if self.early_stopping is not None and snap["early_stopping"] is not None:
            self.early_stopping.load_state_dict(snap["early_stopping"])
        self._load_remedy_state(snap)
        self.revision += 1

    def _remedy_state(self) -> dict[str, Any]:
        """Batch norm's running estimates and the dropout generator, when the model has them."""
        out: dict[str, Any] = {}
        if self.model.batch_norm:
            out["running"] = self.model.running_state()
        if self.dropout_rng is not None:
            out["dropout_rng"] = copy.deepcopy(self.dropout_rng.bit_generator.state)
        return out

    def _load_remedy_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`_remedy_state` output (or a checked saved state's)."""
        if self.model.batch_norm:
            self.model.load_running(state["running"])
        if self.dropout_rng is not None:
            self.dropout_rng.bit_generator.state = state["dropout_rng"]

    def _accumulators(self) -> dict[str, Any]:
        return {"loss": self._acc_loss, "samples": self._acc_samples, "norms": list(self._acc_norms),
                "steps": self._acc_steps, "correct": self._acc_correct, "sse": self._acc_sse.copy()}

    def _load_accumulators(self, acc: dict[str, Any]) -> None:
        """Restore :meth:`_accumulators` output, or a saved state's as :func:`.state_check.check_state`
        hands it back (already converted)."""
        self._acc_loss, self._acc_samples = acc["loss"], acc["samples"]
        self._acc_norms, self._acc_steps = list(acc["norms"]), acc["steps"]
        self._acc_correct = acc["correct"]
        self._acc_sse = acc["sse"].copy()
