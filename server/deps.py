"""Shared route dependencies, as ``Annotated`` aliases.

They are ``async`` on purpose: looking a session up is quick and never
blocks, and a sync dependency would cost every request a threadpool hop.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .sessions import Session
from .store import SessionStore


async def get_store(request: Request) -> SessionStore:
    return request.app.state.store


StoreDep = Annotated[SessionStore, Depends(get_store)]


async def get_session(request: Request, session_id: str) -> Session:
    """The addressed session (404 when unknown or expired)."""
    # Reads the store itself rather than through StoreDep: one dependency
    # level less on the hottest path.
    return request.app.state.store.get(session_id)


SessionDep = Annotated[Session, Depends(get_session)]
