"""Server limits and settings, read from environment variables.

Two groups, both documented here (and in ``/api/options`` -> ``limits``):

**Limits** bound what a request may ask for. They are declared in the request
schemas (``Field(le=...)``), so ``/docs`` shows them; they are read once, when
:mod:`server.schemas` is imported.

=========================================  =========  ==================================================
variable                                   default    bounds
=========================================  =========  ==================================================
``MLP_PLAYGROUND_MAX_LAYERS``              8          weight layers (``len(model.layers) - 1``)
``MLP_PLAYGROUND_MAX_WIDTH``               1024       every entry of ``model.layers`` (input size too)
``MLP_PLAYGROUND_MAX_PARAMS``              1000000    weights plus biases of one model
``MLP_PLAYGROUND_MAX_BATCH_SIZE``          65536      ``optimizer.batch_size`` and ``indices`` length
``MLP_PLAYGROUND_MAX_EPOCHS_PER_REQUEST``  1000       ``count`` of ``POST .../epochs``
``MLP_PLAYGROUND_MAX_SAMPLES``             100000     ``dataset.n_samples``, rows of inline ``X``/``y``
                                                      and of ``predict``'s ``X``
``MLP_PLAYGROUND_MAX_INLINE_VALUES``       1000000    numbers in inline ``X`` plus ``y`` (and ``predict``)
``MLP_PLAYGROUND_MAX_LEARNING_RATE``       1e9        ``optimizer.learning_rate`` (any finite value > 0
                                                      up to this: divergence is reported, not refused)
``MLP_PLAYGROUND_MAX_BOUNDARY_RESOLUTION`` 200        ``resolution`` of ``.../boundary`` (minimum 5)
``MLP_PLAYGROUND_MAX_POINTS``              20000      ``max_points`` of ``.../data`` and ``.../outputs``
``MLP_PLAYGROUND_MAX_ELEMENTS``            1000000    ``max_elements`` (arrays above it are summarised)
``MLP_PLAYGROUND_MAX_GRADCHECK_PARAMS``    5000       model size ``/gradcheck`` accepts (it costs
                                                      ``2 * n_params`` forward passes)
=========================================  =========  ==================================================

**Settings** shape the running server; :func:`server.main.create_app` takes
them (tests pass their own).

=========================================  =========  ==================================================
``MLP_PLAYGROUND_MAX_SESSIONS``            200        live sessions; the least recently used is evicted
``MLP_PLAYGROUND_SESSION_IDLE_SECONDS``    3600       a session unused this long is evicted
``MLP_PLAYGROUND_MAX_BODY_BYTES``          16777216   request body (16 MiB); larger gets 413
``MLP_PLAYGROUND_MAX_IMPORT_BYTES``        67108864   body of ``POST /api/sessions/import`` (64 MiB:
                                                      an Adam export of a large model is big)
``MLP_PLAYGROUND_MAX_JSON_DEPTH``          32         nesting of a JSON body; deeper gets 422
``MLP_PLAYGROUND_STATIC_DIR``              static/    the page's files (served at ``/`` and ``/static``)
=========================================  =========  ==================================================

The engine reads ``MLP_PLAYGROUND_DATA`` (the real-data folder) itself.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "MLP_PLAYGROUND_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _read(cls: type, env: Mapping[str, str]) -> Any:
    """Build dataclass ``cls`` from ``MLP_PLAYGROUND_<FIELD>`` variables, typed like its defaults."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = ENV_PREFIX + f.name.upper()
        raw = env.get(key, "")
        if raw == "":
            continue
        if isinstance(f.default, str):
            values[f.name] = raw
            continue
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(f"{key}: expected a number, got {raw!r}") from None
        if not (math.isfinite(number) and number > 0) or (isinstance(f.default, int) and not number.is_integer()):
            kind = "whole number" if isinstance(f.default, int) else "number"
            raise ValueError(f"{key}: must be a positive {kind}, got {raw!r}")
        values[f.name] = type(f.default)(number)
    return cls(**values)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask for (see the module docstring)."""

    max_layers: int = 8
    max_width: int = 1024
    max_params: int = 1_000_000
    max_batch_size: int = 65_536
    max_epochs_per_request: int = 1000
    max_samples: int = 100_000
    max_inline_values: int = 1_000_000
    max_learning_rate: float = 1e9
    max_boundary_resolution: int = 200
    max_points: int = 20_000
    max_elements: int = 1_000_000
    max_gradcheck_params: int = 5000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Limits":
        return _read(cls, os.environ if env is None else env)

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


@dataclass(frozen=True)
class Settings:
    """How the running server behaves (see the module docstring)."""

    max_sessions: int = 200
    session_idle_seconds: float = 3600.0
    max_body_bytes: int = 16 * 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    max_json_depth: int = 32
    static_dir: str = field(default=str(PROJECT_ROOT / "static"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        return _read(cls, os.environ if env is None else env)


LIMITS = Limits.from_env()
"""The limits in force, read when the server package is imported."""
