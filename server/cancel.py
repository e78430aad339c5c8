"""Noticing that a client has gone, so long work stops instead of running for nobody."""
from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import Request
from starlette.datastructures import State

from .serialize import JSONBytes

_COUNTING = threading.Lock()  # work threads stop at once; each must be counted
CLIENT_CLOSED = 499
"""The status of work cut because its client left (nginx's "client closed request"): nobody
reads it, but a log or a proxy in between sees why the answer is short."""


@asynccontextmanager
async def watching(request: Request) -> AsyncIterator[threading.Event]:
    """An event set when the client disconnects while the block runs (the work, in its
    thread, checks it between batches); ``app.state.cancelled`` counts those requests,
    and ``/api/health`` shows the count."""
    stop = threading.Event()
    state = request.app.state

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                stop.set()
                state.cancelled = getattr(state, "cancelled", 0) + 1
                return

    task = asyncio.get_running_loop().create_task(watch())
    try:
        yield stop
    finally:
        task.cancel()


def stopped(state: State, what: str) -> JSONBytes:
    """The answer to work that stopped because its client left; ``app.state.stopped`` counts
    those (``/api/health`` shows it), so a test can see that the work was cut, not finished."""
    with _COUNTING:
        state.stopped = getattr(state, "stopped", 0) + 1
    return JSONBytes({"detail": f"{what} stopped: the client left"}, status_code=CLIENT_CLOSED)
