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
    follow_up: "LessonFollowUp | None" = Field(
        None, description="the line the lesson ends with: text, then a link that opens one of its sessions "
                          "(by label) at a panel of the playground")


class LessonFollowUp(BaseModel):
    text: str
    link: str = Field(description="the link's words")
    session: str = Field(description="the label of the lesson's session it opens")
    panel: str = Field(description="the id of the playground's panel it shows, e.g. 'chain-rule'")


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


LessonItem.model_rebuild()
