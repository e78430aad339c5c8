"""Changing a session by hand: edit one parameter, undo the last changes.

``PATCH /api/sessions/{id}/params`` sets one weight or bias; ``POST
/api/sessions/{id}/undo`` restores the state from before the last ``count``
changes (the trainer keeps the snapshots, see :meth:`mlp_engine.Trainer.undo`).
Both answer the ``SessionState``.

Saving: like every training route these run under ``session.lock``, which
with a durable store saves the trainer on release when
:func:`server.sessions.fingerprint` changed; it includes a checksum of the
parameters, so an edit or an undo is seen like any step.
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ..deps import SessionDep
from ..schemas.answers import SessionState
from ..schemas.requests import ParamEdit, UndoRequest
from ..serialize import JSONBytes
from .sessions import _state

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["editing"])


@router.patch("/params", response_model=SessionState)
def edit_params(session: SessionDep, body: ParamEdit) -> JSONBytes:
    """Set ``W[layer][i, j]``, ``b[layer][i]`` or (batch norm) ``gamma``/``beta[layer][i]`` to ``value``; undoable."""
    with session.lock:
        session.trainer.edit_param(body.layer, body.name, body.index, body.value)
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
        t.undo(count)
        return _state(session)
