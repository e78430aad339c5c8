"""Sessions: one engine trainer each, with the config and data it was built from and its lock.

A :class:`Session` is one engine :class:`~mlp_engine.Trainer` plus what it
was built from (the complete config and the loaded dataset, so ``reset``
rebuilds the same run without loading data again). Every request that reads
or changes a trainer holds ``session.lock`` for the whole of it, so
concurrent requests on one session never interleave a step, and the arrays a
response carries (the parameters are views the next step changes) are
encoded before the lock is released.

Engine work never runs on the event loop, however small it looks: the loop
only routes. :meth:`Session.run` does it in a worker thread, one request per
session at a time (the others wait on the loop, holding no thread) and at most
``Settings.compute_threads`` engine calls at once (:data:`COMPUTE`), so a burst
of long requests queues instead of starving the loop of the interpreter. Store
I/O (a lease wait, loading and decoding a stored state) happens in that thread
too, when the session's lock is taken, and the lookup of a session that is not
in memory runs in a thread (:func:`server.deps.lookup`).

:class:`Builder` is how the server asks the engine for a trainer: with the
undo bounds and the real-data folder of its settings. The stores that keep
sessions (in memory, or durable in SQLite or Redis) are in :mod:`server.store`;
this module holds what they share: the session, its state's encoding and
:func:`fingerprint`, and the checks on a state to restore.
"""
from __future__ import annotations

import asyncio
import copy
import threading
import time
import uuid
import zlib
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Hashable, TypeVar

import anyio
import numpy as np
from starlette.concurrency import run_in_threadpool

from mlp_engine import Dataset, StepResult, Trainer, make_trainer
from mlp_engine.fork import fork_trainer

from . import state_blob
from .bounds.budget import check_session
from .errors import ServerError
from .bounds.fields import current_limits
from .settings import Settings
from .state_blob import HistoryJSON

COMPUTE: ContextVar[Any] = ContextVar("COMPUTE", default=None)
"""The app's :class:`anyio.CapacityLimiter` for engine calls (``None``: the threadpool's own)."""

T = TypeVar("T")

CLIENT: ContextVar[str] = ContextVar("CLIENT", default="local")
"""The address of the client making the request (sessions are counted per client)."""


class SessionNotFound(ServerError, LookupError):
    """An unknown or evicted session id (404); ``detail`` says which."""

    status = 404


class StoreFailing(ServerError, RuntimeError):
    """The store cannot be read or written (a full disk, a read-only file, a Redis that went
    away): 503, and ``/api/health`` says so. ``detail`` says what failed."""

    status, retry_after = 503, 5


class SessionDamaged(ServerError, RuntimeError):
    """A stored session whose state cannot be read back (409: only that session is affected)."""

    status = 409


class TooManySessions(ServerError, RuntimeError):
    """The client already holds as many sessions as it may (429); ``detail`` names the limit."""

    status, retry_after = 429, 60


class SessionBusy(ServerError, RuntimeError):
    """Another process held the session's lease for longer than the store waits (503)."""

    status, retry_after = 503, 1


@dataclass(frozen=True)
class Builder:
    """How the server has the engine build trainers: the undo bounds and where real
    data is (``Settings.undo_depth``, ``undo_max_params``, ``data``, ``download``)."""

    undo_depth: int
    undo_max_params: int
    data_dir: Path | None
    download: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> "Builder":
        return cls(settings.undo_depth, settings.undo_max_params, settings.data_dir(), settings.download)

    def _keywords(self) -> dict[str, Any]:
        return {"undo_depth": self.undo_depth, "undo_max_params": self.undo_max_params,
                "data_dir": self.data_dir, "download": self.download}

    def make(self, config: dict[str, Any], data: Dataset | None = None) -> Trainer:
        """``make_trainer`` with these bounds (``data`` skips loading it again)."""
        return make_trainer(config, data, **self._keywords())

    def fork(self, config: dict[str, Any], data: Dataset, overrides: dict[str, Any]) -> Trainer:
        """``fork_trainer`` with these bounds: a trainer at epoch 0 with ``config`` and
        ``overrides`` applied, on the same ``data``, seed and order, and the initial
        parameters of ``config`` wherever the shapes agree."""
        return fork_trainer(config, data, overrides, self.make)

    def from_state(self, state: dict[str, Any]) -> Trainer:
        """``Trainer.from_state`` with these bounds and this server's data folder: a
        trainer continuing from a ``Trainer.state_dict()``, checked whole by the engine."""
        return Trainer.from_state(state, **self._keywords())


DEFAULT_BUILDER = Builder.from_settings(Settings())


LAST_STEP_MAX_ELEMENTS = 2_000_000
"""A session keeps its last backward pass for the chain-rule view up to this many numbers
(the batch, its z, a and delta, the weights it used): 16 MB, so that many sessions stepping
big batches cannot hold gigabytes."""


@dataclass
class LastStep:
    """A step's trace, the weights ``W`` its pass used, and where the trainer stood after it
    (the trainer itself, its step count and revision), so that a later change is noticed."""

    trainer: Trainer
    step: int
    revision: int
    result: StepResult | None
    """``None`` when the pass was too large to keep (see :data:`LAST_STEP_MAX_ELEMENTS`)."""
    W: list[np.ndarray] | None
    elements: int = 0
    gamma: list[np.ndarray] | None = None
    """Batch norm's ``gamma`` the pass used (empty without batch norm)."""

    @classmethod
    def keep(cls, trainer: Trainer, result: StepResult, W: list[np.ndarray],
             gamma: list[np.ndarray] | None = None) -> "LastStep":
        """The step as it stands, holding its arrays only up to :data:`LAST_STEP_MAX_ELEMENTS` numbers."""
        c, g = result.cache, result.grads
        n = result.X.size + sum(w.size for w in W) + sum(x.size for x in (*c.z, *c.a, *g.delta))
        if n > LAST_STEP_MAX_ELEMENTS:
            return cls(trainer, trainer.step_count, trainer.revision, None, None, n)
        return cls(trainer, trainer.step_count, trainer.revision, result, W, n, gamma)

    def current(self, trainer: Trainer) -> bool:
        return trainer is self.trainer and trainer.step_count == self.step and trainer.revision == self.revision


class Session:
    """One trainer, the config and data it was built from, and its lock.

    With a durable store also the stored ``version`` the trainer is at, the
    trainer's ``mark`` (:func:`fingerprint`) when it was last saved, when that
    was (``saved_at``, monotonic) and whether this process ``held`` its lease."""

    __slots__ = ("id", "trainer", "builder", "config", "data", "lock", "last_used", "version", "mark",
                 "saved_at", "held", "last_step", "_turn", "history_json", "__weakref__")

    def __init__(self, trainer: Trainer, session_id: str | None = None, builder: Builder = DEFAULT_BUILDER) -> None:
        check_size(trainer)
        self.id = session_id or uuid.uuid4().hex
        self.trainer = trainer
        self.builder = builder
        self.data: Dataset = trainer.data
        self.config = complete_config(trainer)
        self.lock: Any = threading.Lock()  # a durable store puts its own lock here
        self.last_used = time.monotonic()
        self.version = 0
        self.mark: Hashable = None
        self.saved_at = 0.0
        self.held = False
        self._turn: asyncio.Lock | None = None  # made on the loop, at the first run
        self.last_step: LastStep | None = None
        """The last backward pass with the weights it used (this process only: the chain-rule view)."""
        self.history_json = HistoryJSON()
        """The history's encoded blocks, so that saving a long history encodes only its new epochs."""

    @classmethod
    def create(cls, config: dict[str, Any], builder: Builder = DEFAULT_BUILDER) -> "Session":
        """Build a new session from a (partial) ``SessionConfig`` dict."""
        return cls(builder.make(config), builder=builder)

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread, holding the lock. Requests on this session take
        turns on the event loop first, so a second one never occupies a compute slot
        (:data:`COMPUTE`) while it waits for the lock."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            return await anyio.to_thread.run_sync(self._locked, work, limiter=COMPUTE.get())

    def _locked(self, work: Callable[[], T]) -> T:
        with self.lock:
            return work()

    def fork(self, overrides: dict[str, Any]) -> "Session":
        """A new session at epoch 0 that differs from this one only in ``overrides`` (see
        :func:`mlp_engine.fork.fork_trainer`); the caller holds the lock."""
        return Session(self.builder.fork(self.config, self.data, overrides), builder=self.builder)

    def reset(self) -> None:
        """Back to epoch 0: same config and seed, so the same initial weights and order."""
        self.trainer = self.builder.make(self.config, self.data)

    def __repr__(self) -> str:
        return f"Session({self.id!r}, {self.trainer!r})"


class ComputeScope:
    """ASGI middleware: every request runs with the app's compute limiter in :data:`COMPUTE`
    (``threads`` engine calls at once; 0: the threadpool's default). The limiter is made on
    the app's event loop, at its first request."""

    def __init__(self, app: Any, threads: int) -> None:
        self.app, self.threads = app, threads
        self.limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.threads and self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.threads)
        token = COMPUTE.set(self.limiter)
        try:
            await self.app(scope, receive, send)
        finally:
            COMPUTE.reset(token)


def fingerprint(trainer: Trainer) -> Hashable:
    """Changes whenever the trainer's state does, so the store saves only what changed:
    a step, an epoch, a reset (a new trainer), a new learning rate, and any edit of the
    parameters (a CRC of their buffer: an edited weight or an undo changes nothing else
    that is cheap to see; 13 ms per million parameters, small next to any request on such a model)."""
    return (id(trainer), trainer.step_count, trainer.epoch, trainer.position, trainer.optimizer.learning_rate,
            zlib.crc32(memoryview(trainer.model.params.flat).cast("B")))


def encode_state(trainer: Trainer, cache: HistoryJSON | None = None) -> bytes:
    """The trainer's ``state_dict()`` as the bytes a store keeps (:mod:`server.state_blob`:
    exact, and a long history's unchanged blocks taken from ``cache``)."""
    return state_blob.encode_state(trainer, cache)


def decode_state(blob: bytes, builder: Builder = DEFAULT_BUILDER, cache: HistoryJSON | None = None) -> Trainer:
    """Stored bytes back as a trainer, read a block at a time; ``cache`` learns the history's blocks."""
    return state_blob.decode_state(blob, builder, cache)


def complete_config(trainer: Trainer) -> dict[str, Any]:
    """The trainer's resolved config with the dataset's defaults filled in too,
    so that posting it again reproduces the run."""
    cfg = copy.deepcopy(trainer.config)
    spec, ds = trainer.data.spec, cfg["dataset"]
    for key in ("noise", "test_fraction", "seed"):
        ds.setdefault(key, spec[key])
    if ds["name"] == "inline":
        ds.setdefault("task", spec["task"])
    else:
        ds.setdefault("n_samples", trainer.data.n_samples)
    return cfg


def check_size(trainer: Trainer) -> None:
    """Refuse a model over the parameter limit, counted by the engine (the one check of it: new,
    forked and imported sessions alike, layers defaulted from the data included), and a session
    over the memory budget (before its training buffers exist)."""
    n = trainer.model.n_params
    limit = current_limits().max_params
    if n > limit:
        raise ValueError(f"model.layers: {trainer.model.layers} has {n} parameters; "
                         f"the limit is {limit}")
    check_session(trainer)


def restore(state: dict[str, Any], builder: Builder = DEFAULT_BUILDER) -> Trainer:
    """``Trainer.from_state`` on an imported state whose config met the server's limits
    (``TrainerState``, dumped by alias).

    The engine checks the whole state against the model and data its config
    builds before anything is used, and refuses with a
    :class:`~mlp_engine.StateError` naming the field (a ``ValueError``: a 422
    through :mod:`server.errors`); a model over the parameter limit is refused
    like a new session's.
    """
    trainer = builder.from_state(state)
    check_size(trainer)
    return trainer


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The app's lifespan: on shutdown, save the changes not saved yet."""
    yield
    await run_in_threadpool(app.state.store.close)
