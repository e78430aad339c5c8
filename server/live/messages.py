"""The client's live messages (``play``, ``pause``, ``step``, ``set``), parsed and checked,
and the frame options in force."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field, ValidationError, field_validator

from ..bounds.fields import AtMost
from ..errors import validation_body
from ..schemas.requests import DEFAULT_MAX_ELEMENTS, BackwardRequest, MaxElements, Request

MAX_FPS = 240.0
MIN_FPS = 1.0
"""A playing socket sends a frame at least this often: it is in use only while its client takes frames."""


class FrameOptions(Request):
    """How frames are made; every field optional (unset keeps the current value)."""

    epochs_per_frame: Annotated[int, Field(ge=1), AtMost("max_epochs_per_request")] | None = Field(
        None, description="epochs trained per frame (default 1)")
    fps: float | None = Field(None, ge=MIN_FPS, le=MAX_FPS, allow_inf_nan=False,
                              description="frames per second at most (default 30, at least 1)")
    grid_every: int | None = Field(None, ge=0, le=10_000,
                                   description="a boundary grid every this many frames, 0 never (default 4)")
    resolution: Annotated[int, Field(ge=5), AtMost("max_boundary_resolution")] | None = Field(
        None, description="of that grid (default 32)")
    max_elements: MaxElements | None = Field(None, description="arrays larger are sent as summaries")
    neurons: int | None = Field(None, ge=0, le=100, description="with each boundary grid of 2-D data, every neuron's "
                                                              "activation grid (GET .../neurons) at this resolution; "
                                                              "0 never (default 0)")

    @field_validator("neurons")
    @classmethod
    def _a_grid_has_two_points_a_side(cls, value: int | None) -> int | None:
        if value == 1:
            raise ValueError("0 (never) or a resolution from 2 to 100")
        return value


class PlayMessage(FrameOptions):
    action: Literal["play"]


class PauseMessage(Request):
    action: Literal["pause"]


class StepMessage(BackwardRequest):
    action: Literal["step"]


class SetMessage(FrameOptions):
    action: Literal["set"]
    learning_rate: Annotated[float, Field(gt=0, allow_inf_nan=False), AtMost("max_learning_rate")] | None = None


MESSAGES: dict[str, type[BaseModel]] = {
    "play": PlayMessage, "pause": PauseMessage, "step": StepMessage, "set": SetMessage}


class BadMessage(ValueError):
    """A client message the server cannot honour; ``body`` is the error answer."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["detail"])
        self.body = body


def parse(text: str | bytes) -> BaseModel:
    """The client message as its model; :class:`BadMessage` naming the field otherwise."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadMessage({"detail": f"message: invalid JSON ({exc})"}) from None
    if not isinstance(obj, dict):
        raise BadMessage({"detail": "message: must be a JSON object with an action"})
    action = obj.get("action")
    model = MESSAGES.get(action) if isinstance(action, str) else None
    if model is None:
        raise BadMessage({"detail": f"action: must be one of {', '.join(MESSAGES)}; got {obj.get('action')!r}"})
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise BadMessage({**validation_body(exc.errors(include_url=False)), "action": obj["action"]}) from None


@dataclass
class FrameSettings:
    """The options in force (see :class:`FrameOptions`)."""

    epochs_per_frame: int = 1
    fps: float = 30.0
    grid_every: int = 4
    resolution: int = 32
    max_elements: int = DEFAULT_MAX_ELEMENTS
    neurons: int = 0

    def update(self, options: FrameOptions) -> None:
        for key, value in options.model_dump(exclude_none=True, exclude={"action", "learning_rate"}).items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
