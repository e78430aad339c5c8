"""Fixtures for the live-training tests: a real uvicorn process and a small WebSocket client."""
from __future__ import annotations

import json
import subprocess
from typing import Any, Iterator

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

import launch

RECV_SECONDS = 60.0
"""How long a test waits for one message before it fails (a hang, not a timing assertion)."""


class Server:
    """The running server: its process (for /proc), URL and an HTTP client."""

    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url
        self.http = httpx.Client(base_url=url, timeout=60)

    def session(self, config: dict[str, Any] | None = None) -> str:
        r = self.http.post("/api/sessions", json=config or {})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def state(self, sid: str) -> dict[str, Any]:
        r = self.http.get(f"/api/sessions/{sid}", params={"include": ["params", "history"]})
        assert r.status_code == 200, r.text
        return r.json()

    def status(self) -> dict[str, int]:
        return self.http.get("/api/live").json()

    def rss_kib(self) -> int:
        """The server's resident memory (VmRSS of /proc/PID/status), in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS line")

    def train_elsewhere(self, frames: int = 5) -> None:
        """Let the time pass that the server takes to play ``frames`` frames of another session:
        a wait for "nothing more happens" that scales with the machine, as a sleep would not."""
        with self.live(self.session()) as other:
            other.play(frames, fps=60)
            other.pause()

    def live(self, sid: str, **kwargs: Any) -> "Live":
        return Live(connect(self.url.replace("http://", "ws://") + f"api/sessions/{sid}/live",
                            max_size=2**26, **kwargs))


class Live:
    """A live connection: send actions, read messages (optionally up to one of a type)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws.__enter__()  # websockets wants its context entered; __exit__ closes it
        self.hello = self.recv()
        assert self.hello["type"] == "hello", self.hello

    def send(self, action: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"action": action, **fields}))

    def recv(self, timeout: float = RECV_SECONDS) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def until(self, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read up to the first message of type ``kind``: it and every message before it."""
        before = []
        while (m := self.recv())["type"] != kind:
            before.append(m)
        return m, before

    def frames(self, n: int) -> list[dict[str, Any]]:
        """The next ``n`` frames (other messages skipped)."""
        out = []
        while len(out) < n:
            m = self.recv()
            if m["type"] == "frame":
                out.append(m)
        return out

    def play(self, n: int, **options: Any) -> list[dict[str, Any]]:
        """Send ``play`` and read its first ``n`` frames."""
        self.send("play", **options)
        return self.frames(n)

    def pause(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send ``pause``; the ``paused`` answer and the frames that came before it."""
        self.send("pause")
        paused, before = self.until("paused")
        return paused, [m for m in before if m["type"] == "frame"]

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> "Live":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(env: dict[str, str] | None = None) -> Iterator[Server]:
    proc, url = launch.start(env)
    server = Server(proc, url)
    try:
        yield server
    finally:
        server.http.close()
        launch.stop(proc)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A real uvicorn process (``python -m server --port 0``) for this module's tests."""
    yield from _serve()


@pytest.fixture
def small_server() -> Iterator[Server]:
    """A server that allows only two live connections."""
    yield from _serve({"MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS": "2"})
