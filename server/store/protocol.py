"""What every session store offers the routes: :class:`SessionStore`.

Two implement it: :class:`server.store.memory.MemoryStore` (sessions live
and die with the process) and :class:`server.store.durable.DurableStore`
(written through to a :class:`~server.store.base.Backend`, shared between
processes). :func:`server.store.open_store` picks one from the settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..sessions import Builder, Session, TooManySessions

REMEMBER_EVICTED = 10_000
"""Ids of evicted sessions remembered (memory) so a late request gets "expired"."""


class SessionStore(Protocol):
    """Sessions by id, with a cap (``max_sessions``, the least recently used goes) and an
    idle timeout; every method is safe to call from any thread."""

    max_sessions: int
    cap: "ClientCap"
    """The sessions one client may hold; :meth:`add` enforces it."""
    builder: Builder
    """How the store's sessions (new, reset or reloaded) have their trainers built."""

    def add(self, session: Session) -> Session:
        """Keep a new session (counted against the client in :data:`server.sessions.CLIENT`);
        :class:`~server.sessions.TooManySessions` when :attr:`cap` refuses it. The count
        and the insertion are one step, so parallel creations never get past the cap."""

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


@dataclass(frozen=True)
class ClientCap:
    """The sessions one client address may hold: ``limit``
    (``MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT``; ``None``: any number), except for the
    ``unlimited`` addresses (``MLP_PLAYGROUND_UNLIMITED_CLIENTS``). The one place the cap is
    checked and worded: the stores check it when they add a session, the security middleware
    before any work is done for one."""

    limit: int | None = None
    unlimited: frozenset[str] = frozenset()

    def applies(self, client: str) -> bool:
        return self.limit is not None and client not in self.unlimited

    def check(self, client: str, held: int) -> None:
        """:class:`~server.sessions.TooManySessions` (429) when ``client``, already holding
        ``held`` sessions, may not have one more."""
        if self.applies(client) and held >= self.limit:  # type: ignore[operator]
            raise TooManySessions(f"sessions: {client} already holds {held} sessions; the limit is {self.limit} "
                                  "per client (MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT); delete some first")
