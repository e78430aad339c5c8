"""Every ``MLP_PLAYGROUND_*`` variable, read in one place: :meth:`Settings.from_env`.

Each variable is one field below, with its default, its bound and what it does; the
README's table is written from these fields (``python -m server.settings --markdown``)
and a test fails when the two differ.

The CLI (:mod:`server.cli`) and :func:`server.main.create_app` call ``from_env`` once,
when they start; nothing reads the environment at import time, and the engine reads
none at all (the server passes it plain arguments). ``Settings(...)`` in code reads no
environment either: tests build their own. Two groups:

* :class:`Limits` (``Settings.limits``, shown by ``/api/options``) bound what a request
  may ask for. The request schemas mark each bound with
  :class:`server.bounds.fields.AtMost`, which checks it against the limits of the app
  serving the request (a 422 naming the field) and writes it into ``/openapi.json``.
* :class:`Settings` shape the running server.

The server binds ``127.0.0.1`` unless ``--host`` says otherwise (:mod:`server.cli`);
``docs/reliability.md`` explains the store, the limits and running several machines.
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from mlp_engine import csv_data
from mlp_engine.trainer import DEFAULT_UNDO_DEPTH, DEFAULT_UNDO_MAX_PARAMS
from .assets import installed_page_dir

ENV_PREFIX = "MLP_PLAYGROUND_"
MIB = 1024 * 1024


def _number(value: Any) -> Any:
    """A variable's text as a number (``1e6`` is a whole number too); other values as they are."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value  # pydantic refuses it, naming the variable
    return value


def _flag(value: Any) -> Any:
    """A flag's text: off only for ``0``."""
    return value.strip() != "0" if isinstance(value, str) else value


Whole = Annotated[int, BeforeValidator(_number)]
Number = Annotated[float, BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_flag)]


def _shown(text: str) -> dict[str, Any]:
    """``json_schema_extra`` of a field whose default is worth words, not its value."""
    return {"shown": text}


EMPTY_OK: dict[str, Any] = {"empty_ok": True}
"""``json_schema_extra`` of a text setting for which a variable set to the empty string means
something (``UNLIMITED_CLIENTS=`` limits everyone), so it is not the same as unset."""

NOT_READ: dict[str, Any] = {"not_read": True}
"""``json_schema_extra`` of a field set by the code, never by a variable."""


class _Variables(BaseSettings):
    """Fields read from ``MLP_PLAYGROUND_<FIELD>`` by :meth:`from_env` only; keyword
    arguments (or the defaults) otherwise."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid", allow_inf_nan=False)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **others: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # the environment only through from_env

    @classmethod
    def variables(cls) -> dict[str, tuple[str, FieldInfo]]:
        """``MLP_PLAYGROUND_<FIELD>`` -> (field name, field), for every field a variable sets."""
        return {ENV_PREFIX + name.upper(): (name, f) for name, f in cls.model_fields.items()
                if not _extra(f).get("not_read") and f.annotation not in (Limits, "Limits")}

    @classmethod
    def _read(cls, env: Mapping[str, str]) -> dict[str, Any]:
        """The fields the variables in ``env`` set (unset or empty ones left out, unless empty
        means something), still as text: pydantic-settings' environment source, given ``env``."""
        known = cls.variables()
        given = {key: value for key, value in env.items()
                 if key in known and (value != "" or _extra(known[key][1]).get("empty_ok"))}
        source = EnvSettingsSource(cls)
        source.env_vars = {key.lower(): value for key, value in given.items()}
        return source()

    @classmethod
    def _build(cls, env: Mapping[str, str], **more: Any) -> Any:
        """``cls`` from the variables in ``env`` and ``more``; a bad variable is a ``ValueError``
        naming it, its bound and its value."""
        try:
            return cls(**cls._read(env), **more)
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0])
            key = ENV_PREFIX + name.upper()
            raise ValueError(f"{key}: must be {bound_text(cls.model_fields[name])}, got {env.get(key)!r}") from None


def _extra(f: FieldInfo) -> dict[str, Any]:
    return f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}


def bound_text(f: FieldInfo) -> str:
    """What a variable of field ``f`` may be, in words (from the field's own bound)."""
    kind = {int: "whole number", float: "number"}.get(f.annotation)  # type: ignore[call-overload]
    if f.annotation is bool:
        return "0 (off) or anything else (on)"
    if kind is None:
        return "text"
    least = next((m for m in f.metadata if hasattr(m, "ge") or hasattr(m, "gt")), None)
    if getattr(least, "gt", None) == 0:
        return f"a positive {kind}"
    return f"a {kind} >= {least.ge:g}" if least is not None and hasattr(least, "ge") else f"a {kind}"


class Limits(_Variables):
    """Bounds on what one request may ask for (see the module docstring)."""

    max_layers: Whole = Field(8, gt=0, description="weight layers (`len(model.layers) - 1`)")
    max_width: Whole = Field(1024, gt=0, description="every entry of `model.layers` (the input size too)")
    max_params: Whole = Field(1_000_000, gt=0, description="weights plus biases of one model")
    max_batch_size: Whole = Field(65_536, gt=0, description="`optimizer.batch_size` and the length of `indices`")
    max_epochs_per_request: Whole = Field(1000, gt=0, description="`count` of `POST .../epochs`")
    max_samples: Whole = Field(100_000, gt=0, description="`dataset.n_samples`, rows of inline `X`/`y` and of "
                                                          "`predict`'s `X`")
    max_inline_values: Whole = Field(1_000_000, gt=0, description="numbers in inline `X` plus `y` (and in "
                                                                  "`predict`'s `X`)")
    max_learning_rate: Number = Field(1e9, gt=0, description="`optimizer.learning_rate`: any finite rate > 0 up to "
                                                             "this (divergence is reported, not refused)")
    max_boundary_resolution: Whole = Field(200, gt=0, description="`resolution` of `.../boundary` (minimum 5)")
    max_points: Whole = Field(20_000, gt=0, description="`max_points` of `.../data` and `.../outputs`")
    max_elements: Whole = Field(1_000_000, gt=0, description="`max_elements` (arrays above it are summarised)")
    max_gradcheck_params: Whole = Field(5000, gt=0, description="the model size `/gradcheck` accepts (it costs "
                                                                "`2 * n_params` forward passes)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Limits":
        return cls._build(os.environ if env is None else env)

    def as_dict(self) -> dict[str, int | float]:
        return self.model_dump()


class Settings(_Variables):
    """How the running server behaves, and the :class:`Limits` it enforces (module docstring)."""

    max_sessions: Whole = Field(200, gt=0, description="live sessions; the least recently used is evicted")
    session_idle_seconds: Number = Field(3600.0, gt=0, description="a session unused this long is evicted")
    max_body_bytes: Whole = Field(16 * MIB, gt=0, description="a request body (16 MiB); larger gets 413")
    max_import_bytes: Whole = Field(64 * MIB, gt=0, description="the body of `POST /api/sessions/import` (64 MiB: "
                                                                "an Adam export of a large model is big)")
    max_json_depth: Whole = Field(32, gt=0, description="nesting of a JSON body; deeper gets 422")
    static_dir: str = Field(installed_page_dir(), json_schema_extra=_shown("the package's"),
                            description="the page's files (served at `/` and `/static`); default: those of the "
                                        "installed package (`server.assets`)")
    store: str = Field("memory", json_schema_extra=_shown("SQLite, per user"),
                       description="where sessions are kept: `memory` (lost on exit), a SQLite path "
                                   "(`sqlite:///PATH` or `PATH`), or `redis://HOST:PORT/DB` (needs "
                                   "`pip install mlp-playground[redis]`). Default for the server: "
                                   "`$XDG_DATA_HOME/mlp-playground/sessions.sqlite3` (`~/.local/share/...`); "
                                   "`Settings()` in code: `memory`")
    save_interval_seconds: Number = Field(1.0, ge=0, description="every change is stored within this; an isolated "
                                          "one before its answer (bursts, such as live training, save once per "
                                          "interval; 0: each before its answer)")
    lease_seconds: Number = Field(10.0, gt=0, description="a process that died holding a session's lease blocks it "
                                                          "this long at most")
    max_sessions_per_client: Whole = Field(50, gt=0, description="sessions one client address may hold (429 beyond)")
    session_creations_per_minute: Whole = Field(60, gt=0, description="sessions one client address may create a "
                                                                      "minute (429 beyond)")
    unlimited_clients: str = Field("127.0.0.1,::1,testclient", json_schema_extra={**EMPTY_OK, **_shown("loopback")},
                                   description="comma-separated client addresses the two limits above skip: "
                                               "`127.0.0.1,::1,testclient` (the machine itself, and Starlette's "
                                               "in-process test client); set it empty to limit everyone")
    cors_origins: str = Field("", json_schema_extra=_shown("none"),
                              description="comma-separated origins allowed to call the API from other sites (CORS "
                                          "is closed by default)")
    blas_threads: Whole = Field(1, ge=0, description="threads NumPy's BLAS may use per process (0: its own "
                                "default). One keeps many small sessions fast: threaded BLAS on small matrices "
                                "under load is many times slower, and requests run in parallel")
    max_live_connections: Whole = Field(8, gt=0, description="open live sockets at once; one more is accepted, told "
                                                             "why, and closed with code 1013")
    undo_depth: Whole = Field(DEFAULT_UNDO_DEPTH, ge=0, description="changes `POST .../undo` can take back (0: none)")
    undo_max_params: Whole = Field(DEFAULT_UNDO_MAX_PARAMS, ge=0,
                                   description="models larger than this keep no undo snapshots")
    data: str = Field("", json_schema_extra=_shown("the engine's"),
                      description="the real-data folder (California housing, MNIST); default: the engine's "
                                  "(`mlp_engine.datasets`)")
    download: Flag = Field(True, json_schema_extra=_shown("1"),
                           description="`0`: never let scikit-learn download missing data")
    csv_max_bytes: Whole = Field(csv_data.MAX_BYTES, gt=0, description="the text of `POST /api/datasets/csv`")
    csv_max_rows: Whole = Field(csv_data.MAX_ROWS, gt=0, description="its data rows")
    csv_max_columns: Whole = Field(csv_data.MAX_COLUMNS, gt=0, description="its columns")
    max_request_seconds: Number = Field(20.0, gt=0, description="compute one request may take, estimated up front "
                                        "from the model, the rows and the count (422 beyond, naming the field and "
                                        "the bound); a live frame and the views (`/boundary`, `/outputs`, `/neurons`, `/code`, "
                                        "`/report`) too")
    max_request_mb: Number = Field(1024.0, gt=0, description="memory one request may allocate (its batch's "
                                                             "activations, a prediction's, a grid's, the numbers "
                                                             "of an answer or a live frame)")
    max_session_mb: Number = Field(1024.0, gt=0, description="memory one session may keep (data, parameters, "
                                   "optimizer state, undo snapshots, its batch's buffers)")
    compute_threads: Whole = Field(0, ge=0, description="engine calls running at once (the others queue, off the "
                                   "event loop); 0: as many as the threadpool has (40), so a quick request never "
                                   "queues behind long ones")
    live_idle_seconds: Number = Field(300.0, gt=0, description="a live socket whose client neither sends a "
                                                               "message nor takes a frame this long is closed "
                                                               "(code 1001), playing or not")
    max_live_per_client: Whole = Field(4, gt=0, description="live sockets one client address may hold (1013 beyond)")
    allowed_hosts: str = Field("", json_schema_extra=_shown("none"),
                               description="comma-separated `Host` names the server answers besides the loopback "
                                           "names and the `--host` it is bound to (and this machine's names when "
                                           "that is a wildcard); others get 400, a WebSocket is closed with 1008. "
                                           "`*` answers any (DNS rebinding!)")
    max_header_bytes: Whole = Field(65536, gt=0, description="the request line and headers of one request (larger: "
                                                             "400, before the body is read)")
    bound_host: str = Field("127.0.0.1", json_schema_extra=NOT_READ,
                            description="set by the CLI from `--host`, not read from the environment")
    limits: Limits = Field(default_factory=Limits, description="the request bounds (variables of their own)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """The settings (and limits) from ``MLP_PLAYGROUND_*`` variables; the store defaults
        to :func:`default_store`."""
        env = os.environ if env is None else env
        settings = cls._build(env, limits=Limits.from_env(env))
        if not env.get(ENV_PREFIX + "STORE"):
            settings = settings.model_copy(update={"store": default_store(env)})
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


def _default_text(f: FieldInfo) -> str:
    shown = _extra(f).get("shown")
    if shown is not None:
        return shown
    value = f.default
    if isinstance(value, int) and value >= MIB and value % MIB == 0:
        return f"{value} ({value // MIB} MiB)"
    return f"{value:g}".replace("e+0", "e").replace("e+", "e") if isinstance(value, float) else str(value)


def markdown_table() -> str:
    """The README's table of every variable: name (after ``MLP_PLAYGROUND_``), default, bound,
    what it does; the request bounds (:class:`Limits`) first."""
    rows = ["| variable | default | bound | what |", "| --- | --- | --- | --- |"]
    for cls in (Limits, Settings):
        for key, (_, f) in cls.variables().items():
            rows.append(f"| `{key.removeprefix(ENV_PREFIX)}` | {_default_text(f)} | {bound_text(f)} | {f.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m server.settings --markdown   (prints the README's table of settings)")
    sys.stdout.write(markdown_table())
