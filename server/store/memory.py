"""Sessions in this process's memory only: lost when it exits (``MLP_PLAYGROUND_STORE=memory``)."""
from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict, deque
from typing import Callable

from ..sessions import CLIENT, DEFAULT_BUILDER, Builder, Session, SessionNotFound
from .protocol import REMEMBER_EVICTED, ClientCap, full_reason, gone_detail, idle_reason


class MemoryStore:
    """:class:`~server.store.protocol.SessionStore` in a dict in least-recently-used order.
    It remembers recently evicted ids, so a late request gets "expired", not "no such session"."""

    def __init__(self, max_sessions: int = 200, idle_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic, builder: Builder = DEFAULT_BUILDER,
                 max_per_client: int | None = None, unlimited: frozenset[str] = frozenset()) -> None:
        self.max_sessions = max_sessions
        self.cap = ClientCap(max_per_client, unlimited)
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.builder = builder
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._evicted: OrderedDict[str, str] = OrderedDict()  # id -> why
        self._clients: dict[str, str] = {}  # id -> client
        self._per_client: Counter[str] = Counter()
        self._creations: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # guards the dicts, never held during engine work

    def add(self, session: Session) -> Session:
        client = CLIENT.get()
        with self._lock:
            self.cap.check(client, self._per_client[client])
            session.last_used = self.clock()
            self._sessions[session.id] = session
            self._clients[session.id] = client
            self._per_client[client] += 1
            self._sweep()
            while len(self._sessions) > self.max_sessions:
                self._evict(next(iter(self._sessions)), full_reason(self.max_sessions))
        return session

    def get(self, session_id: str) -> Session:
        with self._lock:
            self._sweep()
            session = self._sessions.get(session_id)
            if session is None:
                raise SessionNotFound(gone_detail(session_id, self._evicted.get(session_id)))
            session.last_used = self.clock()
            self._sessions.move_to_end(session_id)
            return session

    def cached(self, session_id: str) -> Session | None:
        try:
            return self.get(session_id)
        except SessionNotFound:
            return None

    def delete(self, session_id: str) -> None:
        with self._lock:
            if self._sessions.pop(session_id, None) is None:
                raise SessionNotFound(gone_detail(session_id, None))
            self._forget_client(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def count_client(self, client: str) -> int:
        with self._lock:
            return self._per_client[client]

    def note_creation(self, client: str, window: float, limit: int) -> bool:
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

    def health(self) -> str | None:
        return None  # memory does not fail

    def close(self) -> None:
        """Nothing to save: memory sessions end with the process."""

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
            self._evict(sid, idle_reason(self.idle_seconds))

    def _evict(self, session_id: str, why: str) -> None:
        del self._sessions[session_id]
        self._forget_client(session_id)
        self._evicted[session_id] = why
        if len(self._evicted) > REMEMBER_EVICTED:
            self._evicted.popitem(last=False)
