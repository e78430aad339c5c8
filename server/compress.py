"""gzip for the API's answers (a first load's boundary grid and points, traces, the OpenAPI
schema) when the client takes gzip, compressed off the event loop when large.

Starlette's ``GZipMiddleware`` compresses in the event loop's thread: a 50 MB answer (a wide
model's neuron pictures) held every other request for seconds. Here an answer of more than
:data:`ApiGZip.THREAD_BYTES` is compressed in a worker thread (zlib lets the interpreter go
while it works), smaller ones on the loop (microseconds). Answers sent in several parts
(streamed) and answers already encoded go through as they are. The page's files are
compressed and negotiated by :mod:`server.assets`, so they go straight through too.
"""
from __future__ import annotations

import gzip
from typing import Any

import anyio
from starlette.datastructures import Headers, MutableHeaders

from .bounds.body import ASGIApp, Message, Receive, Scope, Send


class ApiGZip:
    """ASGI middleware; see the module docstring."""

    PATHS = ("/api/", "/openapi.json")
    MIN_BYTES = 1024  # below this the headers cost more than gzip saves
    LEVEL = 5  # compressed per answer: most of level 9's saving for a fraction of its time
    THREAD_BYTES = 256 * 1024
    """Answers larger than this are compressed in a worker thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["path"].startswith(self.PATHS)
                and "gzip" in Headers(scope=scope).get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None

        async def sending(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)  # the rest of a streamed answer
                return
            body: bytes = message.get("body", b"")
            headers = MutableHeaders(raw=list(start["headers"]))
            head, start = start, None
            if message.get("more_body", False) or len(body) < self.MIN_BYTES or "content-encoding" in headers:
                await send(head)
                await send(message)
                return
            if len(body) > self.THREAD_BYTES:
                zipped = await anyio.to_thread.run_sync(_gzip, body, self.LEVEL)
            else:
                zipped = _gzip(body, self.LEVEL)
            headers["content-encoding"] = "gzip"
            headers["content-length"] = str(len(zipped))
            headers.add_vary_header("Accept-Encoding")
            await send({**head, "headers": headers.raw})
            await send({"type": "http.response.body", "body": zipped})

        await self.app(scope, receive, sending)


def _gzip(body: bytes, level: int) -> bytes:
    return gzip.compress(body, compresslevel=level, mtime=0)
