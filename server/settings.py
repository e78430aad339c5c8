"""Every ``MLP_PLAYGROUND_*`` variable, read in one place: :meth:`Settings.from_env`.

The CLI (:mod:`server.cli`) and :func:`server.main.create_app` call it once,
when they start; nothing reads the environment at import time, and the
engine reads none at all (the server passes it plain arguments). Tests build
their own ``Settings(...)``. Two groups, both documented here and in the
README (``/api/options`` -> ``limits`` shows the first):

**Limits** (:class:`Limits`, ``Settings.limits``) bound what a request may
ask for. The request schemas mark each bound with
:class:`server.bounds.fields.AtMost`, which checks it against the limits of the app
serving the request (a 422 naming the field) and writes it into
``/openapi.json``.

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

**Settings** shape the running server.

=========================================  =========  ==================================================
``MLP_PLAYGROUND_MAX_SESSIONS``            200        live sessions; the least recently used is evicted
``MLP_PLAYGROUND_SESSION_IDLE_SECONDS``    3600       a session unused this long is evicted
``MLP_PLAYGROUND_MAX_BODY_BYTES``          16777216   request body (16 MiB); larger gets 413
``MLP_PLAYGROUND_MAX_IMPORT_BYTES``        67108864   body of ``POST /api/sessions/import`` (64 MiB:
                                                      an Adam export of a large model is big)
``MLP_PLAYGROUND_MAX_JSON_DEPTH``          32         nesting of a JSON body; deeper gets 422
``MLP_PLAYGROUND_STATIC_DIR``              (package)  the page's files (served at ``/`` and ``/static``); default:
                                                      the installed package's (:mod:`server.assets`)
``MLP_PLAYGROUND_STORE``                   (below)    where sessions are kept: ``memory`` (lost on exit),
                                                      a SQLite path (``sqlite:///PATH`` or ``PATH``), or
                                                      ``redis://HOST:PORT/DB`` (needs
                                                      ``pip install mlp-playground[redis]``). Default for
                                                      the server: ``$XDG_DATA_HOME/mlp-playground/``
                                                      ``sessions.sqlite3`` (``~/.local/share/...``);
                                                      ``Settings()`` in code: ``memory``
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
``MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS``    8          open live sockets at once; one more is accepted,
                                                      told why, and closed with code 1013
``MLP_PLAYGROUND_UNDO_DEPTH``              20         changes ``POST .../undo`` can take back (0: none)
``MLP_PLAYGROUND_UNDO_MAX_PARAMS``         5000       models larger than this keep no undo snapshots
``MLP_PLAYGROUND_DATA``                    (below)    the real-data folder (California housing, MNIST);
                                                      default ``../shared/datasets`` beside the project
``MLP_PLAYGROUND_DOWNLOAD``                1          ``0``: never let scikit-learn download missing data
``MLP_PLAYGROUND_CSV_MAX_BYTES``           10000000   text of ``POST /api/datasets/csv``
``MLP_PLAYGROUND_CSV_MAX_ROWS``            100000     its data rows
``MLP_PLAYGROUND_CSV_MAX_COLUMNS``         1000       its columns
``MLP_PLAYGROUND_MAX_REQUEST_SECONDS``     20         compute one request may take, estimated up front from
                                                      the model, the rows and the count (422 beyond,
                                                      naming the field and the bound); a live frame too
``MLP_PLAYGROUND_MAX_REQUEST_MB``          1024       memory one request may allocate (its batch's
                                                      activations, a prediction's, a grid's)
``MLP_PLAYGROUND_MAX_SESSION_MB``          1024       memory one session may keep (data, parameters,
                                                      optimizer state, undo snapshots, its batch's buffers)
``MLP_PLAYGROUND_COMPUTE_THREADS``         0          engine calls running at once (the others queue, off
                                                      the event loop); 0: as many as the threadpool has
                                                      (40), so a quick request never queues behind long ones
``MLP_PLAYGROUND_LIVE_IDLE_SECONDS``       300        a live socket that neither plays nor sends a message
                                                      this long is closed (code 1001)
``MLP_PLAYGROUND_MAX_LIVE_PER_CLIENT``     4          live sockets one client address may hold (1013 beyond)
``MLP_PLAYGROUND_ALLOWED_HOSTS``           (below)    comma-separated ``Host`` names the server answers
                                                      (others get 400; a WebSocket is closed with 1008):
                                                      the loopback names, the ``--host`` it is bound to
                                                      (and this machine's names when that is a wildcard)
                                                      and these; ``*`` answers any (DNS rebinding!)
``MLP_PLAYGROUND_MAX_HEADER_BYTES``        65536      the request line and headers of one request
                                                      (larger: 400, before the body is read)
``MLP_PLAYGROUND_TEST_EPOCHS_GATE``        (none)     test-only: the path of a FIFO that every ``POST
                                                      .../epochs`` and ``.../gradcheck`` reads to its end
                                                      before its work, so a test holds such a request
                                                      open until it closes its end (never set it in
                                                      production)
=========================================  =========  ==================================================

The server binds ``127.0.0.1`` unless ``--host`` says otherwise (:mod:`server.cli`);
``docs/reliability.md`` explains the store, the limits and running several machines.
"""
from __future__ import annotations

import math
import os
import socket
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from mlp_engine import csv_data
from .assets import installed_page_dir

ENV_PREFIX = "MLP_PLAYGROUND_"


ZERO_OK = {"min": 0}
"""``field(metadata=ZERO_OK)``: a whole-number setting for which 0 means something (none, or a default)."""

EMPTY_OK = {"empty": True}
"""``field(metadata=EMPTY_OK)``: a text setting for which a variable set to the empty string means
something (``UNLIMITED_CLIENTS=`` limits everyone), so it is not the same as unset."""


def _read(cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    """The fields of dataclass ``cls`` that ``MLP_PLAYGROUND_<FIELD>`` variables set, typed
    like their defaults (strings as they are; a flag is off only for ``0``; numbers positive)."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = ENV_PREFIX + f.name.upper()
        raw = env.get(key, "")
        if key in env and raw == "" and f.metadata.get("empty"):
            values[f.name] = raw
            continue
        if raw == "" or not isinstance(f.default, (str, bool, int, float)):
            continue
        if isinstance(f.default, str):
            values[f.name] = raw
            continue
        if isinstance(f.default, bool):
            values[f.name] = raw.strip() != "0"
            continue
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(f"{key}: expected a number, got {raw!r}") from None
        least = f.metadata.get("min")
        positive = number >= least if least is not None else number > 0
        if not (math.isfinite(number) and positive) or (isinstance(f.default, int) and not number.is_integer()):
            kind = "whole number" if isinstance(f.default, int) else "number"
            sign = f"{kind} >= {least}" if least is not None else f"positive {kind}"
            raise ValueError(f"{key}: must be a {sign}, got {raw!r}")
        values[f.name] = type(f.default)(number)
    return values


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
        return cls(**_read(cls, os.environ if env is None else env))

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


@dataclass(frozen=True)
class Settings:
    """How the running server behaves, and the :class:`Limits` it enforces (module docstring)."""

    max_sessions: int = 200
    session_idle_seconds: float = 3600.0
    max_body_bytes: int = 16 * 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    max_json_depth: int = 32
    static_dir: str = field(default=installed_page_dir())
    store: str = "memory"
    save_interval_seconds: float = 1.0
    lease_seconds: float = 10.0
    max_sessions_per_client: int = 50
    session_creations_per_minute: int = 60
    unlimited_clients: str = field(default="127.0.0.1,::1,testclient", metadata=EMPTY_OK)
    cors_origins: str = ""
    blas_threads: int = field(default=1, metadata=ZERO_OK)
    max_live_connections: int = 8
    undo_depth: int = field(default=20, metadata=ZERO_OK)
    undo_max_params: int = field(default=5000, metadata=ZERO_OK)
    data: str = ""
    download: bool = True
    csv_max_bytes: int = csv_data.MAX_BYTES
    csv_max_rows: int = csv_data.MAX_ROWS
    csv_max_columns: int = csv_data.MAX_COLUMNS
    max_request_seconds: float = 20.0
    max_request_mb: float = 1024.0
    max_session_mb: float = 1024.0
    compute_threads: int = field(default=0, metadata=ZERO_OK)
    live_idle_seconds: float = 300.0
    max_live_per_client: int = 4
    allowed_hosts: str = ""
    bound_host: str = "127.0.0.1"  # set by the CLI from --host, not read from the environment
    max_header_bytes: int = 65536
    test_epochs_gate: str = ""  # test-only (see the module docstring)
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings (and limits) from ``MLP_PLAYGROUND_*`` variables; the store defaults
        to :func:`default_store`."""
        env = os.environ if env is None else env
        settings = cls(**_read(cls, env), limits=Limits.from_env(env))
        if not env.get(ENV_PREFIX + "STORE"):
            settings = replace(settings, store=default_store(env))
        return settings

    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    def unlimited(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.unlimited_clients.split(",") if c.strip())

    def hosts(self) -> frozenset[str] | None:
        """The ``Host`` names (without port, lower case) this server answers, or ``None`` for any
        (``ALLOWED_HOSTS=*``). The loopback names and Starlette's test client's always; the
        bound host; this machine's names and addresses when bound to a wildcard."""
        extra = {h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()}
        if "*" in extra:
            return None
        names = {"localhost", "127.0.0.1", "::1", "testserver", *extra}
        bound = self.bound_host.strip("[]").lower()
        if bound in ("", "0.0.0.0", "::"):
            names |= machine_names()
        elif bound:
            names.add(bound)
        return frozenset(names)

    def data_dir(self) -> Path | None:
        """The real-data folder, or ``None`` for the engine's default."""
        return Path(self.data).expanduser() if self.data else None

    def csv_limits(self) -> dict[str, int]:
        """The keyword arguments :func:`mlp_engine.csv_data.parse_csv` takes for its bounds."""
        return {"max_bytes": self.csv_max_bytes, "max_rows": self.csv_max_rows, "max_columns": self.csv_max_columns}


def machine_names() -> set[str]:
    """This machine's host names and the addresses they resolve to (a wildcard bind serves them)."""
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    for name in list(names):
        try:
            names |= {info[4][0].lower() for info in socket.getaddrinfo(name, None)}
        except OSError:
            pass
    return {n for n in names if n}


def default_store(env: Mapping[str, str]) -> str:
    """``$XDG_DATA_HOME/mlp-playground/sessions.sqlite3`` (``~/.local/share`` without it):
    per user, outside the checkout, kept across restarts."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "mlp-playground" / "sessions.sqlite3")
