"""Every session as a standalone script that takes its next steps exactly as it would.

:func:`generate` answers the script text and its file name for a session, a framework
(``"numpy"`` or ``"pytorch"``) and a number of steps; :mod:`.numpy_script` and
:mod:`.pytorch_script` write the two versions from one :class:`~.common.Snapshot` of the
session (:mod:`.common`: the data, the minibatch order, the schedule they share).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from mlp_engine import Trainer

from . import numpy_script, pytorch_script
from .common import FRAMEWORKS, MAX_STEPS, Snapshot, snapshot

RENDERERS = {"numpy": numpy_script.render, "pytorch": pytorch_script.render}


def generate(trainer: Trainer, config: dict[str, Any], framework: str, steps: int = 1,
             data_dir: str | Path | None = None) -> tuple[str, str]:
    """``(filename, source)`` of the script for ``trainer``'s next ``steps`` steps.

    ``config`` is the session's complete config. Hold the session's lock while calling:
    the trainer is read, never changed. ``ValueError`` naming ``framework``, ``steps`` or an
    option the export does not reproduce. ``data_dir`` is the server's real-data folder
    (``Settings.data``), which a script for real data reads from by default."""
    if framework not in RENDERERS:
        raise ValueError(f"framework: choose one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps: must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    snap = snapshot(trainer, config, steps, data_dir)
    return f"mlp_{snap.dataset}_{framework}.py", RENDERERS[framework](snap)


__all__ = ["generate", "FRAMEWORKS", "MAX_STEPS", "Snapshot", "snapshot"]
