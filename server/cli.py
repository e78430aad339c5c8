"""``mlp-playground``: serve the playground with uvicorn.

Prints exactly one line on standard output, ``http://HOST:PORT/``, once the
server accepts connections (``--port 0`` picks a free port, so scripts and
tests read the port from that line), then opens the browser unless
``--no-browser``. Logs go to standard error.
"""
from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import webbrowser

import uvicorn

from .main import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mlp-playground",
                                description="Serve MLP Playground (the REST API and the page) with uvicorn.")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--log-level", default="warning", help="uvicorn's log level (default warning)")
    return p.parse_args(argv)


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


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
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
    # access_log off: it would write to stdout, which carries only the URL line.
    config = uvicorn.Config(create_app(), log_level=args.log_level, access_log=False)
    server = _Server(config, url_for(args.host, port), browser=not args.no_browser)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
