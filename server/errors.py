"""Errors are raised once and translated once, here.

* The engine raises ``ValueError("field: why")``; that becomes ``422`` with
  the message as ``detail`` (so routes hold no try/except).
* Pydantic validation errors (request bodies, queries, the import document)
  become ``422`` whose ``detail`` is readable text naming the field, e.g.
  ``"optimizer.learning_rate: Input should be greater than 0"``, plus the
  first few structured ``errors`` (``loc``, ``msg``, ``type``).
* A :class:`ServerError` carries its own status (and ``Retry-After`` when
  waiting helps): an unknown or evicted session is ``404``; a stored session
  whose state is damaged is ``409`` (that session only); a client over its
  session cap is ``429``; a failing store (full disk, read-only file, Redis
  gone) or a session another process holds is ``503``.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from .serialize import JSONBytes

MAX_LISTED = 5
_SOURCES = {"body", "query", "path", "header", "cookie"}


class ServerError(Exception):
    """An error whose answer it knows: ``status``, ``{"detail": detail}``, and
    ``Retry-After: retry_after`` seconds when trying again later may work. A subclass sets
    the two class attributes; :func:`response` makes the answer, for every subclass alike."""

    status: ClassVar[int] = 500
    retry_after: ClassVar[int | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def response(exc: ServerError) -> JSONBytes:
    """The answer to ``exc`` (also an ASGI app, for a middleware that refuses before routing)."""
    headers = None if exc.retry_after is None else {"retry-after": str(exc.retry_after)}
    return JSONBytes({"detail": exc.detail}, status_code=exc.status, headers=headers)


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "model", "layers", 0)`` -> ``"model.layers[0]"``."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES and len(loc) > 1 else loc)
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        why = (err.get("ctx") or {}).get("error", "")
        return f"body: invalid JSON ({why})" if why else "body: invalid JSON"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{field_path(err.get('loc', ()))}: {msg}"


def validation_body(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{"detail": "a: why; b: why (and 3 more)", "errors": [...]}``."""
    messages = [_message(e) for e in errors]
    detail = "; ".join(messages[:MAX_LISTED])
    if len(messages) > MAX_LISTED:
        detail += f" (and {len(messages) - MAX_LISTED} more)"
    listed = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
              for e in errors[:20]]
    return {"detail": detail, "errors": listed}


async def _on_request_validation(request: Request, exc: RequestValidationError) -> JSONBytes:
    return JSONBytes(validation_body(exc.errors()), status_code=422)


async def _on_validation(request: Request, exc: ValidationError) -> JSONBytes:
    return JSONBytes(validation_body(exc.errors(include_url=False)), status_code=422)


async def _on_value_error(request: Request, exc: ValueError) -> JSONBytes:
    return JSONBytes({"detail": str(exc)}, status_code=422)


async def _on_server_error(request: Request, exc: ServerError) -> JSONBytes:
    return response(exc)


def install(app: FastAPI) -> None:
    """Register every translation on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_request_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _on_value_error)  # type: ignore[arg-type]
    app.add_exception_handler(ServerError, _on_server_error)  # type: ignore[arg-type]
