"""The server ``Client.local()`` runs: the playground's app under uvicorn, in one thread of
this process, on a free loopback port; stopped by :meth:`EmbeddedServer.stop` (or at exit),
after which no thread of it is left."""
from __future__ import annotations

import atexit
import re
import socket
import threading
import time
from typing import Any

import uvicorn

from server.main import create_app
from server.settings import Settings

START_SECONDS = 60.0

FRAME_ANCESTORS = ("'self' http://localhost:* http://127.0.0.1:* https://localhost:* "
                   "https://127.0.0.1:* vscode-webview: vscode-file: file:")
"""Who may show the embedded server's page in a frame: notebooks served from this machine
(JupyterLab, classic Notebook), VS Code's notebook views and a notebook saved as HTML. The
standalone server forbids every frame (clickjacking); this one is reachable from this
machine only and exists for a notebook to frame it."""


class NotebookFrames:
    """ASGI wrapper that lets the notebook frontends in :data:`FRAME_ANCESTORS` frame the
    page: the CSP's ``frame-ancestors`` becomes that list and ``X-Frame-Options`` is dropped
    (it cannot name them). Everything else the server sends is untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_framable(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [_framable(k, v) for k, v in message.get("headers", [])
                                                   if k.lower() != b"x-frame-options"]}
            await send(message)

        await self.app(scope, receive, send_framable)


def _framable(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    if key.lower() != b"content-security-policy":
        return key, value
    text = re.sub(r"frame-ancestors [^;]*", f"frame-ancestors {FRAME_ANCESTORS}", value.decode("latin-1"))
    return key, text.encode("latin-1")


class EmbeddedServer:
    """A running embedded server; :attr:`url` is ``http://127.0.0.1:PORT/``."""

    def __init__(self, server: uvicorn.Server, threads: list[threading.Thread], url: str) -> None:
        self.server, self.threads, self.url = server, threads, url
        self.loop = server.servers[0].get_loop()  # the serving thread's event loop

    @classmethod
    def start(cls, store: str = "memory", **fields: Any) -> "EmbeddedServer":
        """Start it and return once it accepts connections. ``fields`` are :class:`Settings`
        fields; ``blas_threads`` defaults to 0 here, so the host process's own NumPy keeps
        its BLAS threads (the standalone server limits them for its many small requests)."""
        before = set(threading.enumerate())
        unknown = sorted(set(fields) - set(Settings.model_fields))
        if unknown:  # model_copy would take them silently
            raise TypeError(f"Client.local(): no such setting: {', '.join(unknown)} "
                            f"(the fields of server.settings.Settings)")
        settings = Settings.from_env().model_copy(update={"store": store, "blas_threads": 0, **fields})
        app = NotebookFrames(create_app(settings))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the CLI: no Nagle delay
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # uvicorn takes no signals outside the main thread: the host process keeps its own.
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                  name=f"mlp-playground-server:{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not server.started:  # uvicorn sets it once it listens
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join()
                sock.close()
                raise RuntimeError(f"the embedded MLP Playground server did not start on port {port}")
            time.sleep(0.005)
        # The serving thread and any the app started on its way up (its background compression
        # of Plotly.js): stop() waits for each of them.
        started = [t for t in threading.enumerate() if t not in before]
        embedded = cls(server, started, f"http://127.0.0.1:{port}/")
        atexit.register(embedded.stop)
        return embedded

    def stop(self) -> None:
        """Stop serving, save what the store keeps, and wait until its threads have ended:
        the serving thread, those the app started, and the worker threads its event loop ran
        blocking calls in (told to stop when that loop ends, they finish their call first)."""
        atexit.unregister(self.stop)
        self.server.should_exit = True
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join()
        for thread in threading.enumerate():
            if getattr(thread, "loop", None) is self.loop and thread is not threading.current_thread():
                thread.join()
