"""HTTP to one server: JSON in, JSON (or text) out, a 4xx as :class:`ClientError`, no
answer as :class:`ServerUnreachable`. The one place that speaks ``httpx``."""
from __future__ import annotations

import functools
from typing import Any

import httpx

from .errors import ClientError, ServerUnreachable

TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=600.0, pool=600.0)
"""Generous reads: one request may train up to ``max_epochs_per_request`` epochs."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _detail(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return body.get("detail", body) if isinstance(body, dict) else body


class Transport:
    """Requests against ``base_url`` (``http://HOST:PORT/``) over one connection pool."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT)

    def request(self, method: str, path: str, *, json: Any = None, params: Any = None,
                text: bool = False) -> Any:
        """The answer's JSON (``None`` for 204; the text when ``text``); raises
        :class:`ClientError` for a 4xx or 5xx, :class:`ServerUnreachable` without an answer."""
        url = self.base_url + path.lstrip("/")
        try:
            response = self.http.request(method, path.lstrip("/"), json=json, params=params)
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, f"{type(exc).__name__}: {exc}" if str(exc)
                                    else type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ClientError(response.status_code, _detail(response), method, url, _retry_after(response))
        if response.status_code == 204:
            return None
        return response.text if text else response.json()

    @functools.cached_property
    def limits(self) -> dict[str, Any]:
        """The server's request limits (``/api/options`` ``limits``), asked once."""
        return self.request("GET", "api/options")["limits"]

    @property
    def max_elements(self) -> int:
        """The largest array the server sends in full: every array is asked for up to it."""
        return int(self.limits["max_elements"])

    def palette(self) -> dict[str, Any]:
        """The page's chart colours, line styles and markers, read from the page's own theme
        file on this server (:func:`mlp_playground.plotting.page_palette`)."""
        from .plotting import page_palette

        return page_palette(self.request("GET", "static/js/theme.js", text=True))

    def headers(self, path: str) -> httpx.Headers:
        """The headers of ``GET path`` (the page's, to see whether it may be framed)."""
        try:
            return self.http.get(path.lstrip("/")).headers
        except httpx.TransportError as exc:
            raise ServerUnreachable(self.base_url, type(exc).__name__) from exc

    def close(self) -> None:
        self.http.close()
