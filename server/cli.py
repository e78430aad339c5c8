"""``mlp-playground``: serve the playground with uvicorn.

Prints exactly one line on standard output, ``http://HOST:PORT/``, once the
server accepts connections (``--port 0`` picks a free port, so scripts and
tests read the port from that line), then opens the browser unless
``--no-browser``. Logs go to standard error.

``--workers N`` runs N uvicorn worker processes on one listening socket; they
share sessions through the store (``--store``, or ``MLP_PLAYGROUND_STORE``;
SQLite by default, never ``memory`` with several workers). The parent prints
the URL line once, when a worker answers ``/api/health``.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import socket
import sys
import threading
import time
import urllib.request
import webbrowser
from typing import Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from .assets import require_page
from .main import create_app
from .settings import Settings
from .store import open_backend


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mlp-playground",
                                description="Serve MLP Playground (the REST API and the page) with uvicorn.")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--log-level", default="warning", help="uvicorn's log level (default warning)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes sharing the sessions through the store (default 1)")
    p.add_argument("--store", default=None,
                   help="where sessions are kept: a SQLite path, redis://HOST:PORT/DB or memory "
                        "(default: MLP_PLAYGROUND_STORE, else ~/.local/share/mlp-playground/sessions.sqlite3)")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers: must be at least 1")
    return args


def url_for(host: str, port: int) -> str:
    """The address to print and open: a wildcard host is reached through the loopback."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class _Server(uvicorn.Server):
    """Announces its URL once it is listening."""

    def __init__(self, config: uvicorn.Config, url: str, browser: bool) -> None:
        super().__init__(config)
        self.url, self.browser = url, browser

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit:  # startup failed; uvicorn has logged why
            return
        print(self.url, flush=True)
        if self.browser:
            threading.Thread(target=webbrowser.open, args=(self.url,), daemon=True).start()


def _announce_when_up(url: str, browser: bool, timeout: float = 120.0) -> None:
    """Print ``url`` once a worker answers its health check (several workers: the parent
    never serves, so it asks like a client would)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    else:
        return  # the workers never came up; uvicorn has logged why
    print(url, flush=True)
    if browser:
        webbrowser.open(url)


def _http(settings: Settings) -> dict[str, object]:
    """uvicorn's HTTP parser: h11, whose bound on the request line and headers
    (``MAX_HEADER_BYTES``) refuses an oversized head before reading on; httptools has none.
    WebSocket messages are not compressed (no permessage-deflate): the websockets library
    compresses in the event loop's thread, where one large live frame held every other
    request for seconds; frames are priced and bounded instead (:mod:`server.live`)."""
    return {"http": "h11", "h11_max_incomplete_event_size": settings.max_header_bytes,
            "ws_per_message_deflate": False}


def main(argv: list[str] | None = None, make_app: Callable[[Settings], FastAPI] = create_app) -> None:
    """Serve the app ``make_app`` builds from the settings (:func:`server.main.create_app`;
    a test launcher passes its own, for one process)."""
    args = parse_args(argv)
    try:
        settings = Settings.from_env()  # the one reading of MLP_PLAYGROUND_*; every worker gets these
        require_page(settings.static_dir)  # PageMissing (a ValueError): one line, before listening
    except ValueError as exc:
        sys.exit(f"mlp-playground: {exc}")
    if args.store is not None:
        settings = settings.model_copy(update={"store": args.store})
    settings = settings.model_copy(update={"bound_host": args.host})  # the Host names it answers (DNS rebinding)
    if args.workers > 1 and settings.store in ("", "memory"):
        sys.exit("mlp-playground: --workers needs a shared store (a SQLite path or a Redis URL), not memory")
    if args.workers > 1:  # a store the workers cannot open is said once, here, not by each worker
        try:
            open_backend(settings.store).close()  # type: ignore[union-attr]
        except ValueError as exc:
            sys.exit(f"mlp-playground: {exc}")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, Nagle holds the response body back
    # until the client's delayed ACK of the headers (40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sys.exit(f"mlp-playground: cannot listen on {args.host}:{args.port}: {exc.strerror}")
    port = sock.getsockname()[1]
    url = url_for(args.host, port)
    if args.workers > 1:
        # A factory: each worker process builds its own app, from these settings (pickled to it).
        config = uvicorn.Config(functools.partial(make_app, settings), factory=True, workers=args.workers,
                                log_level=args.log_level, access_log=False, **_http(settings))
        supervisor = Multiprocess(config, sockets=[sock])  # installs signal handlers: main thread
        threading.Thread(target=_announce_when_up, args=(url, not args.no_browser), daemon=True).start()
        supervisor.run()
        return
    # access_log off: it would write to stdout, which carries only the URL line.
    try:
        app = make_app(settings)
    except ValueError as exc:  # e.g. a Redis store without the redis package
        sys.exit(f"mlp-playground: {exc}")
    config = uvicorn.Config(app, log_level=args.log_level, access_log=False, **_http(settings))
    server = _Server(config, url, browser=not args.no_browser)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
