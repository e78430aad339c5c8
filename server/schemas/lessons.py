"""Request and response schemas of ``/api/lessons`` (kept apart so the lessons can change
without touching the session schemas)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .requests import Request


class LessonItem(BaseModel):
    """One lesson as ``GET /api/lessons`` lists it."""

    name: str = Field(description="the lesson's id, as in POST /api/lessons/{name}")
    title: str
    summary: str = Field(description="what to look at, in a few sentences")


class LessonRequest(Request):
    quick: bool = Field(False, description="fewer epochs and less data; the lesson teaches the same thing")


class LessonSession(BaseModel):
    id: str = Field(description="a session like any other: GET /api/sessions/{id}, step it, export it")
    label: str = Field(description="what this run is in the lesson, e.g. 'sigmoid, 6 hidden layers'")


class LessonStarted(LessonItem):
    """``POST /api/lessons/{name}``: the sessions the lesson made and what it measured."""

    quick: bool
    sessions: list[LessonSession]
    measured: dict[str, Any] = Field(description="the lesson's numbers; non-finite ones are null")
    finite: bool = Field(description="false when any measured number is not finite (sent as null)")
