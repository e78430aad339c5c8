"""The durable session store's interface: one small contract, two backends.

A backend keeps, per session id, the encoded engine state (``Trainer.state_dict()``
as JSON bytes), a **version** counter that every save increments, the time it
was last used and the client that created it. It also keeps **leases**: a
process that wants to read or change a session takes the session's lease
(a row or key naming the owner, with an expiry), so no session is ever
stepped in two processes at once; a lease whose owner died (``kill -9``)
expires after ``lease_seconds`` and can then be taken. Leases held longer are
renewed by their owner's heartbeat. Deleted and evicted sessions leave a
tombstone saying why, so a late request gets "expired", not "no such session".

Backends: :class:`server.store.sqlite.SQLiteBackend` (default, one machine,
any number of processes) and :class:`server.store.redis.RedisBackend`
(several machines). :func:`server.store.open_backend` picks one from a URL.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Lease:
    """What :meth:`Backend.acquire` answers: whether the lease is ours now, and the
    session's stored version (``None`` when the session no longer exists)."""

    acquired: bool
    version: int | None


class Backend(ABC):
    """Durable sessions and their leases. Every method is safe to call from any thread."""

    @abstractmethod
    def insert(self, session_id: str, state: bytes, client: str, now: float) -> None:
        """Store a new session at version 1."""

    @abstractmethod
    def load(self, session_id: str) -> tuple[int, bytes] | None:
        """``(version, state)``, or ``None`` when there is no such session."""

    @abstractmethod
    def acquire(self, session_id: str, owner: str, ttl: float, now: float) -> Lease:
        """Take (or keep) the session's lease for ``ttl`` seconds and mark it used.
        When another owner holds it, flag it as wanted (see :meth:`wanted`) and answer
        ``acquired=False``."""

    @abstractmethod
    def save(self, session_id: str, owner: str, state: bytes, release: bool) -> int | None:
        """Write ``state`` as the next version, only while ``owner`` holds the lease
        (optionally releasing it in the same transaction). The new version, or ``None``
        when the lease was lost or the session is gone (nothing is written then)."""

    @abstractmethod
    def release(self, session_id: str, owner: str) -> None:
        """Give the lease up (no-op unless ``owner`` holds it)."""

    @abstractmethod
    def renew(self, session_ids: list[str], owner: str, ttl: float, now: float) -> None:
        """Extend the leases ``owner`` holds on these sessions."""

    @abstractmethod
    def wanted(self, session_ids: list[str]) -> set[str]:
        """Which of these sessions another process is waiting for."""

    @abstractmethod
    def delete(self, session_id: str, why: str | None) -> bool:
        """Remove the session (with a tombstone saying ``why`` unless ``None``); whether it existed."""

    @abstractmethod
    def why_gone(self, session_id: str) -> str | None:
        """The tombstone's reason for a deleted or evicted session, else ``None``."""

    @abstractmethod
    def ids(self) -> list[str]:
        """Every stored session id, least recently used first."""

    @abstractmethod
    def count(self, client: str | None = None) -> int:
        """Stored sessions (of one client, when given)."""

    @abstractmethod
    def evict(self, keep: int, idle_before: float, why_full: str, why_idle: str) -> list[str]:
        """Evict sessions unused since ``idle_before``, then the least recently used until
        at most ``keep`` remain; the evicted ids."""

    @abstractmethod
    def note_creation(self, client: str, now: float, window: float, limit: int) -> bool:
        """Record one session creation by ``client`` unless it already made ``limit`` in the
        last ``window`` seconds; whether it was recorded (allowed)."""

    def check(self) -> None:
        """Raise the backend's own error when the store is visibly gone (a SQLite file deleted
        or replaced while serving); cheap, no I/O beyond a ``stat``. Nothing to see by default."""

    def close(self) -> None:
        """Release connections (the data stays)."""
