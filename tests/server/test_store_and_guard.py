"""The session store's LRU cap and idle timeout, and the body guard's depth scan."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.bounds.body import json_depth
from server.main import create_app
from server.sessions import Session, SessionNotFound
from server.store import MemoryStore
from server.settings import Limits, Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lru_eviction_says_expired():
    store = MemoryStore(max_sessions=2, idle_seconds=100, clock=Clock())
    a, b, c = (store.add(Session.create({"dataset": {"name": "xor", "n_samples": 8}})) for _ in range(3))
    assert len(store) == 2
    with pytest.raises(SessionNotFound, match="expired.*at most 2 sessions"):
        store.get(a.id)
    assert store.get(b.id) is b and store.get(c.id) is c
    store.get(b.id)  # b is now the most recently used, so c goes next
    store.add(Session.create({"dataset": {"name": "xor", "n_samples": 8}}))
    with pytest.raises(SessionNotFound, match="expired"):
        store.get(c.id)
    assert store.get(b.id) is b
    with pytest.raises(SessionNotFound, match="no session"):
        store.get("never-existed")


def test_idle_timeout():
    clock = Clock()
    store = MemoryStore(max_sessions=10, idle_seconds=60, clock=clock)
    old = store.add(Session.create({}))
    clock.now = 50
    fresh = store.add(Session.create({}))
    clock.now = 100  # old idle 100 s, fresh 50 s
    with pytest.raises(SessionNotFound, match="unused for more than 60 s"):
        store.get(old.id)
    assert store.get(fresh.id) is fresh


def test_evicted_session_gets_404_expired_over_http():
    with TestClient(create_app(Settings(max_sessions=1))) as c:
        first = c.post("/api/sessions", json={}).json()["id"]
        c.post("/api/sessions", json={})
        r = c.post(f"/api/sessions/{first}/backward")
        assert r.status_code == 404 and "expired" in r.json()["detail"]


@pytest.mark.parametrize("body,depth", [
    (b"", 0), (b"1", 0), (b"{}", 1), (b'{"a": [1, [2, {"b": 3}]]}', 4),
    (b'{"a": "[[[[[[[[[["}', 1), (b'{"a": "\\"[[[[", "b": [[]]}', 3), (b"[" * 10_000 + b"]" * 10_000, 10_000),
])
def test_json_depth_skips_strings(body, depth):
    assert json_depth(body) == depth


def test_streamed_body_over_the_limit_gets_413():
    with TestClient(create_app(Settings(max_body_bytes=1000))) as c:
        chunks = (b"[" + b"0," * 200 + b"0]" for _ in range(5))  # no Content-Length: chunked
        r = c.post("/api/sessions", content=chunks, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "body" in r.json()["detail"]
        assert c.get("/api/health").status_code == 200


def test_import_has_its_own_larger_limit():
    with TestClient(create_app(Settings(max_body_bytes=2000, max_import_bytes=10**7))) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        doc = c.get(f"/api/sessions/{sid}/export").content
        assert len(doc) > 2000
        json_type = {"content-type": "application/json"}
        assert c.post("/api/sessions/import", content=doc, headers=json_type).status_code == 201
        assert c.post(f"/api/sessions/{sid}/predict", content=doc, headers=json_type).status_code == 413


def test_limits_and_settings_read_the_environment():
    assert Limits.from_env({"MLP_PLAYGROUND_MAX_WIDTH": "64"}).max_width == 64
    s = Settings.from_env({"MLP_PLAYGROUND_MAX_SESSIONS": "5", "MLP_PLAYGROUND_STATIC_DIR": "/tmp/x"})
    assert s.max_sessions == 5 and s.static_dir == "/tmp/x" and s.max_json_depth == 32
    with pytest.raises(ValueError, match="MLP_PLAYGROUND_MAX_SESSIONS"):
        Settings.from_env({"MLP_PLAYGROUND_MAX_SESSIONS": "many"})
    with pytest.raises(ValueError, match="MLP_PLAYGROUND_MAX_LEARNING_RATE"):
        Limits.from_env({"MLP_PLAYGROUND_MAX_LEARNING_RATE": "-1"})
