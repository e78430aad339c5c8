"""A backend's failures as one error the routes answer with 503, remembered for ``/api/health``.

A full disk, a read-only file, a locked database, a Redis that went away:
each backend raises its own exception (``sqlite3.Error``, ``OSError``,
``redis.RedisError``). :class:`Guarded` wraps every backend call, turns those
into :class:`~server.sessions.StoreFailing` saying what failed, and keeps the
last failure until a write succeeds again (a read working says nothing about
writes: a read-only file still reads).
"""
from __future__ import annotations

import functools
import sqlite3
import threading
from typing import Any

from ..sessions import StoreFailing
from .base import Backend

WRITES = frozenset({"insert", "acquire", "save", "release", "renew", "delete", "evict", "note_creation"})
"""Calls whose success shows the store works again (``check`` only ever reports a failure)."""


def _failures() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [sqlite3.Error, OSError]
    try:
        import redis  # an optional extra
    except ModuleNotFoundError:
        pass
    else:
        kinds.append(redis.RedisError)
    return tuple(kinds)


class Guarded:
    """``backend`` with every call guarded (see the module docstring); ``failure`` is the
    last failure's description, or ``None``."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._kinds = _failures()
        self._state = threading.Lock()
        self.failure: str | None = None

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._backend, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attr(*args, **kwargs)
            except self._kinds as exc:
                detail = f"store: {type(exc).__name__}: {str(exc)[:200]}"
                with self._state:
                    self.failure = detail
                raise StoreFailing(f"{detail}; the session store is failing, retry later") from exc
            if name in WRITES and self.failure is not None:
                with self._state:
                    self.failure = None
            return result

        return guarded

    @property
    def inner(self) -> Backend:
        return self._backend


