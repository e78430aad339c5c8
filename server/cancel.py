"""Noticing that a client has gone, so long work stops instead of running for nobody."""
from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import Request


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
