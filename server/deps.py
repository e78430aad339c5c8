"""Shared route dependencies, as ``Annotated`` aliases.

They are ``async`` on purpose: looking up a session kept in memory is quick and
never blocks, and a sync dependency would cost every request a threadpool hop;
a session that must be loaded is loaded in a thread (:func:`lookup`).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from .sessions import Session
from .store import SessionStore


async def get_store(request: Request) -> SessionStore:
    return request.app.state.store


StoreDep = Annotated[SessionStore, Depends(get_store)]


async def lookup(store: SessionStore, session_id: str) -> Session:
    """The session with this id: from memory on the loop when it is there (no I/O), otherwise
    loaded from the store in a worker thread, so a slow or failing store never stalls the loop."""
    session = store.cached(session_id)
    if session is None:
        session = await run_in_threadpool(store.get, session_id)
    return session


async def get_session(request: Request, session_id: str) -> Session:
    """The addressed session (404 when unknown or expired)."""
    # Reads the store itself rather than through StoreDep: one dependency
    # level less on the hottest path.
    return await lookup(request.app.state.store, session_id)


SessionDep = Annotated[Session, Depends(get_session)]
