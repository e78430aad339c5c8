"""A test-only server: the playground's CLI serving an app in which every ``POST
.../epochs`` and ``.../gradcheck`` first reads the FIFO ``GATE`` to its end, in its engine
thread, holding the session's lock. Such a request waits there, like long work, until the
test closes its end of the FIFO (:func:`launch.open_gate`), so a test can hold it open for as
long as it needs, however fast the machine.

    python tests/gated_server.py GATE [the CLI's options]

The product knows nothing of this: the app is the real one, with FastAPI's dependency
override of the session lookup (:func:`server.deps.get_session`).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

from fastapi import FastAPI, Request

from server import cli
from server.deps import get_session, lookup
from server.main import create_app
from server.sessions import Session
from server.settings import Settings

GATED = ("/epochs", "/gradcheck")
"""Paths whose engine work waits at the gate."""

T = TypeVar("T")


class GatedSession:
    """``session`` as the routes see it, except that its engine work reads ``gate`` first."""

    def __init__(self, session: Session, gate: str) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_gate", gate)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)

    async def run(self, work: Callable[[], T]) -> T:
        def gated() -> T:
            Path(self._gate).read_bytes()  # a FIFO: until the test closes its end
            return work()

        return await self._session.run(gated)


def gated_app(gate: str) -> Callable[[Settings], FastAPI]:
    """``create_app`` with the epochs and gradient-check requests held at ``gate``."""

    def make(settings: Settings) -> FastAPI:
        app = create_app(settings)

        async def gated_session(request: Request, session_id: str) -> Any:
            session = await lookup(request.app.state.store, session_id)
            return GatedSession(session, gate) if request.url.path.endswith(GATED) else session

        app.dependency_overrides[get_session] = gated_session
        return app

    return make


if __name__ == "__main__":
    cli.main(sys.argv[2:], make_app=gated_app(sys.argv[1]))
