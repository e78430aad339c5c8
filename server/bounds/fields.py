"""Request bounds that depend on the app's :class:`~server.settings.Limits`.

A schema field bounded by a limit carries the marker ``AtMost("max_width")``
in its ``Annotated`` type. The marker checks the value (a number, or a list's
length) against the limits of the app serving the request, with pydantic's
own error (``less_than_equal`` or ``too_long``, so the 422 names the field as
any other bound does), and writes the bound into the JSON schema
(``maximum`` or ``maxItems``), so ``/docs`` and ``/openapi.json`` show the
bounds this app enforces.

Why a context variable: FastAPI validates bodies and queries without a
pydantic validation context, so the limits of the app at hand travel in
:data:`LIMITS`, set per request by :class:`LimitsScope` (pure ASGI: the
request runs in the task that set it, and threadpool calls copy the context).
Outside a request (engine-level tests, a store opened by hand) the defaults apply.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import Limits

LIMITS: ContextVar[Limits] = ContextVar("LIMITS", default=Limits())
"""The limits of the app serving the current request."""


def current_limits() -> Limits:
    """The limits in force for the request at hand (the defaults outside one)."""
    return LIMITS.get()


@dataclass(frozen=True)
class AtMost:
    """``Annotated`` marker: at most ``current_limits().<limit> + offset`` (a number's value,
    a list's length)."""

    limit: str
    offset: int = 0

    def bound(self) -> int | float:
        return getattr(current_limits(), self.limit) + self.offset

    def _check(self, value: Any) -> Any:
        bound = self.bound()
        if isinstance(value, list):
            if len(value) > bound:
                raise PydanticCustomError(
                    "too_long", "List should have at most {max_length} items after validation, not {actual_length}",
                    {"field_type": "List", "max_length": bound, "actual_length": len(value)})
        elif value > bound:
            raise PydanticCustomError("less_than_equal", "Input should be less than or equal to {le}", {"le": bound})
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        js = handler(schema)
        js["maxItems" if js.get("type") == "array" else "maximum"] = self.bound()
        return js


class LimitsScope:
    """ASGI middleware: every request (HTTP or WebSocket) runs with ``limits`` in :data:`LIMITS`
    (and ``budget``, a :class:`server.bounds.budget.Budget`, in :data:`server.bounds.budget.BUDGET`)."""

    def __init__(self, app: ASGIApp, limits: Limits, budget: Any = None) -> None:
        self.app, self.limits, self.budget = app, limits, budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from .budget import BUDGET  # (budget imports the engine; fields stays light)

        token = LIMITS.set(self.limits)
        spent = BUDGET.set(self.budget) if self.budget is not None else None
        try:
            await self.app(scope, receive, send)
        finally:
            if spent is not None:
                BUDGET.reset(spent)
            LIMITS.reset(token)
