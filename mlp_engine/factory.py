"""Building a trainer from one plain config dict, the shape of the REST API's
``SessionConfig``: :func:`make_trainer` (the config's rules are in :mod:`.config`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import DEFAULT_HIDDEN, default_output, make_dropout_rng, make_rngs, resolve_config, trainer_parts
from .datasets import Dataset
from .trainer import Trainer
from .undo import DEFAULT_UNDO_DEPTH, DEFAULT_UNDO_MAX_PARAMS


def make_trainer(config: dict[str, Any] | None = None, data: Dataset | None = None, *,
                 undo_depth: int = DEFAULT_UNDO_DEPTH, undo_max_params: int = DEFAULT_UNDO_MAX_PARAMS,
                 data_dir: str | Path | None = None, download: bool = True) -> Trainer:
    """Build data, model, optimizer and trainer from a ``SessionConfig``-shaped dict
    (see :func:`~.config.trainer_parts` for its fields and defaults).

    The trainer's ``config`` is the complete, resolved config; ``undo_depth``
    and ``undo_max_params`` go to :class:`~.trainer.Trainer`; ``data_dir`` and
    ``download`` to :func:`~.datasets.load_dataset` (real data's folder).
    """
    return Trainer(**trainer_parts(config, data, data_dir=data_dir, download=download),
                   undo_depth=undo_depth, undo_max_params=undo_max_params)


__all__ = ["make_trainer", "resolve_config", "make_rngs", "make_dropout_rng", "default_output", "DEFAULT_HIDDEN"]
