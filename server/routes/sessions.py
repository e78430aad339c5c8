"""Session lifecycle: create, read, reset, delete, export and import."""
from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from .. import collector, payloads
from ..deps import SessionDep, StoreDep
from ..schemas.answers import SessionState
from ..schemas.export import EXPORT_FORMAT, ExportDocument
from ..schemas.requests import DEFAULT_MAX_ELEMENTS, ForkRequest, IncludePart, MaxElements, SessionConfig
from ..serialize import JSONBytes, respond
from ..sessions import Session, restore

router = APIRouter(prefix="/api/sessions", tags=["sessions"])

ALL_STATE = ("params", "history")


def _state(session: Session, include: list[str] | tuple[str, ...] = ALL_STATE,
           max_elements: int = DEFAULT_MAX_ELEMENTS, status_code: int = 200) -> JSONBytes:
    """``SessionState``; the caller holds ``session.lock``."""
    return respond(payloads.state(session, include, max_elements), max_elements=max_elements,
                   status_code=status_code, finite=session.trainer.finite)


@router.post("", status_code=201, response_model=SessionState)
def create_session(store: StoreDep, config: SessionConfig | None = None) -> JSONBytes:
    """A new session from a ``SessionConfig`` (every field optional)."""
    session = store.add(Session.create(config.model_dump(exclude_none=True) if config else {}, store.builder))
    with session.lock:
        return _state(session, status_code=201)


_IMPORT_BODY = {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/ExportDocument"}}}}


@router.post("/import", status_code=201, response_model=SessionState, openapi_extra={"requestBody": _IMPORT_BODY})
async def import_session(request: Request, store: StoreDep) -> JSONBytes:
    """A new session that continues exactly where an exported one stood (an ``ExportDocument``)."""
    body = await request.body()
    # Parsed and checked in a thread, not on the loop as a declared body would be: an import
    # may be tens of megabytes (a long history), and the loop only routes.
    return await run_in_threadpool(_import, store, body)


def _import(store: StoreDep, body: bytes) -> JSONBytes:
    # The collector is held off for the one parse and conversion of the body (bounded by
    # MAX_IMPORT_BYTES): its passes would trace the parsed history again and again and
    # find nothing to free (see server.collector).
    with collector.held():
        try:
            raw = orjson.loads(body)  # faster than pydantic's parser on a long history, by half
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"body: invalid JSON ({exc})") from None
        document = ExportDocument.model_validate(raw)
        # The history is taken as parsed: dumping it through pydantic would walk every entry again.
        state = document.state.model_dump(by_alias=True, exclude_unset=True, exclude={"history"})
        if "history" in document.state.model_fields_set:
            state["history"] = document.state.history
        trainer = restore(state, store.builder)
        del raw, document, state  # the parsed lists go by reference counting, before the collector is back
    session = store.add(Session(trainer, builder=store.builder))
    with session.lock:
        return _state(session, status_code=201)


@router.get("/{session_id}", response_model=SessionState)
async def get_session(session: SessionDep,
                      include: Annotated[list[IncludePart] | None, Query(description=
                          "default: params and history; config: its arrays whole, not summarised")] = None,
                      max_elements: MaxElements = DEFAULT_MAX_ELEMENTS) -> JSONBytes:
    """The session's config, position, parameters and history."""
    return await session.run(lambda: _state(session, ALL_STATE if include is None else include, max_elements))


@router.delete("/{session_id}", status_code=204, response_class=Response)
def delete_session(store: StoreDep, session_id: str) -> Response:
    """Forget the session; its memory is freed at once (in a thread: a durable store writes)."""
    store.delete(session_id)
    return Response(status_code=204)


@router.post("/{session_id}/fork", status_code=201, response_model=SessionState)
def fork_session(store: StoreDep, session: SessionDep, body: ForkRequest | None = None) -> JSONBytes:
    """A new session at epoch 0 with this one's config and the ``overrides`` applied: the same
    data, seed and minibatch order, and this session's initial parameters wherever the shapes agree."""
    overrides = body.overrides.model_dump(exclude_unset=True, exclude_none=True) if body else {}
    with session.lock:
        fork = session.fork(overrides)
    fork = store.add(fork)
    with fork.lock:
        return _state(fork, status_code=201)


@router.post("/{session_id}/reset", response_model=SessionState)
def reset_session(session: SessionDep) -> JSONBytes:
    """Back to epoch 0 with the same config and seed: the same initial weights."""
    with session.lock:
        session.reset()
        return _state(session)


@router.get("/{session_id}/export", response_model=ExportDocument)
def export_session(session: SessionDep) -> JSONBytes:
    """Everything needed to continue exactly (the engine's ``Trainer.state_dict()``)."""
    with session.lock:  # the history from its kept blocks: a long one is not encoded again
        state = {"history": session.history_json.fragment(session.trainer.history),
                 **session.trainer.state_dict(history=False)}
        body = orjson.dumps({"format": EXPORT_FORMAT, "format_version": 1, "state": state})
    return JSONBytes(body,
                     headers={"content-disposition": f'attachment; filename="mlp-session-{session.id}.json"'})
