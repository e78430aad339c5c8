"""Helpers for the reliability tests: a real server process on a given store, a free
loopback port, where ``redis-server`` is."""
from __future__ import annotations

import shutil
import socket
from typing import Any

import httpx

import launch

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running ``mlp-playground`` process and an HTTP client for it."""

    def __init__(self, store: str, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.env = {"MLP_PLAYGROUND_STORE": store, **(env or {})}
        self.proc, self.url = launch.start(self.env, args=args)
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def post(self, path: str, json: Any = None, status: int = 200) -> Any:
        r = self.http.post(path, json=json)
        assert r.status_code == status, r.text
        return r.json()

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self) -> None:
        self.http.close()
        launch.stop(self.proc)

    def kill(self) -> None:
        """``kill -9``: no shutdown, nothing flushed."""
        self.http.close()
        self.proc.kill()
        self.proc.wait()
