"""A pure ASGI middleware that refuses hostile request bodies before parsing.

Python's JSON parser is recursive and pydantic walks what it returns, so a
body of 10,000 nested ``[`` must never reach them; nor should a body larger
than the limit be read into memory. This guard:

* answers ``413`` when ``Content-Length`` (or the streamed size, for chunked
  bodies) exceeds the limit for the path, without reading further;
* answers ``422`` when the JSON nests deeper than ``max_depth``, measured on
  the raw bytes with strings skipped, in one linear NumPy pass (:func:`json_depth`),
  in a worker thread for a body of more than :data:`INLINE_BYTES`, so that no body
  holds the event loop;
* otherwise hands the buffered body on unchanged.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Awaitable, Callable, Mapping

import anyio
import numpy as np
import orjson
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException
from starlette.responses import Response

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})
INLINE_BYTES = 64 * 1024
"""A body up to this size is measured on the loop (well under a millisecond); a larger one in a thread."""
PIECE_BYTES = 256 * 1024
"""The body is measured a piece at a time: NumPy arrays of a piece's size, and between pieces
the interpreter goes back to the event loop (NumPy lets it go within most of them, too)."""

_BACKSLASH, _QUOTE, _OPEN, _CLOSE = 1, 2, 3, 4
_KIND = np.zeros(256, dtype=np.uint8)
_KIND[ord("\\")] = _BACKSLASH
_KIND[ord('"')] = _QUOTE
_KIND[list(b"[{")] = _OPEN
_KIND[list(b"]}")] = _CLOSE


def json_depth(body: bytes, piece: int = PIECE_BYTES) -> int:
    """How deeply the JSON in ``body`` nests (brackets inside strings do not count).

    One pass, linear in the body's size whatever it holds, over the bytes that matter
    (backslashes, quotes, brackets), a piece at a time with what crosses a piece's end
    carried over: whether a string is open, the depth, and whether the piece ended with a
    backslash that escapes the next one's first byte. A backslash escapes the byte after it
    unless it is itself escaped, so in a run of backslashes the 1st, 3rd, ... escape. Outside
    strings, valid JSON has no backslash; a body that is not JSON is measured all the same
    and refused by the parser (which never nests deeper than the valid part measured here).
    """
    depth = deepest = 0
    in_string = False
    escaped_first = False  # the previous piece's last backslash escapes this piece's first byte
    view = memoryview(body)
    for lo in range(0, len(body), piece):
        a = np.frombuffer(view[lo:lo + piece], dtype=np.uint8)
        kind = _KIND[a]
        pos = np.flatnonzero(kind)  # (t,) where the bytes that matter are
        k = kind[pos]
        slashes = pos[k == _BACKSLASH]
        if slashes.size or escaped_first:
            escapes = np.empty(0, dtype=np.intp)
            if slashes.size:
                starts = np.ones(slashes.size, dtype=bool)
                starts[1:] = slashes[1:] != slashes[:-1] + 1
                start = np.maximum.accumulate(np.where(starts, slashes, 0))  # each one's run start
                escaper = (slashes - start) % 2 == 0
                if escaped_first and slashes[0] == 0:
                    escaper[start == 0] ^= True  # that run's first backslash is itself escaped
                escapes = slashes[escaper] + 1
            mark = np.zeros(a.size + 1, dtype=bool)
            mark[escapes] = True
            if escaped_first and not (slashes.size and slashes[0] == 0):
                mark[0] = True
            escaped_first = bool(mark[a.size])
            quote = (k == _QUOTE) & ~mark[pos]
        else:
            quote = k == _QUOTE
        before = np.cumsum(quote, dtype=np.int64) - quote  # the piece's quotes before each byte
        outside = ((before + in_string) % 2 == 0) & ~quote
        in_string = bool((int(np.count_nonzero(quote)) + in_string) % 2)
        steps = (k == _OPEN).astype(np.int8) - (k == _CLOSE)
        steps = steps[outside & (steps != 0)]
        if steps.size:
            run = np.cumsum(steps, dtype=np.int64) + depth
            deepest = max(deepest, int(run.max()))
            depth = int(run[-1])
    return deepest


class _Long:
    """An integer too long for Python to read (``sys.get_int_max_str_digits``), as found."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _int_or_long(text: str) -> int | _Long:
    try:
        return int(text)
    except ValueError:
        return _Long(len(text.lstrip("-")))


def long_integer(body: bytes) -> tuple[str, int] | None:
    """Where ``body``'s first integer too long to read is (the field, as a 422 names it) and
    its digits; ``None`` when it has none (or is not JSON at all)."""
    from ..errors import field_path  # (errors imports the sessions; the guard stays light)

    try:
        doc = json.loads(body, parse_int=_int_or_long)
    except ValueError:
        return None
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, _Long):
            return field_path(loc), value.digits
        if isinstance(value, dict):
            stack.extend((v, (*loc, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, (*loc, i)) for i, v in reversed(list(enumerate(value))))
    return None


async def on_unreadable_body(request: Request, exc: HTTPException) -> Response:
    """FastAPI answers a body it cannot read as JSON, though it parses, with a bare 400
    ("There was an error parsing the body"): an integer of thousands of digits is one
    (Python reads at most 4,300, since reading more takes quadratic time). Name the field
    instead; any other HTTP error goes to FastAPI's own handler."""
    body = getattr(request, "_body", None)  # read already: the route asked for it
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError) and isinstance(body, bytes):
        found = await anyio.to_thread.run_sync(long_integer, body)
        if found is not None:
            field, digits = found
            detail = (f"{field}: an integer of {digits} digits; numbers are read up to "
                      f"{sys.get_int_max_str_digits()} digits")
            return Response(orjson.dumps({"detail": detail}), status_code=422, media_type="application/json")
    return await http_exception_handler(request, exc)


class BodyGuard:
    """Size and nesting limits on request bodies; ``limits_by_path`` overrides ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int,
                 limits_by_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.limits_by_path = dict(limits_by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        limit = self.limits_by_path.get(scope["path"], self.max_bytes)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _refuse(send, 413, f"body: {length} bytes is more than the limit of {limit} bytes")
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, f"body: more than the limit of {limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # Each level takes at least one byte, so a short body cannot be too deep.
        if len(body) <= self.max_depth:
            depth = 0
        elif len(body) <= INLINE_BYTES:
            depth = json_depth(body)
        else:
            depth = await anyio.to_thread.run_sync(json_depth, body)
        if depth > self.max_depth:
            await _refuse(send, 422, f"body: JSON nested {depth} levels deep; the limit is {self.max_depth}")
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = orjson.dumps({"detail": detail})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
