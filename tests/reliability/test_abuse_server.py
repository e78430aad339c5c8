"""Holding under abuse, against a real server (its event loop, its sockets): the loop stays
free while long work runs, a client that leaves stops its work, heads are bounded. Long
work is held open at the test-only gate (``tests/gated_server.py``), so every
verdict is an event (an answer given while the long requests are verifiably still
running), never a time."""
from __future__ import annotations

import os
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

import launch

TINY = {"dataset": {"name": "inline", "X": [[i / 98] for i in range(98)], "y": [[float(i % 2)] for i in range(98)],
                    "test_fraction": 0.2},
        "model": {"layers": [1, 1]},
        "optimizer": {"name": "adam", "batch_size": 1, "clip_norm": 1.0, "l2": 1e-4, "schedule": {"name": "invscaling"},
                      "early_stopping": {"patience": 1_000_000}}}



def _tiny_config(c: httpx.Client) -> dict:
    r = c.post("/api/sessions", json=TINY)
    assert r.status_code == 201, r.text
    return TINY



def post_raw(url: str, path: str, body: bytes) -> socket.socket:
    """A JSON ``POST`` sent on a plain socket and left open unread, so the test decides when
    the client leaves (``close()``)."""
    parts = urlsplit(url)
    raw = socket.create_connection((parts.hostname, parts.port))
    raw.sendall(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n\r\n".encode() + body)
    return raw


def test_ten_long_epochs_requests_leave_the_loop_free(tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    with launch.running(gate=gate) as url:
        with httpx.Client(base_url=url, timeout=300) as c:
            config = _tiny_config(c)
            ids = [c.post("/api/sessions", json=config).json()["id"] for _ in range(10)]

        def long_request(sid: str) -> int:
            with httpx.Client(base_url=url, timeout=600) as c:
                return c.post(f"/api/sessions/{sid}/epochs", json={"count": 20, "include": []}).status_code

        with ThreadPoolExecutor(10) as pool:
            futures = [pool.submit(long_request, sid) for sid in ids]
            writer = launch.open_gate(gate)  # the first of them has reached its engine thread
            try:
                with httpx.Client(base_url=url, timeout=60) as c:
                    for _ in range(5):
                        assert c.get("/api/health").status_code == 200
                        assert c.get("/api/options").status_code == 200
                    fresh = c.post("/api/sessions", json={}).json()["id"]
                    assert c.get(f"/api/sessions/{fresh}").status_code == 200
                assert not any(f.done() for f in futures)  # answered while all ten were still pending
            finally:
                # The gate becomes an empty file (the ones still queued read it at once), then end of
                # file for the ones waiting at the FIFO: each goes on to train.
                os.unlink(gate)
                gate.write_bytes(b"")
                os.close(writer)
            assert [f.result() for f in futures] == [200] * 10


def test_a_held_sqlite_write_lock_does_not_stall_the_loop(tmp_path):
    store = tmp_path / "sessions.sqlite3"
    with launch.running({"MLP_PLAYGROUND_STORE": str(store)}) as url:
        with httpx.Client(base_url=url, timeout=120) as c:
            assert c.post("/api/sessions", json={}).status_code == 201
        holder = sqlite3.connect(store, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock

        def create() -> int:
            with httpx.Client(base_url=url, timeout=300) as c:
                return c.post("/api/sessions", json={}).status_code

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(create)
            try:
                with httpx.Client(base_url=url, timeout=60) as c:
                    for _ in range(5):
                        assert c.get("/api/health").status_code == 200
                # The create can only finish after the lock goes: it was pending all along.
                assert not pending.done()
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert pending.result() == 201


def test_a_client_that_leaves_stops_its_epochs(tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    with launch.running(gate=gate) as url:
        with httpx.Client(base_url=url, timeout=120) as c:
            sid = c.post("/api/sessions", json={"optimizer": {"batch_size": 1}}).json()["id"]
            cancelled = c.get("/api/health").json()["cancelled"]
        raw = post_raw(url, f"/api/sessions/{sid}/epochs", b'{"count": 50, "include": []}')
        writer = launch.open_gate(gate)  # the request is in its engine thread, at the gate
        raw.close()  # the client leaves
        with httpx.Client(base_url=url, timeout=120) as c:
            launch.wait_until(lambda: c.get("/api/health").json()["cancelled"] > cancelled, "the server saw the client leave")
            os.close(writer)  # now let the work go on: it must stop at its first batch
            state = c.get(f"/api/sessions/{sid}", params={"include": []}).json()  # waits for the lock
            assert state["epoch"] == 0 and state["step"] == 0


def test_a_client_that_leaves_stops_its_gradient_check_and_the_session_is_unchanged(tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    with launch.running(gate=gate) as url:
        with httpx.Client(base_url=url, timeout=120) as c:
            sid = c.post("/api/sessions", json={"model": {"layers": [2, 16, 16, 1]}}).json()["id"]
            before = c.get(f"/api/sessions/{sid}/export").json()
            health = c.get("/api/health").json()
        raw = post_raw(url, f"/api/sessions/{sid}/gradcheck", b"{}")
        writer = launch.open_gate(gate)  # the check is in its engine thread, at the gate
        raw.close()  # the client leaves
        with httpx.Client(base_url=url, timeout=120) as c:
            launch.wait_until(lambda: c.get("/api/health").json()["cancelled"] > health["cancelled"],
                  "the server saw the client leave")
            os.close(writer)  # let the check go on: it must stop before its first parameter
            launch.wait_until(lambda: c.get("/api/health").json()["stopped"] > health["stopped"], "the check stopped")
            assert c.get(f"/api/sessions/{sid}/export").json() == before  # parameters, RNG, position
            os.unlink(gate)
            gate.write_bytes(b"")  # the gate is open from now on: a check that stays runs whole
            r = c.post(f"/api/sessions/{sid}/gradcheck", json={})
            assert r.status_code == 200 and r.json()["passed"], r.text
            assert c.get("/api/health").json()["stopped"] == health["stopped"] + 1


def test_an_oversized_request_head_is_refused_before_the_body(tmp_path):
    with launch.running() as url:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=60) as raw:
            raw.sendall(b"GET /api/health HTTP/1.1\r\nHost: " + parts.netloc.encode() + b"\r\nX-Big: ")
            try:
                raw.sendall(b"a" * (2 * 1024 * 1024) + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused while still sending: what a bound does
            try:
                answer = raw.recv(200)
            except ConnectionResetError:
                answer = b""
        assert not answer.startswith(b"HTTP/1.1 200"), answer
        with httpx.Client(base_url=url, timeout=60) as c:
            assert c.head("/api/health").status_code == 200
            assert c.head("/").status_code == 200
