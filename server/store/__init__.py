"""Where sessions are kept: :func:`open_store` picks the store the settings ask for.

* :class:`MemoryStore` (:mod:`.memory`): in this process only;
* :class:`DurableStore` (:mod:`.durable`): written through to a :class:`Backend`
  (:mod:`.base`, the contract): SQLite (:mod:`.sqlite`, one machine, any number of
  processes) or Redis (:mod:`.redis`, several machines).

Both are a :class:`SessionStore` (:mod:`.protocol`), which is all the routes use.
"""
from __future__ import annotations

from ..sessions import Builder
from ..settings import Settings
from .base import Backend, Lease
from .durable import DurableStore
from .memory import MemoryStore
from .protocol import SessionStore

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_backend(url: str) -> Backend | None:
    """The backend for ``MLP_PLAYGROUND_STORE``: ``memory`` (none: sessions live and die
    with the process), ``redis://HOST:PORT/DB``, or ``sqlite:///PATH`` / a plain path."""
    if url in ("", "memory"):
        return None
    if url.startswith(REDIS_SCHEMES):
        try:
            from .redis import RedisBackend
        except ModuleNotFoundError as exc:
            if exc.name != "redis":
                raise
            raise ValueError(f"MLP_PLAYGROUND_STORE: {url} needs the redis package; "
                             "install it with: pip install mlp-playground[redis]") from None
        return RedisBackend(url)
    from .sqlite import SQLiteBackend
    return SQLiteBackend(url.removeprefix("sqlite://"))


def open_store(settings: Settings) -> SessionStore:
    """The store ``settings.store`` names (memory, a SQLite path or a Redis URL), with the
    settings' caps, and building trainers as the settings say (:class:`~server.sessions.Builder`)."""
    builder = Builder.from_settings(settings)
    backend = open_backend(settings.store)
    caps = {"max_per_client": settings.max_sessions_per_client, "unlimited": settings.unlimited()}
    if backend is None:
        return MemoryStore(settings.max_sessions, settings.session_idle_seconds, builder=builder, **caps)
    return DurableStore(backend, settings.max_sessions, settings.session_idle_seconds,
                        save_interval=settings.save_interval_seconds, lease_seconds=settings.lease_seconds,
                        builder=builder, **caps)


__all__ = ["Backend", "DurableStore", "Lease", "MemoryStore", "SessionStore", "open_backend", "open_store"]
