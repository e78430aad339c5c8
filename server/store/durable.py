"""Sessions written through to a :class:`~server.store.base.Backend` (SQLite or Redis), so
a restart, or another worker process, finds every session where it was.

The sessions in memory are then a cache, and ``session.lock`` is a
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
cost (``Trainer.state_dict()`` is exact JSON, linear in the parameters; the
history's unchanged blocks are kept, :mod:`server.state_blob`), so a burst
pays it once per interval, not once per step. A
graceful shutdown saves everything; a ``kill -9`` loses at most the last
interval.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Hashable

if TYPE_CHECKING:
    from mlp_engine import Trainer

from ..sessions import (
    CLIENT,
    DEFAULT_BUILDER,
    Builder,
    Session,
    SessionBusy,
    SessionDamaged,
    SessionNotFound,
    StoreFailing,
    TooManySessions,
    complete_config,
    decode_state,
    encode_state,
    fingerprint,
)
from ..state_blob import HistoryJSON
from .base import Backend
from .guarded import Guarded
from .protocol import ClientCap, full_reason, gone_detail, idle_reason

log = logging.getLogger("mlp_playground.sessions")

CHECK_SECONDS = 1.0
"""How often the saver looks at the store (a ``stat`` of a SQLite file)."""


class DurableLock:
    """``session.lock`` in a durable store: the thread lock, plus the session's lease in
    the backend while held (see the module docstring). Used like :class:`threading.Lock`
    (``with``, ``acquire(blocking=False)``, ``release``)."""

    __slots__ = ("_session", "store", "thread")

    def __init__(self, session: Session, store: "DurableStore") -> None:
        # A weak reference: the session holds its lock, and a cycle would keep a deleted
        # session's trainer (its data and buffers) alive until the next garbage collection.
        self._session = weakref.ref(session)
        self.store = store
        self.thread = threading.Lock()

    @property
    def session(self) -> Session:
        session = self._session()
        if session is None:  # only a session's own lock is ever used, while it exists
            raise RuntimeError("the lock of a session that no longer exists")
        return session

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


class DurableStore:
    """:class:`~server.store.protocol.SessionStore` over ``backend``, shared between processes
    (module docstring). At most ``max_sessions`` are stored (and cached here)."""

    def __init__(self, backend: Backend, max_sessions: int = 200, idle_seconds: float = 3600.0,
                 save_interval: float = 1.0, lease_seconds: float = 10.0, wait_seconds: float = 60.0,
                 builder: Builder = DEFAULT_BUILDER, max_per_client: int | None = None,
                 unlimited: frozenset[str] = frozenset()) -> None:
        self.backend = Guarded(backend)  # its failures become StoreFailing (503), and health sees them
        self.cap = ClientCap(max_per_client, unlimited)
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.save_interval = save_interval
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.builder = builder
        self.owner = uuid.uuid4().hex  # this process's name on the leases it takes
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # the cache
        self._lock = threading.Lock()  # guards the dict and sets, never held during engine work
        self._active: set[Session] = set()  # entered (lock held) right now
        self._dirty: set[Session] = set()  # changed, save deferred (lease kept), due within the interval
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="session-saver", daemon=True)
        self._flusher.start()

    # -- the protocol --------------------------------------------------------
    def add(self, session: Session) -> Session:
        session.lock = DurableLock(session, self)
        session.version, session.mark, session.saved_at = 1, fingerprint(session.trainer), time.monotonic()
        client = CLIENT.get()
        self.backend.insert(session.id, encode_state(session.trainer, session.history_json), client, time.time())
        if self.cap.applies(client):
            # Counted after inserting, our own included: of parallel creations, the ones that
            # find the client over the cap take theirs back, so the cap holds in any process.
            try:
                self.cap.check(client, self.backend.count(client) - 1)
            except TooManySessions:
                self.backend.delete(session.id, None)
                raise
        self._cache(session)
        gone = self.backend.evict(self.max_sessions, time.time() - self.idle_seconds,
                                  full_reason(self.max_sessions), idle_reason(self.idle_seconds))
        with self._lock:
            for sid in gone:
                self._sessions.pop(sid, None)
        return session

    def get(self, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
                return session
        stored = self.backend.load(session_id)
        if stored is None:
            raise SessionNotFound(gone_detail(session_id, self.backend.why_gone(session_id)))
        cache = HistoryJSON()
        session = Session(self._decode(session_id, stored[1], cache), session_id, self.builder)
        session.history_json = cache
        session.lock = DurableLock(session, self)
        session.version, session.mark, session.saved_at = stored[0], fingerprint(session.trainer), time.monotonic()
        return self._cache(session)

    def cached(self, session_id: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
            return session

    def delete(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
            if session is not None:  # nothing of it is kept: not even its pending save
                self._dirty.discard(session)
                self._active.discard(session)
            del session
        if not self.backend.delete(session_id, None):
            raise SessionNotFound(gone_detail(session_id, None))

    def __len__(self) -> int:
        return self.backend.count()

    def count_client(self, client: str) -> int:
        return self.backend.count(client)

    def note_creation(self, client: str, window: float, limit: int) -> bool:
        return self.backend.note_creation(client, time.time(), window, limit)

    def close(self) -> None:
        """Save every pending change and give every lease up (graceful shutdown)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._flusher.join()
        with self._lock:
            pending = list(self._dirty)
        for session in pending:
            with session.lock.thread:
                try:
                    self._save(session, fingerprint(session.trainer))
                except StoreFailing as exc:  # nothing more can be done for it: say so, and stop
                    log.error("session %s: not saved on shutdown: %s", session.id, exc.detail)
        self.backend.close()

    # -- the cache and the leases ----------------------------------------------
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

    def _gone(self, session: Session) -> SessionNotFound:
        return SessionNotFound(gone_detail(session.id, self.backend.why_gone(session.id)))

    def _enter(self, session: Session, wait: bool) -> bool:
        """Take the session's lease (waiting for it when ``wait``) and bring the trainer
        up to the stored version. The caller holds the session's thread lock."""
        if session.held and session in self._dirty:
            # This session's last change waits for the saver: a request may build on it only
            # while the store can take it (a stat), and once the store failed, only once it
            # is saved (503 while it fails), so no answer rests on a change that may be lost.
            self.backend.check()
            if self.backend.failure is not None:
                self._save(session, fingerprint(session.trainer))
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
                raise self._gone(session)
            session.held = True
            if lease.version != session.version:
                try:
                    stored = self.backend.load(session.id)
                    if stored is None:
                        raise self._gone(session)
                    self._reload(session, *stored)
                except BaseException:
                    self.backend.release(session.id, self.owner)
                    session.held = False
                    raise
        with self._lock:
            self._active.add(session)
        return True

    def health(self) -> str | None:
        """What the store's last failure was, while it lasts (``None``: the store works)."""
        return self.backend.failure

    def _decode(self, session_id: str, blob: bytes, cache: HistoryJSON) -> "Trainer":
        """A stored state back as a trainer (``cache`` learns its history's blocks);
        :class:`SessionDamaged` when it cannot be read."""
        try:
            return decode_state(blob, self.builder, cache)
        except Exception as exc:  # any damage (bad JSON, a state the engine refuses): this session only
            log.warning("session %s: stored state unreadable: %s", session_id, exc)
            raise SessionDamaged(f"session: the stored state of {session_id!r} is damaged and cannot be "
                                 f"loaded ({type(exc).__name__}: {str(exc)[:200]}); delete it and create "
                                 "a new one") from None

    def _reload(self, session: Session, version: int, blob: bytes) -> None:
        """Another process saved a newer version: continue from it."""
        cache = HistoryJSON()
        trainer = self._decode(session.id, blob, cache)
        session.trainer, session.data, session.config = trainer, trainer.data, complete_config(trainer)
        session.history_json = cache
        session.version, session.mark = version, fingerprint(trainer)

    def _leave(self, session: Session) -> None:
        """Save what changed and give the lease up, or, within ``save_interval`` of the
        last save, keep both for the saver thread. The caller holds the thread lock."""
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
        version = self.backend.save(session.id, self.owner, encode_state(session.trainer, session.history_json),
                                    release=True)
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
        leases of sessions in use (a long request may outlast ``lease_seconds``); look at
        the store once a second (:meth:`Backend.check`), so that health sees a store that
        went away while nothing was written. While the store fails, it tries once per
        ``save_interval``, and says so in one log line per failure (not one per tick)."""
        tick = min(0.01, self.save_interval / 4)
        renewed = checked = time.monotonic()
        reported: str | None = None
        while not self._stop.wait(tick if self.backend.failure is None else self.save_interval):
            problem = None
            try:
                if time.monotonic() - checked >= CHECK_SECONDS:
                    checked = time.monotonic()
                    self.backend.check()
                renewed = self._flush_once(renewed)
            except StoreFailing:
                pass  # remembered by the guarded backend, reported below
            except Exception as exc:  # anything else must not end the saver either
                problem = f"{type(exc).__name__}: {exc}"
            problem = self.backend.failure or problem
            if problem != reported:
                if problem is not None:
                    log.error("session saver: %s", problem)
                elif reported is not None:
                    log.warning("session saver: the store works again")
                reported = problem

    def _flush_once(self, renewed: float) -> float:
        """One tick of the saver; when the leases were last renewed. A function of its own so
        that its references to sessions end with it (a deleted session is freed at once)."""
        with self._lock:
            dirty = list(self._dirty)
        now = time.monotonic()
        if dirty:
            wanted = self.backend.wanted([s.id for s in dirty])
            for session in dirty:
                due = session.id in wanted or now - session.saved_at >= self.save_interval
                if due and session.lock.thread.acquire(blocking=False):
                    try:
                        if session in self._dirty:
                            self._save(session, fingerprint(session.trainer))
                    finally:
                        session.lock.thread.release()
        if now - renewed > self.lease_seconds / 3:
            renewed = now
            with self._lock:
                held = [s.id for s in self._active | self._dirty]
            if held:
                self.backend.renew(held, self.owner, self.lease_seconds, time.time())
        return renewed
