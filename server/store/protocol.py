"""What every session store offers the routes: :class:`SessionStore`.

Two implement it: :class:`server.store.memory.MemoryStore` (sessions live
and die with the process) and :class:`server.store.durable.DurableStore`
(written through to a :class:`~server.store.base.Backend`, shared between
processes). :func:`server.store.open_store` picks one from the settings.
"""
from __future__ import annotations

from typing import Protocol

from ..sessions import Builder, Session

REMEMBER_EVICTED = 10_000
"""Ids of evicted sessions remembered (memory) so a late request gets "expired"."""


class SessionStore(Protocol):
    """Sessions by id, with a cap (``max_sessions``, the least recently used goes) and an
    idle timeout; every method is safe to call from any thread."""

    max_sessions: int
    builder: Builder
    """How the store's sessions (new, reset or reloaded) have their trainers built."""

    def add(self, session: Session) -> Session:
        """Keep a new session (counted against the client in :data:`server.sessions.CLIENT`);
        :class:`~server.sessions.TooManySessions` when that client already holds
        ``max_per_client`` (clients in ``unlimited`` excepted). The count and the insertion
        are one step, so parallel creations never get past the cap."""

    def get(self, session_id: str) -> Session:
        """The session, marked as just used; :class:`~server.sessions.SessionNotFound` otherwise."""

    def cached(self, session_id: str) -> Session | None:
        """The session when it is in this process's memory (marked as just used), else ``None``;
        never does I/O, so the event loop may call it."""

    def delete(self, session_id: str) -> None:
        """Remove the session; :class:`~server.sessions.SessionNotFound` when there is none."""

    def __len__(self) -> int:
        """Sessions kept."""

    def count_client(self, client: str) -> int:
        """Sessions that ``client`` created and that still exist."""

    def note_creation(self, client: str, window: float, limit: int) -> bool:
        """Count one session creation by ``client`` unless it made ``limit`` in the last ``window`` s."""

    def health(self) -> str | None:
        """The store's last failure while it lasts (``None``: working); no I/O."""

    def close(self) -> None:
        """Save what is pending and let go of shared resources (graceful shutdown)."""


def gone_detail(session_id: str, why: str | None) -> str:
    """The 404 ``detail`` for a session that is not there: never was, or went (``why``)."""
    if why is None:
        return f"session: no session with id {session_id!r}"
    return f"session: {session_id!r} expired ({why}); create a new one"


def full_reason(max_sessions: int) -> str:
    return f"the server keeps at most {max_sessions} sessions"


def idle_reason(idle_seconds: float) -> str:
    return f"unused for more than {idle_seconds:g} s"


def too_many_detail(client: str, held: int, limit: int) -> str:
    return (f"sessions: {client} already holds {held} sessions; the limit is {limit} "
            "per client (MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT); delete some first")
