"""Abuse limits and headers: per-client session caps and creation rates (429 naming
the limit), CORS closed by default, cross-site writes refused, CSP on the page, and
nothing in a request reaching the filesystem."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.cli import parse_args
from server.main import create_app
from server.settings import Settings

LIMITED = {"unlimited_clients": ""}  # TestClient's address, "testclient", is unlimited by default


def test_binds_loopback_unless_told():
    assert parse_args([]).host == "127.0.0.1"


def test_sessions_per_client_are_bounded():
    with TestClient(create_app(Settings(max_sessions_per_client=2, **LIMITED))) as c:
        ids = [c.post("/api/sessions", json={}).json()["id"] for _ in range(2)]
        r = c.post("/api/sessions", json={})
        assert r.status_code == 429 and "MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT" in r.json()["detail"]
        assert c.post("/api/lessons/activations", json={"quick": True}).status_code == 429
        assert c.delete(f"/api/sessions/{ids[0]}").status_code == 204
        assert c.post("/api/sessions", json={}).status_code == 201  # a freed place can be used


def test_session_creations_per_minute_are_bounded(tmp_path):
    settings = Settings(session_creations_per_minute=3, store=str(tmp_path / "s.sqlite3"), **LIMITED)
    with TestClient(create_app(settings)) as c:
        assert [c.post("/api/sessions", json={}).status_code for _ in range(4)] == [201, 201, 201, 429]
        r = c.post("/api/sessions/import", json={})
        assert r.status_code == 429 and "MLP_PLAYGROUND_SESSION_CREATIONS_PER_MINUTE" in r.json()["detail"]
        assert r.headers["retry-after"] == "60"


def test_unlimited_clients_are_not_counted():
    with TestClient(create_app(Settings(max_sessions_per_client=1))) as c:
        assert [c.post("/api/sessions", json={}).status_code for _ in range(3)] == [201] * 3


def test_cors_is_closed_by_default_and_cross_site_writes_are_refused():
    with TestClient(create_app(Settings())) as c:
        evil = {"origin": "http://evil.example"}
        r = c.get("/api/health", headers=evil)
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        r = c.post("/api/sessions", json={}, headers=evil)
        assert r.status_code == 403 and r.json()["detail"].startswith("origin")
        assert c.post("/api/sessions", json={}, headers={"origin": "http://testserver"}).status_code == 201
        with pytest.raises(Exception):
            with c.websocket_connect("/api/sessions/x/live", headers=evil):
                pass


def test_cors_opens_to_listed_origins_only():
    with TestClient(create_app(Settings(cors_origins="https://course.example"))) as c:
        ok = c.options("/api/sessions", headers={"origin": "https://course.example",
                                                 "access-control-request-method": "POST"})
        assert ok.headers["access-control-allow-origin"] == "https://course.example"
        assert c.post("/api/sessions", json={}, headers={"origin": "https://course.example"}).status_code == 201
        assert c.post("/api/sessions", json={}, headers={"origin": "https://other.example"}).status_code == 403


def test_security_headers_on_the_page_and_api():
    with TestClient(create_app(Settings())) as c:
        for path in ("/", "/api/health", "/static/js/main.js"):
            h = c.get(path).headers
            assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
            csp = h["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert "content-security-policy" not in c.get("/docs").headers  # Swagger UI's assets are on a CDN


@pytest.mark.parametrize("path", ["/static/../server/main.py", "/static/%2e%2e/server/main.py",
                                  "/static/..%2fserver%2fmain.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd"])
def test_static_paths_stay_in_the_static_folder(path):
    with TestClient(create_app(Settings())) as c:
        r = c.get(path)
        assert r.status_code == 404 or "def create_app" not in r.text and "root:" not in r.text


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "mnist/../../x", "~root", "digits\x00"])
def test_dataset_names_never_reach_the_filesystem(name):
    with TestClient(create_app(Settings())) as c:
        r = c.post("/api/sessions", json={"dataset": {"name": name}})
        assert r.status_code == 422 and r.json()["detail"].startswith("dataset.name")
