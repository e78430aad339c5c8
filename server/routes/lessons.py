"""The lessons (:mod:`mlp_lessons`: the worked example and the reference write-up's experiments), one click each.

``POST /api/lessons/{name}`` runs :func:`mlp_lessons.run_lesson` off
the event loop and registers every trainer the lesson made as a session in
the store, exactly as ``POST /api/sessions`` does (``store.add(Session(trainer))``),
so each can be opened, stepped, reset and exported like any other.

Lessons make several sessions at once. The store evicts the least recently
used sessions when it is full, as it does for ``POST /api/sessions``; a
lesson that alone needs more sessions than the store keeps would evict its
own, so it gets a 409 naming the limit instead.

Lessons can run for tens of seconds (California housing, MNIST), so at most
:data:`CONCURRENT_LESSONS` run at a time; the others wait on the event loop
without holding a worker thread, and the rest of the API stays responsive.
"""
from __future__ import annotations

import contextlib

import anyio
from fastapi import APIRouter, HTTPException, Request

from mlp_lessons import LESSONS, LessonRun, run_lesson

from ..deps import StoreDep
from ..schemas.lessons import LessonItem, LessonRequest, LessonStarted
from ..serialize import JSONBytes, respond
from ..sessions import Session, SessionNotFound
from ..store import SessionStore
from starlette.concurrency import run_in_threadpool

router = APIRouter(prefix="/api/lessons", tags=["lessons"])

CONCURRENT_LESSONS = 2
"""Lessons running at once (the machines this runs on have two cores)."""

_LIST = JSONBytes([lesson.as_dict() for lesson in LESSONS.values()]).body


def _limiter(request: Request) -> anyio.CapacityLimiter:
    # One per app, made on the app's own event loop.
    state = request.app.state
    if getattr(state, "lesson_limiter", None) is None:
        state.lesson_limiter = anyio.CapacityLimiter(CONCURRENT_LESSONS)
    return state.lesson_limiter


def _add_all(store: SessionStore, run: LessonRun) -> list[dict[str, str]]:
    """Every session of the lesson, or none: each counts against the client's cap, and when one
    is refused those already added are taken back (a lesson never leaves half its sessions)."""
    added: list[dict[str, str]] = []
    try:
        for label, trainer in run.runs:
            added.append({"id": store.add(Session(trainer, builder=store.builder)).id, "label": label})
    except BaseException:
        for item in added:
            with contextlib.suppress(SessionNotFound):
                store.delete(item["id"])
        raise
    return added


@router.get("", response_model=list[LessonItem])
async def list_lessons() -> JSONBytes:
    """Every lesson, in the order the page lists them."""
    return JSONBytes(_LIST)


@router.post("/{name}", status_code=201, response_model=LessonStarted)
async def start_lesson(request: Request, store: StoreDep, name: str,
                       body: LessonRequest | None = None) -> JSONBytes:
    """Run a lesson; answer the sessions it made (one per compared run) and what it measured."""
    lesson = LESSONS.get(name)
    if lesson is None:
        raise HTTPException(404, f"name: no lesson {name!r}; choose one of {', '.join(LESSONS)}")
    quick = body.quick if body else False
    run: LessonRun = await anyio.to_thread.run_sync(run_lesson, name, quick, store.builder.make,
                                                   limiter=_limiter(request))
    if len(run.runs) > store.max_sessions:
        raise HTTPException(409, f"name: lesson {name!r} makes {len(run.runs)} sessions but the server keeps "
                                 f"at most {store.max_sessions} (MLP_PLAYGROUND_MAX_SESSIONS)")
    sessions = await run_in_threadpool(_add_all, store, run)
    return respond({**lesson.as_dict(), "quick": quick, "sessions": sessions, "measured": run.measured},
                   status_code=201)
