"""``WS /api/sessions/{id}/live``: live training (protocol in :mod:`server.live`),
and ``GET /api/live``: how many live connections are open and playing."""
from __future__ import annotations

import asyncio
import contextlib
import time

from fastapi import APIRouter, Request, WebSocket
from starlette.websockets import WebSocketDisconnect

from ..live.hub import CLOSE_BUSY, CLOSE_IDLE, CLOSE_NOT_FOUND, LiveHub
from ..live.messages import BadMessage, FrameSettings, PauseMessage, PlayMessage, SetMessage, parse
from ..live.outbox import Outbox
from ..live.player import Player, extend_json
from ..schemas.requests import BackwardRequest
from ..serialize import JSONBytes
from ..deps import lookup
from ..sessions import CLIENT, SessionNotFound
from ..store import SessionStore
from . import training

router = APIRouter(tags=["live"])


@router.get("/api/live")
async def live_status(request: Request) -> dict[str, int]:
    """``{"connections", "playing", "max_connections"}`` (``MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS``)."""
    return request.app.state.live.status()


@router.websocket("/api/sessions/{session_id}/live")
async def live(websocket: WebSocket, session_id: str) -> None:
    """Train the session while the client watches; see :mod:`server.live` for the messages."""
    hub: LiveHub = websocket.app.state.live
    store: SessionStore = websocket.app.state.store
    # Accept first, then refuse with a code and reason: a browser sees neither on a refused handshake.
    await websocket.accept()
    client = CLIENT.get()
    refused = hub.try_enter(client)
    if refused is not None:
        await websocket.close(CLOSE_BUSY, refused)
        return
    try:
        try:
            session = await lookup(store, session_id)
        except SessionNotFound as exc:
            await websocket.close(CLOSE_NOT_FOUND, exc.detail[:120])
            return
        await _serve(websocket, Player(session.id, store, Outbox(), hub))
    finally:
        hub.leave(client)


async def _serve(websocket: WebSocket, player: Player) -> None:
    """Read the client's messages one at a time while a second task sends what the outbox holds."""
    outbox = player.outbox
    t = (await player.session()).trainer
    outbox.post_json({"type": "hello", "session": player.session_id, "epoch": t.epoch, "step": t.step_count,
                      "learning_rate": t.optimizer.learning_rate, "options": FrameSettings().as_dict(),
                      "max_connections": player.hub.max_connections})
    sender = asyncio.get_running_loop().create_task(_send(websocket, player))
    try:
        while True:
            try:
                message = await _receive(websocket, player)
            except TimeoutError:
                outbox.close(CLOSE_IDLE, f"live: idle for {player.hub.idle_seconds:g} s "
                                         "(MLP_PLAYGROUND_LIVE_IDLE_SECONDS); reconnect to go on")
                await sender  # sends what is queued, then the close
                break
            if message["type"] == "websocket.disconnect":
                break
            try:
                await _handle(player, message.get("text") or message.get("bytes") or b"")
            except BadMessage as exc:
                outbox.post_json({"type": "error", **exc.body})
            except ValueError as exc:  # the engine's "field: why" (e.g. step indices out of range)
                outbox.post_json({"type": "error", "detail": str(exc)})
            except SessionNotFound as exc:
                outbox.post_json({"type": "error", "detail": exc.detail})
                outbox.close(CLOSE_NOT_FOUND, exc.detail)
    except WebSocketDisconnect:
        pass
    finally:
        await player.stop()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _receive(websocket: WebSocket, player: Player) -> dict:
    """The next client message; ``TimeoutError`` once the client has done nothing for
    ``idle_seconds``: sent no message and taken no frame, playing or not (a client that only
    watches takes a frame at least every second, ``MIN_FPS``)."""
    idle = player.hub.idle_seconds
    receiving = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            left = None if idle is None else max(0.0, player.active_at + idle - time.monotonic())
            done, _ = await asyncio.wait({receiving}, timeout=left)
            if done:
                player.active()
                return receiving.result()
            if time.monotonic() >= player.active_at + idle:  # (idle is set: a time-out came)
                raise TimeoutError
    finally:
        if not receiving.done():
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving


async def _handle(player: Player, text: str | bytes) -> None:
    message = parse(text)
    if isinstance(message, PlayMessage):
        await player.play(message)
    elif isinstance(message, PauseMessage):
        await player.pause()
    elif isinstance(message, SetMessage):
        await player.set(message)
    else:  # step: pause, then one backward pass answered as POST .../backward would
        if player.playing:
            await player.pause("step")
        body = BackwardRequest.model_validate(message.model_dump(exclude={"action"}, exclude_unset=True))
        trace: JSONBytes = await training.backward(await player.session(), body)
        player.outbox.post(extend_json(trace.body, {"type": "trace"}))


async def _send(websocket: WebSocket, player: Player) -> None:
    """Send the outbox in order; a send waits while the client is not reading (frames coalesce meanwhile)."""
    outbox = player.outbox
    try:
        while (item := await outbox.take()) is not None:
            seq, text = item
            if seq:  # taken means delivered (or the connection dies): its epochs need not ride again
                player.sent(seq)
            await websocket.send_text(text)
            if seq:
                player.active()  # the client took a frame (a client that reads nothing blocks the send)
        code, reason = outbox.closing  # type: ignore[misc]
        await websocket.close(code, reason)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client has gone; the receiving side ends the connection
