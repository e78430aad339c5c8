"""A connection to one MLP Playground server: ``Client(url)`` for a running one,
``Client.local()`` for one of its own, inside this process."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .session import Session
from .transport import Transport


@dataclass(frozen=True)
class Lesson:
    """A lesson's run: ``sessions`` (one per compared run, each with its ``label``) and what it
    ``measured`` (the lesson's numbers, as the server reports them)."""

    name: str
    sessions: list[Session]
    labels: list[str]
    measured: dict[str, Any]

    def __getitem__(self, label: str) -> Session:
        """The session whose label is ``label``."""
        return self.sessions[self.labels.index(label)]


class Client:
    """Talks to the server at ``url`` (``http://HOST:PORT/``); ``client.url`` is that base
    URL. Use it as a context manager, or call :meth:`close`::

        with Client.local() as client:
            s = client.session(model={"layers": [2, 8, 1]})
            trace = s.step()            # trace.delta[1], trace.dW[0]: NumPy arrays

    Every 4xx answer raises :class:`~mlp_playground.ClientError`; no answer at all raises
    :class:`~mlp_playground.ServerUnreachable`, naming the URL."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/"
        self.transport = Transport(self.url)
        self._server: Any = None  # the embedded server Client.local() started, if any

    @classmethod
    def local(cls, store: str = "memory", **settings: Any) -> "Client":
        """Start an embedded server on a free loopback port, in this process, and connect to
        it. Sessions live in memory unless ``store`` names another (a SQLite path,
        ``redis://...``); ``settings`` are further ``server.settings.Settings`` fields
        (``undo_depth=5``, ...), over those the ``MLP_PLAYGROUND_*`` variables give. The server
        stops with :meth:`close`, at the end of a ``with`` block, or when Python exits."""
        from .embedded import EmbeddedServer

        server = EmbeddedServer.start(store=store, **settings)
        client = cls(server.url)
        client._server = server
        return client

    # -- requests ----------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request (``path`` relative to :attr:`url`): the answer's JSON."""
        return self.transport.request(method, path, **kwargs)

    def health(self) -> dict[str, Any]:
        """``GET /api/health``: ``{"status": "ok", "version": ...}``."""
        return self.request("GET", "api/health")

    def options(self) -> dict[str, Any]:
        """``GET /api/options``: every registry (activations, losses, optimizers, ...), the valid
        output/loss pairs, the server's limits, the default config and the formulas."""
        return self.request("GET", "api/options")

    def datasets(self) -> list[dict[str, Any]]:
        """``GET /api/datasets``: ``[{"name", "task", "n_features", "n_outputs", ...}]``."""
        return self.request("GET", "api/datasets")

    @property
    def max_elements(self) -> int:
        """The largest array the server sends in full: every array is asked for up to it."""
        return self.transport.max_elements

    def palette(self) -> dict[str, Any]:
        """The page's chart colours, line styles and markers, from its theme file on this server."""
        return self.transport.palette()

    # -- sessions ----------------------------------------------------------
    def session(self, config: dict[str, Any] | None = None, **fields: Any) -> Session:
        """A new session: ``config`` is a ``SessionConfig`` dict, ``fields`` its sections
        (``dataset=``, ``model=``, ``optimizer=``, ``seed=``) given by name; whatever is left
        out takes the server's defaults."""
        body = {**(config or {}), **fields}
        return Session(self.transport, self.request("POST", "api/sessions", json=body))

    def open(self, id: str) -> Session:
        """The existing session ``id`` (made by the page, a lesson, another client)."""
        return Session(self.transport, self.request("GET", f"api/sessions/{id}", params={"include": ["params"],
                                                                                "max_elements": 0}))

    def import_session(self, doc: dict[str, Any]) -> Session:
        """A new session from :meth:`Session.export`'s document, continuing exactly where
        the exported one stood (parameters, optimizer state, history, data order)."""
        return Session(self.transport, self.request("POST", "api/sessions/import", json=doc))

    def lessons(self) -> list[dict[str, str]]:
        """``[{"name", "title", "summary"}]`` of every lesson."""
        return self.request("GET", "api/lessons")

    def lesson(self, name: str, quick: bool = False) -> Lesson:
        """Run the lesson ``name`` (``quick``: fewer epochs): its sessions, one per compared
        run, and the numbers it measured."""
        r = self.request("POST", f"api/lessons/{name}", json={"quick": quick})
        sessions = []
        for item in r["sessions"]:
            s = Session(self.transport, item)
            s.label = item["label"]
            sessions.append(s)
        return Lesson(name, sessions, [s.label for s in sessions], r["measured"])

    # -- closing -----------------------------------------------------------
    def close(self) -> None:
        """Close the connections, and stop the embedded server if this client started one
        (its thread ends; nothing is left running). Closing twice is harmless."""
        self.transport.close()
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "embedded" if self._server is not None else "remote"
        return f"Client({self.url!r}, {kind})"
