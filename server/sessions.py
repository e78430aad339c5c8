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

**Durable sessions.** Given a backend (:mod:`server.store`: SQLite by
default, Redis for several machines), the store writes every session through
to it, so a restart, or another worker process, finds every session where it
was. The sessions in memory are then a cache, and ``session.lock`` is a
:class:`DurableLock`: entering it also takes the session's lease in the
backend (so no two processes ever step one session at once) and reloads the
state when another process saved a newer version; leaving it saves the state
when the trainer changed and gives the lease up.

Saves are write-behind with a bound: a change is saved before the answer
when the session's last save is at least ``save_interval`` old (an isolated
click), and otherwise (a burst: live training, a script stepping in a loop)
at most ``save_interval`` later, by a background thread. Meanwhile the
process keeps the lease, so the stored version is never behind a change
another process could see; when another process asks for the session, the
thread saves and lets go within a tick (10 ms). Encoding the state is the
cost (``Trainer.state_dict()`` is exact JSON, linear in the parameters and
the history), so a burst pays it once per interval, not once per step. A
graceful shutdown saves everything; a ``kill -9`` loses at most the last
interval.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
import zlib
from collections import Counter, OrderedDict, deque
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, AsyncIterator, Callable, Hashable, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool

from mlp_engine import Dataset, Trainer, make_trainer

from .settings import LIMITS, Settings
from .store.base import Backend, open_backend

REMEMBER_EVICTED = 10_000

INLINE_COST = 100_000
"""Work estimated below this many multiply-adds may run on the event loop (tens of microseconds)."""

T = TypeVar("T")

CLIENT: ContextVar[str] = ContextVar("CLIENT", default="local")
"""The address of the client making the request (sessions are counted per client)."""

log = logging.getLogger("mlp_playground.sessions")


class SessionNotFound(LookupError):
    """An unknown or evicted session id; ``detail`` says which."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SessionBusy(RuntimeError):
    """Another process held the session's lease for longer than the store waits (503)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Session:
    """One trainer, the config and data it was built from, and its lock.

    With a durable store also the stored ``version`` the trainer is at, the
    trainer's ``mark`` (:func:`fingerprint`) when it was last saved, when that
    was (``saved_at``, monotonic) and whether this process ``held`` its lease."""

    __slots__ = ("id", "trainer", "config", "data", "lock", "last_used", "version", "mark", "saved_at", "held")

    def __init__(self, trainer: Trainer, session_id: str | None = None) -> None:
        check_size(trainer)
        self.id = session_id or uuid.uuid4().hex
        self.trainer = trainer
        self.data: Dataset = trainer.data
        self.config = complete_config(trainer)
        self.lock: threading.Lock | DurableLock = threading.Lock()
        self.last_used = time.monotonic()
        self.version = 0
        self.mark: Hashable = None
        self.saved_at = 0.0
        self.held = False

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


def fingerprint(trainer: Trainer) -> Hashable:
    """Changes whenever the trainer's state does, so the store saves only what changed:
    a step, an epoch, a reset (a new trainer), a new learning rate, and any edit of the
    parameters (a CRC of their buffer: an edited weight or an undo changes nothing else
    that is cheap to see; 13 ms per million parameters, small next to any request on such a model)."""
    return (id(trainer), trainer.step_count, trainer.epoch, trainer.position, trainer.optimizer.learning_rate,
            zlib.crc32(memoryview(trainer.model.params.flat).cast("B")))


def encode_state(trainer: Trainer) -> bytes:
    """The trainer's ``state_dict()`` as JSON bytes (exact: the engine writes shortest round-trip floats)."""
    return orjson.dumps(trainer.state_dict())


def decode_state(blob: bytes) -> Trainer:
    return Trainer.from_state(orjson.loads(blob))


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
    """``Trainer.from_state`` on an imported state whose config met the server's limits
    (``TrainerState``, dumped by alias).

    The engine checks the whole state against the model and data its config
    builds before anything is used, and refuses with a
    :class:`~mlp_engine.StateError` naming the field (a ``ValueError``: a 422
    through :mod:`server.errors`); a model over the parameter limit is refused
    like a new session's.
    """
    trainer = Trainer.from_state(state)
    check_size(trainer)
    return trainer


class DurableLock:
    """``session.lock`` with a durable store: the thread lock, plus the session's
    lease in the backend while held (see the module docstring). Used like
    :class:`threading.Lock` (``with``, ``acquire(blocking=False)``, ``release``)."""

    __slots__ = ("session", "store", "thread")

    def __init__(self, session: Session, store: "SessionStore") -> None:
        self.session, self.store = session, store
        self.thread = threading.Lock()

    def acquire(self, blocking: bool = True) -> bool:
        if not self.thread.acquire(blocking):
            return False
        try:
            entered = self.store._enter(self.session, wait=blocking)
        except BaseException:
            self.thread.release()
            raise
        if not entered:
            self.thread.release()
        return entered

    def release(self) -> None:
        try:
            self.store._leave(self.session)
        finally:
            self.thread.release()

    def __enter__(self) -> "DurableLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SessionStore:
    """Live sessions in least-recently-used order, with a cap and an idle timeout;
    with a ``backend``, durable and shared between processes (module docstring)."""

    def __init__(self, max_sessions: int = 200, idle_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic, backend: Backend | None = None,
                 save_interval: float = 1.0, lease_seconds: float = 10.0, wait_seconds: float = 60.0) -> None:
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.backend = backend
        self.save_interval = save_interval
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.owner = uuid.uuid4().hex  # this process's name on the leases it takes
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # with a backend: the cache
        self._evicted: OrderedDict[str, str] = OrderedDict()  # id -> why
        self._clients: dict[str, str] = {}  # id -> client (without a backend)
        self._per_client: Counter[str] = Counter()
        self._creations: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # guards the dicts and sets, never held during engine work
        self._active: set[Session] = set()  # entered (lock held) right now
        self._dirty: set[Session] = set()  # changed, save deferred (lease kept), due within the interval
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        if backend is not None:
            self._flusher = threading.Thread(target=self._flush_loop, name="session-saver", daemon=True)
            self._flusher.start()

    # -- the public side ---------------------------------------------------
    def add(self, session: Session) -> Session:
        client = CLIENT.get()
        if self.backend is not None:
            return self._add_durable(session, client)
        with self._lock:
            session.last_used = self.clock()
            self._sessions[session.id] = session
            self._clients[session.id] = client
            self._per_client[client] += 1
            self._sweep()
            while len(self._sessions) > self.max_sessions:
                self._evict(next(iter(self._sessions)), f"the server keeps at most {self.max_sessions} sessions")
        return session

    def get(self, session_id: str) -> Session:
        """The session, marked as just used; :class:`SessionNotFound` otherwise."""
        if self.backend is not None:
            return self._get_durable(session_id)
        with self._lock:
            self._sweep()
            session = self._sessions.get(session_id)
            if session is None:
                raise SessionNotFound(self._gone_detail(session_id, self._evicted.get(session_id)))
            session.last_used = self.clock()
            self._sessions.move_to_end(session_id)
            return session

    def delete(self, session_id: str) -> None:
        if self.backend is not None:
            with self._lock:
                self._sessions.pop(session_id, None)
            if not self.backend.delete(session_id, None):
                raise SessionNotFound(f"session: no session with id {session_id!r}")
            return
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFound(f"session: no session with id {session_id!r}")
            self._forget_client(session_id)

    def __len__(self) -> int:
        return self.backend.count() if self.backend is not None else len(self._sessions)

    def count_client(self, client: str) -> int:
        """Sessions that ``client`` created and that still exist."""
        if self.backend is not None:
            return self.backend.count(client)
        with self._lock:
            return self._per_client[client]

    def note_creation(self, client: str, window: float, limit: int) -> bool:
        """Count one session creation by ``client`` unless it made ``limit`` in the last ``window`` s."""
        if self.backend is not None:
            return self.backend.note_creation(client, time.time(), window, limit)
        now = time.monotonic()
        with self._lock:
            times = self._creations.setdefault(client, deque())
            while times and times[0] < now - window:
                times.popleft()
            if len(times) >= limit:
                return False
            times.append(now)
            if len(self._creations) > REMEMBER_EVICTED:  # forget the quiet clients
                for c in [c for c, t in self._creations.items() if not t]:
                    del self._creations[c]
            return True

    def close(self) -> None:
        """Save every pending change and give every lease up (graceful shutdown)."""
        if self.backend is None or self._stop.is_set():
            return
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join()
        with self._lock:
            pending = list(self._dirty)
        for session in pending:
            with session.lock.thread:  # type: ignore[union-attr]
                self._save(session, fingerprint(session.trainer))
        self.backend.close()

    # -- memory only -------------------------------------------------------
    @staticmethod
    def _gone_detail(session_id: str, why: str | None) -> str:
        if why is None:
            return f"session: no session with id {session_id!r}"
        return f"session: {session_id!r} expired ({why}); create a new one"

    def _forget_client(self, session_id: str) -> None:
        client = self._clients.pop(session_id, None)
        if client is not None:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]

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
        self._forget_client(session_id)
        self._evicted[session_id] = why
        if len(self._evicted) > REMEMBER_EVICTED:
            self._evicted.popitem(last=False)

    # -- durable -----------------------------------------------------------
    def _why_full(self) -> str:
        return f"the server keeps at most {self.max_sessions} sessions"

    def _add_durable(self, session: Session, client: str) -> Session:
        assert self.backend is not None
        session.lock = DurableLock(session, self)
        session.version, session.mark, session.saved_at = 1, fingerprint(session.trainer), time.monotonic()
        self.backend.insert(session.id, encode_state(session.trainer), client, time.time())
        self._cache(session)
        gone = self.backend.evict(self.max_sessions, time.time() - self.idle_seconds, self._why_full(),
                                  f"unused for more than {self.idle_seconds:g} s")
        with self._lock:
            for sid in gone:
                self._sessions.pop(sid, None)
        return session

    def _cache(self, session: Session) -> Session:
        """Keep ``session`` in memory (the one already cached wins a race); drop the least
        recently used cached sessions not in use beyond ``max_sessions`` (they stay stored)."""
        with self._lock:
            session = self._sessions.setdefault(session.id, session)
            self._sessions.move_to_end(session.id)
            if len(self._sessions) > self.max_sessions:
                for sid, cached in list(self._sessions.items())[:len(self._sessions) - self.max_sessions]:
                    if cached not in self._active and not cached.held:
                        del self._sessions[sid]
            return session

    def _get_durable(self, session_id: str) -> Session:
        assert self.backend is not None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
                return session
        stored = self.backend.load(session_id)
        if stored is None:
            raise SessionNotFound(self._gone_detail(session_id, self.backend.why_gone(session_id)))
        session = Session(decode_state(stored[1]), session_id)
        session.lock = DurableLock(session, self)
        session.version, session.mark, session.saved_at = stored[0], fingerprint(session.trainer), time.monotonic()
        return self._cache(session)

    def _enter(self, session: Session, wait: bool) -> bool:
        """Take the session's lease (waiting for it when ``wait``) and bring the trainer
        up to the stored version. The caller holds the session's thread lock."""
        assert self.backend is not None
        if not session.held:
            deadline = time.monotonic() + self.wait_seconds
            delay = 0.001
            while not (lease := self.backend.acquire(session.id, self.owner, self.lease_seconds,
                                                     time.time())).acquired:
                if not wait:
                    return False
                if time.monotonic() > deadline:
                    raise SessionBusy(f"session: {session.id!r} is busy in another server process; retry")
                time.sleep(delay)
                delay = min(2 * delay, 0.02)
            if lease.version is None:
                with self._lock:
                    self._sessions.pop(session.id, None)
                raise SessionNotFound(self._gone_detail(session.id, self.backend.why_gone(session.id)))
            session.held = True
            if lease.version != session.version:
                try:
                    stored = self.backend.load(session.id)
                    if stored is None:
                        raise SessionNotFound(self._gone_detail(session.id, self.backend.why_gone(session.id)))
                    self._reload(session, *stored)
                except BaseException:
                    self.backend.release(session.id, self.owner)
                    session.held = False
                    raise
        with self._lock:
            self._active.add(session)
        return True

    @staticmethod
    def _reload(session: Session, version: int, blob: bytes) -> None:
        """Another process saved a newer version: continue from it."""
        trainer = decode_state(blob)
        session.trainer, session.data, session.config = trainer, trainer.data, complete_config(trainer)
        session.version, session.mark = version, fingerprint(trainer)

    def _leave(self, session: Session) -> None:
        """Save what changed and give the lease up, or, within ``save_interval`` of the
        last save, keep both for the saver thread. The caller holds the thread lock."""
        assert self.backend is not None
        mark = fingerprint(session.trainer)
        with self._lock:
            self._active.discard(session)
            changed = mark != session.mark or session in self._dirty
            if changed and time.monotonic() - session.saved_at < self.save_interval:
                self._dirty.add(session)
                return
        if changed:
            self._save(session, mark)
        else:
            self.backend.release(session.id, self.owner)
            session.held = False

    def _save(self, session: Session, mark: Hashable) -> None:
        """Write the trainer as the next version and release the lease (thread lock held)."""
        assert self.backend is not None
        version = self.backend.save(session.id, self.owner, encode_state(session.trainer), release=True)
        with self._lock:
            self._dirty.discard(session)
        session.held = False
        if version is None:  # evicted or deleted meanwhile, or the lease expired: that change is void
            log.warning("session %s: not saved (gone, or its lease was lost)", session.id)
            session.version = -1  # reload (or learn it is gone) on the next use
            return
        session.version, session.mark, session.saved_at = version, mark, time.monotonic()

    def _flush_loop(self) -> None:
        """Save deferred changes when due or wanted by another process; renew the
        leases of sessions in use (a long request may outlast ``lease_seconds``)."""
        assert self.backend is not None
        tick = min(0.01, self.save_interval / 4)
        renewed = time.monotonic()
        while not self._stop.wait(tick):
            try:
                with self._lock:
                    dirty = list(self._dirty)
                now = time.monotonic()
                if dirty:
                    wanted = self.backend.wanted([s.id for s in dirty])
                    for session in dirty:
                        due = session.id in wanted or now - session.saved_at >= self.save_interval
                        if due and session.lock.thread.acquire(blocking=False):  # type: ignore[union-attr]
                            try:
                                if session in self._dirty:
                                    self._save(session, fingerprint(session.trainer))
                            finally:
                                session.lock.thread.release()  # type: ignore[union-attr]
                if now - renewed > self.lease_seconds / 3:
                    renewed = now
                    with self._lock:
                        held = [s.id for s in self._active | self._dirty]
                    if held:
                        self.backend.renew(held, self.owner, self.lease_seconds, time.time())
            except Exception:  # a transient backend error must not end the saver
                log.exception("session saver")


def open_store(settings: Settings) -> SessionStore:
    """The store ``settings`` ask for (``settings.store``: memory, SQLite path or Redis URL)."""
    return SessionStore(settings.max_sessions, settings.session_idle_seconds, backend=open_backend(settings.store),
                        save_interval=settings.save_interval_seconds, lease_seconds=settings.lease_seconds)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The app's lifespan: on shutdown, save the changes not saved yet."""
    yield
    await run_in_threadpool(app.state.store.close)
