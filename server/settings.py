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
``MLP_PLAYGROUND_STORE``                   (below)    where sessions are kept: ``memory`` (lost on exit),
                                                      a SQLite path (``sqlite:///PATH`` or ``PATH``), or
                                                      ``redis://HOST:PORT/DB``. Default for the server:
                                                      ``$XDG_DATA_HOME/mlp-playground/sessions.sqlite3``
                                                      (``~/.local/share/...``); ``Settings()`` in code:
                                                      ``memory``
``MLP_PLAYGROUND_SAVE_INTERVAL_SECONDS``   1          every change is stored within this; an isolated
                                                      one before its answer (bursts, such as live
                                                      training, save once per interval)
``MLP_PLAYGROUND_LEASE_SECONDS``           10         a process that died holding a session's lease
                                                      blocks it this long at most
``MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT`` 50         sessions one client address may hold (429 beyond)
``MLP_PLAYGROUND_SESSION_CREATIONS_PER_MINUTE`` 60    sessions one client address may create a minute
``MLP_PLAYGROUND_UNLIMITED_CLIENTS``       loopback   comma-separated client addresses the two limits above
                                                      skip: ``127.0.0.1,::1,testclient`` (the machine
                                                      itself, and Starlette's in-process test client);
                                                      set it empty to limit everyone
``MLP_PLAYGROUND_CORS_ORIGINS``            (none)     comma-separated origins allowed to call the API
                                                      from other sites (CORS is closed by default)
``MLP_PLAYGROUND_BLAS_THREADS``            1          threads NumPy's BLAS may use per process (0: its
                                                      own default). One keeps many small sessions fast:
                                                      threaded BLAS on small matrices under load is
                                                      many times slower, and requests run in parallel
``MLP_PLAYGROUND_TEST_EPOCHS_GATE``        (none)     test-only: the path of a FIFO that every ``POST
                                                      .../epochs`` reads to its end before training, so a
                                                      test holds such a request open until it closes its
                                                      end (never set it in production)
=========================================  =========  ==================================================

The server binds ``127.0.0.1`` unless ``--host`` says otherwise (:mod:`server.cli`);
``docs/reliability.md`` explains the store, the limits and running several machines.

The engine reads ``MLP_PLAYGROUND_DATA`` (the real-data folder) itself.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
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
    store: str = "memory"
    save_interval_seconds: float = 1.0
    lease_seconds: float = 10.0
    max_sessions_per_client: int = 50
    session_creations_per_minute: int = 60
    unlimited_clients: str = "127.0.0.1,::1,testclient"
    cors_origins: str = ""
    blas_threads: int = 1
    test_epochs_gate: str = ""  # test-only (see the module docstring)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings from ``MLP_PLAYGROUND_*`` variables; the store defaults to :func:`default_store`."""
        env = os.environ if env is None else env
        settings = _read(cls, env)
        if not env.get(ENV_PREFIX + "STORE"):
            settings = replace(settings, store=default_store(env))
        return settings

    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def unlimited(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.unlimited_clients.split(",") if c.strip())


def default_store(env: Mapping[str, str]) -> str:
    """``$XDG_DATA_HOME/mlp-playground/sessions.sqlite3`` (``~/.local/share`` without it):
    per user, outside the checkout, kept across restarts."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "mlp-playground" / "sessions.sqlite3")


LIMITS = Limits.from_env()
"""The limits in force, read when the server package is imported."""
