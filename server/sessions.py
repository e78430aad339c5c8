"""Sessions: trainers held in memory, one lock each.

A :class:`Session` is one engine :class:`~mlp_engine.Trainer` plus what it
was built from (the complete config and the loaded dataset, so ``reset``
rebuilds the same run without loading data again). Every request that reads
or changes a trainer holds ``session.lock`` for the whole of it, so
concurrent requests on one session never interleave a step, and the arrays a
response carries (the parameters are views the next step changes) are
encoded before the lock is released.

Engine work runs off the event loop (in Starlette's threadpool) so that a
long request never stalls the others, with one exception made for speed:
:meth:`Session.run` does work too small to be worth a thread hop (two
context switches, which cost more than a worked-example step) right on the
loop, and only when the lock is free, so the loop never waits for it.

The :class:`SessionStore` keeps at most ``max_sessions`` of them, evicting
the least recently used, and evicts any unused for ``idle_seconds``. It
remembers recently evicted ids so that a late request gets "expired", not
"no such session".
"""
from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any, Callable, TypeVar

from starlette.concurrency import run_in_threadpool

from mlp_engine import Dataset, Trainer, make_trainer

from .settings import LIMITS

REMEMBER_EVICTED = 10_000

INLINE_COST = 100_000
"""Work estimated below this many multiply-adds may run on the event loop (tens of microseconds)."""

T = TypeVar("T")


class SessionNotFound(LookupError):
    """An unknown or evicted session id; ``detail`` says which."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Session:
    """One trainer, the config and data it was built from, and its lock."""

    __slots__ = ("id", "trainer", "config", "data", "lock", "last_used")

    def __init__(self, trainer: Trainer, session_id: str | None = None) -> None:
        check_size(trainer)
        self.id = session_id or uuid.uuid4().hex
        self.trainer = trainer
        self.data: Dataset = trainer.data
        self.config = complete_config(trainer)
        self.lock = threading.Lock()
        self.last_used = time.monotonic()

    @classmethod
    def create(cls, config: dict[str, Any]) -> "Session":
        """Build a new session from a (partial) ``SessionConfig`` dict."""
        return cls(make_trainer(config))

    async def run(self, work: Callable[[], T], cost: int) -> T:
        """``work()`` holding the lock: inline when ``cost`` is below :data:`INLINE_COST`
        and the lock is free, otherwise in the threadpool."""
        if cost < INLINE_COST and self.lock.acquire(blocking=False):
            try:
                return work()
            finally:
                self.lock.release()
        return await run_in_threadpool(self._locked, work)

    def _locked(self, work: Callable[[], T]) -> T:
        with self.lock:
            return work()

    def reset(self) -> None:
        """Back to epoch 0: same config and seed, so the same initial weights and order."""
        self.trainer = make_trainer(self.config, data=self.data)

    def __repr__(self) -> str:
        return f"Session({self.id!r}, {self.trainer!r})"


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
    """Refuse a model over the parameter limit (layers defaulted from the data can get big)."""
    n = trainer.model.n_params
    if n > LIMITS.max_params:
        raise ValueError(f"model.layers: {trainer.model.layers} has {n} parameters; "
                         f"the limit is {LIMITS.max_params}")


def restore(state: dict[str, Any]) -> Trainer:
    """``Trainer.from_state`` on a schema-checked state (``TrainerState``, dumped by alias).

    The schema has checked types and ranges. Sizes can only be checked
    against the model and data the config builds, so that is built first and
    every array of the state is held against it: a state the engine would
    accept but fail on later (an optimizer vector of the wrong length) or
    refuse with a NumPy message (an order of the wrong length) gets a 422
    naming the field instead.
    """
    like = make_trainer(state["config"])
    n_params, n_train, n_layers = like.model.n_params, like.n_train, like.model.n_layers
    check_size(like)
    for key, value in state["optimizer"].items():
        if isinstance(value, dict) and "__array__" in value and value["shape"] != [n_params]:
            raise ValueError(f"state.optimizer.{key}: expected {n_params} numbers, got shape {value['shape']}")
    order, cursor = state["order"], state["cursor"]
    if order is not None and sorted(order["data"]) != list(range(n_train)):
        raise ValueError(f"state.order: must be a permutation of the {n_train} training rows")
    if cursor > (n_train if order is not None else 0):
        raise ValueError("state.cursor: past the end of the epoch's order")
    h = state["history"]
    if not len(h["train_loss"]) == len(h["test_loss"]) == len(h["grad_norms"]) == state["epoch"]:
        raise ValueError(f"state.history: needs one entry per epoch ({state['epoch']})")
    if any(len(g) != n_layers for g in h["grad_norms"]) or len(state["accumulators"]["norms"]) != n_layers:
        raise ValueError(f"state.history.grad_norms: needs {n_layers} norms per epoch")
    try:
        return Trainer.from_state(state)
    except (TypeError, KeyError, IndexError, OverflowError) as exc:  # e.g. Adam state without beta1
        raise ValueError(f"state: not a state this server can restore ({type(exc).__name__}: {exc})") from None


class SessionStore:
    """Live sessions in least-recently-used order, with a cap and an idle timeout."""

    def __init__(self, max_sessions: int = 200, idle_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._evicted: OrderedDict[str, str] = OrderedDict()  # id -> why
        self._lock = threading.Lock()  # guards the two dicts, never held during engine work

    def add(self, session: Session) -> Session:
        with self._lock:
            session.last_used = self.clock()
            self._sessions[session.id] = session
            self._sweep()
            while len(self._sessions) > self.max_sessions:
                self._evict(next(iter(self._sessions)), f"the server keeps at most {self.max_sessions} sessions")
        return session

    def get(self, session_id: str) -> Session:
        """The session, marked as just used; :class:`SessionNotFound` otherwise."""
        with self._lock:
            self._sweep()
            session = self._sessions.get(session_id)
            if session is None:
                why = self._evicted.get(session_id)
                if why is None:
                    raise SessionNotFound(f"session: no session with id {session_id!r}")
                raise SessionNotFound(f"session: {session_id!r} expired ({why}); create a new one")
            session.last_used = self.clock()
            self._sessions.move_to_end(session_id)
            return session

    def delete(self, session_id: str) -> None:
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFound(f"session: no session with id {session_id!r}")

    def __len__(self) -> int:
        return len(self._sessions)

    def _sweep(self) -> None:
        # Oldest first, so stop at the first one still fresh.
        cutoff = self.clock() - self.idle_seconds
        while self._sessions:
            sid, session = next(iter(self._sessions.items()))
            if session.last_used > cutoff:
                break
            self._evict(sid, f"unused for more than {self.idle_seconds:g} s")

    def _evict(self, session_id: str, why: str) -> None:
        del self._sessions[session_id]
        self._evicted[session_id] = why
        if len(self._evicted) > REMEMBER_EVICTED:
            self._evicted.popitem(last=False)
