"""``Session.play()``: live training frames from ``WS /api/sessions/{id}/live``
(``docs/live.md``), read with the ``websockets`` package's synchronous client."""
from __future__ import annotations

import json
from typing import Any, Iterator

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .errors import ClientError, ServerUnreachable
from .records import Frame
from .transport import Transport

ENDS = ("diverged", "early_stopping")
"""``paused`` reasons that end play by themselves."""


def _socket_url(server: Transport, session_id: str) -> str:
    base = server.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return f"{base}api/sessions/{session_id}/live"


def play(server: Transport, session_id: str, epochs: int | None, fps: float,
         options: dict[str, Any]) -> Iterator[Frame]:
    """Session ``session_id``'s live frames: see :meth:`mlp_playground.Session.play`."""
    url = _socket_url(server, session_id)
    try:
        ws = connect(url, max_size=None, open_timeout=30)
    except InvalidStatus as exc:
        raise ClientError(exc.response.status_code, "live: the server refused the socket", "GET", url) from exc
    except OSError as exc:
        raise ServerUnreachable(server.base_url, f"live socket {url}: {exc}") from exc
    with ws:
        hello = _receive(ws, url)
        target = None if epochs is None else hello["epoch"] + epochs
        body = {"action": "play", "fps": fps, "grid_every": 0,
                "max_elements": server.max_elements, **options}
        ws.send(json.dumps(body))
        playing = True
        try:
            while True:
                message = _receive(ws, url)
                kind = message["type"]
                if kind == "error":
                    raise ClientError(422, message["detail"], "WS", url)
                if kind == "paused" and message.get("reason") in ENDS:
                    playing = False
                    return
                if kind != "frame":
                    continue
                frame = Frame.from_json(message)
                yield frame
                if target is not None and frame.epoch >= target:
                    return
        finally:
            if playing:
                _pause(ws, url)


def _receive(ws: Any, url: str) -> dict[str, Any]:
    try:
        return json.loads(ws.recv())
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else 1006
        # The server's own close codes are 4000 + an HTTP status (4404: no such session).
        status = code - 4000 if 4000 <= code < 5000 else code
        raise ClientError(status, exc.rcvd.reason if exc.rcvd else "live: the connection closed",
                          "WS", url) from exc


def _pause(ws: Any, url: str) -> None:
    """Ask for a pause and wait for the server to say it has paused, so the session stands
    still when the generator is done (the socket then closes)."""
    try:
        ws.send(json.dumps({"action": "pause"}))
        while _receive(ws, url)["type"] != "paused":
            pass
    except (ClientError, ConnectionClosed):
        pass  # gone already: a closed socket stops the training too
