"""Fixtures for the reliability tests: store URLs (a temporary SQLite file, a real
``redis-server`` on a free loopback port), servers started on them, small HTTP helpers."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from reliability_kit import REDIS_SERVER, free_port, in_process, start_redis


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private ``redis-server`` on loopback, without persistence (``make test`` installs it)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (make services installs it)")
    port = free_port()
    proc = start_redis(port, "--save", "", "--appendonly", "no")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


_DB = iter(range(1, 16))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.subprocess)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of each kind (Redis: the next of its 15 spare databases, flushed)."""
    if request.param == "sqlite":
        return str(tmp_path / "sessions.sqlite3")
    base = request.getfixturevalue("redis_url")
    import redis
    db = next(_DB, None)
    if db is None:  # more Redis tests than databases: reuse db 15
        db = 15
    url = base.rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def api() -> Iterator[Any]:
    """An app in process (memory store, default limits) and its client."""
    with in_process() as c:
        yield c
