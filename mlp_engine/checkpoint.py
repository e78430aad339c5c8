"""Saving a trainer and loading it back, bit for bit.

:meth:`Checkpointing.state_dict` writes everything needed to continue
exactly, JSON-safe (:mod:`.state`); :meth:`Checkpointing.from_state` and
:meth:`Checkpointing.load_state` take it back after
:func:`.state_check.check_state` has held all of it against the model and
data, so that loading either succeeds whole or changes nothing.
:class:`Checkpointing` is that part of :class:`~.trainer.Trainer`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import numpy as np

from .config import trainer_parts
from .records import Distributions, History
from .state import decode, encode
from .state_check import STATE_VERSION, StateError, check_state, check_version
from .undo import DEFAULT_UNDO_DEPTH, DEFAULT_UNDO_MAX_PARAMS

Array = np.ndarray


class Checkpointing:
    """Save and load, mixed into :class:`~.trainer.Trainer` (which owns the attributes used here)."""

    def state_dict(self, history: bool = True) -> dict[str, Any]:
        """Everything needed to continue exactly, JSON-safe (see :mod:`.state`).

        Undo snapshots name their epoch order by its place in ``undo.orders``
        (one copy of each distinct order; ``-1``: the current one). Without
        ``history`` the ``"history"`` entry is left out, for a caller that encodes
        ``self.history.columns(extras=True)`` itself (only what is new: see
        :meth:`~.records.History.kept_since`), each value with :func:`.state.encode`."""
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
            "params": {"W": self.model.W, "b": self.model.b,
                       **({"gamma": self.model.gamma, "beta": self.model.beta} if self.model.batch_norm else {})},
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "epoch": self.epoch,
            "step": self.step_count,
            "order": self._order,
            "cursor": self._cursor,
            "accumulators": self._accumulators(),
            **({"history": self.history.as_dict(extras=True)} if history else {}),
            "distributions": self.distributions.state_dict(),
            "early_stopping": None if self.early_stopping is None else self.early_stopping.state_dict(),
            "undo": {"orders": orders, "snapshots": snaps},
            **self._remedy_state(),
        })

    @classmethod
    def from_state(cls, state: dict[str, Any], *, undo_depth: int = DEFAULT_UNDO_DEPTH,
                   undo_max_params: int = DEFAULT_UNDO_MAX_PARAMS, data_dir: str | Path | None = None,
                   download: bool = True) -> Self:
        """Rebuild a trainer from :meth:`state_dict` output; it continues bit for bit.

        The config is built first (a trainer to check the rest against), then the
        whole state is checked; a :class:`~.state_check.StateError` names what does not fit.
        The keywords are :func:`~.factory.make_trainer`'s."""
        check_version(state)
        if "config" not in state:
            raise StateError("state.config", "missing")
        try:
            trainer = cls(**trainer_parts(decode(state["config"]), data_dir=data_dir, download=download),
                          undo_depth=undo_depth, undo_max_params=undo_max_params)
        except StateError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise StateError("state.config", str(exc)) from None
        trainer.load_state(state)
        return trainer

    def load_state(self, state: dict[str, Any]) -> None:
        """Load :meth:`state_dict` output into this trainer (whose config it must fit):
        parameters, optimizer, RNG, position, history, early stopping, undo snapshots.
        The state is checked whole first; a refused one changes nothing. States saved
        before the metrics, early stopping and undo existed load too."""
        s = check_state(state, self)
        p = s["params"]
        self.model.params.flat[...] = np.concatenate([w.ravel() for w in p["W"]] + list(p["b"])
                                                     + list(p.get("gamma", [])) + list(p.get("beta", [])))
        self._load_remedy_state(s)
        self.optimizer.load_state_dict(s["optimizer"])
        self.rng.bit_generator.state = s["rng"]
        self.epoch, self.step_count = s["epoch"], s["step"]
        self._order, self._cursor = s["order"], s["cursor"]
        if self._order is not None:
            self._gather_epoch()
        self._load_accumulators(s["accumulators"])
        h = s["history"]
        self.history = History(h["train_loss"], h["test_loss"], h["grad_norms"], h["learning_rate"], h["metrics"])
        d = s["distributions"]
        self.distributions = Distributions(self.model.n_layers, d["epochs"], d["layers"], d["stride"])
        self._last_step = None
        if self.early_stopping is not None and s["early_stopping"] is not None:
            self.early_stopping.load_state_dict(s["early_stopping"])
        self._undo.clear()
        if self.undo_depth:
            self._undo.extend(s["undo"][-self.undo_depth:])
