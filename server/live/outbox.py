"""The outbox: answers in order, frames coalesced (the newest wins)."""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import orjson

MAX_PENDING = 32
"""Answers (not frames) waiting for a client that does not read; older ones are dropped."""


class Outbox:
    """Messages waiting for the socket. Answers keep their order (at most
    :data:`MAX_PENDING`); there is at most one frame, the newest."""

    def __init__(self) -> None:
        self._items: deque[tuple[int, str]] = deque()  # (frame seq, or 0 for an answer; text)
        self._ready = asyncio.Event()
        self.closing: tuple[int, str] | None = None

    def post(self, text: str, seq: int = 0) -> None:
        """Queue an answer (``seq`` 0) or a frame (``seq`` > 0, replacing any unsent frame)."""
        items = self._items
        if seq:
            for item in items:
                if item[0]:
                    items.remove(item)
                    break
        items.append((seq, text))
        if len(items) > MAX_PENDING:
            for item in items:
                if not item[0]:
                    items.remove(item)
                    break
        self._ready.set()

    def withdraw_frame(self) -> None:
        """Take the unsent frame back (a newer one is on its way)."""
        for item in self._items:
            if item[0]:
                self._items.remove(item)
                break

    def post_json(self, payload: dict[str, Any]) -> None:
        self.post(orjson.dumps(payload).decode())

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then close with ``code`` (the reason cut to the 123 bytes a close frame holds)."""
        self.closing = (code, reason.encode()[:120].decode(errors="ignore"))
        self._ready.set()

    async def take(self) -> tuple[int, str] | None:
        """The next message, waiting for one; ``None`` once closing and empty."""
        while not self._items:
            if self.closing:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()
