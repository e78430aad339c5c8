"""Helpers for the reliability tests: a real server process on a given store, a free
loopback port, where ``redis-server`` is."""
from __future__ import annotations

import shutil
import socket
import subprocess
from typing import Any

import httpx

import launch

REDIS_SERVER = shutil.which("redis-server")


def start_redis(port: int, *args: str) -> subprocess.Popen:
    """A private ``redis-server`` on loopback ``port`` (extra ``args`` as its flags), returned once
    it answers PING (a hang, not a speed: a loaded machine starts it slowly)."""
    import redis

    proc = subprocess.Popen([str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)

    def answers() -> bool:
        assert proc.poll() is None, "redis-server exited"
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        launch.wait_until(answers, "redis-server answers PING", 60)
    except BaseException:
        proc.kill()
        raise
    finally:
        client.close()
    return proc


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


def in_process(settings: "Settings | None" = None, **kwargs: Any) -> "TestClient":
    """A ``TestClient`` on a new app with ``settings`` (default: in memory, the default limits)."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    return TestClient(create_app(settings or Settings()), **kwargs)
