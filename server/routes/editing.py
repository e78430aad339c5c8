"""Changing a session by hand: edit one parameter, undo the last changes.

``PATCH /api/sessions/{id}/params`` sets one weight or bias; ``POST
/api/sessions/{id}/undo`` restores the state from before the last ``count``
changes (the trainer keeps the snapshots, see :meth:`mlp_engine.Trainer.undo`).
Both answer the ``SessionState``.

Saving: like every training route these run under ``session.lock``, which
with a durable store saves the trainer on release when
:func:`server.sessions.fingerprint` changed. An edit, or an undo back to the
same step count, leaves the fingerprint's counters as they were, so the
route hands the session a shallow copy of the trainer (same arrays, new
identity): the fingerprint changes and the store saves the change.
"""
from __future__ import annotations

import copy

from fastapi import APIRouter, HTTPException

from ..deps import SessionDep
from ..schemas import ParamEdit, SessionState, UndoRequest
from ..serialize import JSONBytes
from ..sessions import Session, fingerprint
from .sessions import _state

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["editing"])


def _changed(session: Session, before: object) -> None:
    """Make sure the store sees that the trainer changed (see the module docstring)."""
    if fingerprint(session.trainer) == before:
        session.trainer = copy.copy(session.trainer)


@router.patch("/params", response_model=SessionState)
def edit_params(session: SessionDep, body: ParamEdit) -> JSONBytes:
    """Set ``W[layer][i, j]`` or ``b[layer][i]`` to ``value``; undoable."""
    with session.lock:
        before = fingerprint(session.trainer)
        session.trainer.edit_param(body.layer, body.name, body.index, body.value)
        _changed(session, before)
        return _state(session)


@router.post("/undo", response_model=SessionState)
def undo(session: SessionDep, body: UndoRequest | None = None) -> JSONBytes:
    """Back to the state before the last ``count`` changes (steps, epochs calls, edits)."""
    count = body.count if body else 1
    with session.lock:
        t = session.trainer
        held = t.undo_available
        if held == 0:
            why = "" if t.undo_depth else (f" (sessions over {t.undo_limit} parameters keep no snapshots: "
                                           "MLP_PLAYGROUND_UNDO_MAX_PARAMS)")
            raise HTTPException(409, f"undo: nothing to undo{why}")
        if count > held:
            raise HTTPException(409, f"count: {count} changes asked, only {held} can be undone")
        before = fingerprint(t)
        t.undo(count)
        _changed(session, before)
        return _state(session)
