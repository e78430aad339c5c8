"""Abuse limits and security headers: one pure ASGI middleware, :class:`Security`.

* **Who is asking.** It sets :data:`server.sessions.CLIENT` to the client's
  address for the request (sessions are counted per client).
* **Session creation** (``POST /api/sessions``, ``/api/sessions/import``,
  ``/api/sessions/{id}/fork``, ``/api/lessons/{name}``) gets ``429`` naming the limit when the client
  already holds ``max_sessions_per_client`` sessions or created
  ``session_creations_per_minute`` in the last minute (clients listed in
  ``MLP_PLAYGROUND_UNLIMITED_CLIENTS``, by default the machine itself, are
  not limited: behind a reverse proxy, let uvicorn read the client's address
  from ``X-Forwarded-For``, see ``docs/reliability.md``).
* **Host names.** A request whose ``Host`` is not a name this server is bound
  or configured for (:meth:`~server.settings.Settings.hosts`) gets ``400``
  (a WebSocket is closed with 1008 before it is accepted): a DNS-rebinding
  page reaches the loopback, which has no limits, under its own name.
* **Other sites.** CORS is closed unless ``MLP_PLAYGROUND_CORS_ORIGINS`` lists
  origins. Browsers still *send* cross-site form posts and open cross-site
  WebSockets, so a request carrying an ``Origin`` that is neither this
  server nor a listed origin is refused (``403``; a WebSocket is closed
  before it is accepted) unless its method is ``GET``, ``HEAD`` or ``OPTIONS``.
* **Headers** on every answer: ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store`` on the API's, and (except on ``/docs`` and ``/redoc``,
  whose Swagger/ReDoc assets come from a CDN) a Content-Security-Policy
  allowing only this server, with ``frame-ancestors 'none'`` and
  ``X-Frame-Options: DENY``. Styles may be inline: Plotly writes ``<style>``
  elements and the page sets ``style`` attributes; scripts may not.
"""
from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .body import ASGIApp, Message, Receive, Scope, Send
from ..errors import ServerError, response
from ..sessions import CLIENT
from ..store import SessionStore
from ..settings import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
PAGE_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY")]
NO_CSP = ("/docs", "/redoc")
API = "/api/"
NO_STORE = [(b"cache-control", b"no-store")]
"""On every API answer: sessions, exports, scripts and reports are a student's own, and change."""

CREATES = re.compile(r"^/api/(sessions|sessions/import|sessions/[^/]+/fork|lessons/[^/]+)$")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WINDOW_SECONDS = 60.0


class UnknownHost(ServerError):
    """A ``Host`` this server does not answer for (400)."""

    status = 400


class OtherSite(ServerError):
    """A browser's request from a site that is not allowed (403)."""

    status = 403


class CreatingTooFast(ServerError):
    """A client that created its sessions-per-minute already (429)."""

    status, retry_after = 429, int(WINDOW_SECONDS)


class Security:
    """See the module docstring; ``store`` is the app's session store."""

    def __init__(self, app: ASGIApp, settings: Settings, store: SessionStore) -> None:
        self.app = app
        self.settings = settings
        self.store = store
        self.origins = set(settings.origins())
        self.unlimited = settings.unlimited()
        self.hosts = settings.hosts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("local", 0))[0]
        CLIENT.set(client)
        path: str = scope["path"]
        host = self._unknown_host(scope)
        if host is not None:
            detail = (f"host: this server does not answer for {host!r} (MLP_PLAYGROUND_ALLOWED_HOSTS lists "
                      "the names it does)")
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            else:
                await _refuse(UnknownHost(detail), scope, receive, send)
            return
        if scope["type"] == "websocket":
            if not self._same_site(scope):
                await send({"type": "websocket.close", "code": 1008, "reason": "origin: not allowed"})
                return
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE_METHODS and not self._same_site(scope):
            await _refuse(OtherSite("origin: this server does not accept requests from other sites "
                                    "(MLP_PLAYGROUND_CORS_ORIGINS lists the ones it does)"), scope, receive, send)
            return
        if method == "POST" and client not in self.unlimited and CREATES.match(path):
            try:
                await run_in_threadpool(self._check_creation, client)  # a durable store's I/O
            except ServerError as exc:
                await _refuse(exc, scope, receive, send)
                return
        await self.app(scope, receive, _with_headers(send, path))

    def _unknown_host(self, scope: Scope) -> str | None:
        """The request's ``Host`` when this server does not answer for it, else ``None``.
        A DNS-rebinding page reaches the loopback under its own name: refusing names the
        server is not bound or configured for keeps such pages out."""
        if self.hosts is None:
            return None
        raw = dict(scope["headers"]).get(b"host", b"").decode("latin-1").strip().lower()
        name = raw.rsplit("]", 1)[0].lstrip("[") if raw.startswith("[") else raw.rsplit(":", 1)[0]
        if name == "" and scope.get("http_version") == "1.0":
            return None  # HTTP/1.0 has no Host header
        return None if name in self.hosts else raw

    def _same_site(self, scope: Scope) -> bool:
        """No ``Origin`` (not a browser, or same-origin GET), this server's own, or a listed one."""
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is None:
            return True
        origin_text = origin.decode("latin-1").rstrip("/")
        if origin_text in self.origins:
            return True
        host = headers.get(b"host", b"").decode("latin-1")
        return origin_text.split("://", 1)[-1] == host

    def _check_creation(self, client: str) -> None:
        """Refuse ``client`` a new session before any work is done for it: the store's cap
        (:class:`~server.store.protocol.ClientCap`), then the rate."""
        self.store.cap.check(client, self.store.count_client(client))
        per_minute = self.settings.session_creations_per_minute
        if not self.store.note_creation(client, WINDOW_SECONDS, per_minute):
            raise CreatingTooFast(f"sessions: {client} created {per_minute} sessions in the last minute, "
                                  "the limit (MLP_PLAYGROUND_SESSION_CREATIONS_PER_MINUTE); wait and retry")


def _with_headers(send: Send, path: str) -> Send:
    extra = HEADERS if path.startswith(NO_CSP) else HEADERS + PAGE_HEADERS
    if path.startswith(API):
        extra = extra + NO_STORE

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _refuse(exc: ServerError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer ``exc`` before routing (:func:`server.errors.response`), with this module's headers."""
    await response(exc)(scope, receive, _with_headers(send, scope["path"]))


def install(app: FastAPI, settings: Settings, store: SessionStore) -> None:
    """Add the middleware (outermost, after the others) and CORS when asked for."""
    if settings.origins():
        app.add_middleware(CORSMiddleware, allow_origins=settings.origins(), allow_methods=["*"],
                           allow_headers=["*"], max_age=600)
    app.add_middleware(Security, settings=settings, store=store)
