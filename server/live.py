"""Live training over a WebSocket: the messages, the outbox and the player.

One connection drives one session (``WS /api/sessions/{id}/live``, see
:mod:`server.routes.live`). The client sends JSON messages:

* ``{"action": "play", "epochs_per_frame"?, "fps"?, "grid_every"?, "resolution"?, "max_elements"?}``
  starts training (or, while playing, changes those options);
* ``{"action": "pause"}`` stops after the frame under way;
* ``{"action": "step", ...}`` pauses, then takes one backward pass (the body of
  ``POST .../backward``) and answers its ``BackwardTrace``;
* ``{"action": "set", "learning_rate"?, <the play options>?}`` changes the
  learning rate (it becomes the session's configured rate, so ``reset`` keeps
  it) or the frame options, playing or not.

The server answers with JSON messages, each with a ``type``: ``hello`` (once,
on connecting), ``frame``, ``playing``, ``paused``, ``trace``, ``set`` and
``error`` (``detail`` names the field; the connection and the session carry on).

How it runs. A frame is one :meth:`~server.sessions.Session.run` call: train
``epochs_per_frame`` epochs and encode the frame, holding the session's lock
for that frame only, so REST calls on the session interleave between frames
and always see a consistent trainer. Frames are paced to ``fps``. The frame
is posted to an :class:`Outbox` that holds at most one unsent frame: a new
one replaces it (the newest state wins), so a client that reads slowly, or
not at all, never grows a queue; the epochs it missed ride along in the next
frame's ``new_epochs`` (up to :data:`TAIL_MAX` of them), so its loss chart
stays complete. A pause is seen before the next frame starts, a disconnect
cancels the player; a frame under way stops at its next batch, for a pause as for a
disconnect, so neither waits for a long frame. A frame is priced like ``POST .../epochs``
(``epochs_per_frame`` over the request budget is refused with an ``error``). A socket that
neither plays nor sends a message for ``MLP_PLAYGROUND_LIVE_IDLE_SECONDS`` is closed (1001).
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field, ValidationError, field_validator

from mlp_engine import EpochRecord

from . import payloads
from .errors import validation_body
from .schemas import DEFAULT_MAX_ELEMENTS, BackwardRequest, MaxElements, Request
from .serialize import respond
from .limits import AtMost
from .sessions import Session, SessionNotFound
from .deps import lookup
from . import budget
from .store import SessionStore

MAX_FPS = 240.0
TAIL_MAX = 1024
"""Epoch records kept for a client that is behind; older ones are dropped (the history is in GET)."""
MAX_PENDING = 32
"""Answers (not frames) waiting for a client that does not read; older ones are dropped."""
CLOSE_BUSY = 1013
"""Close code when the server already has ``max_live_connections`` ("try again later")."""
CLOSE_IDLE = 1001
"""Close code for a socket idle for ``MLP_PLAYGROUND_LIVE_IDLE_SECONDS`` ("going away")."""
CLOSE_NOT_FOUND = 4404
"""Close code when the session does not exist or has expired (the reason says which)."""


class LiveHub:
    """Counts the live connections and how many of them are playing (all on the event loop).
    At most ``max_connections`` (``Settings.max_live_connections``) are open at once, and at
    most ``max_per_client`` from one client address, so one client cannot take every slot;
    one more is accepted, told why, and closed with code 1013. A socket that neither plays nor
    sends anything for ``idle_seconds`` is closed (1001), so idle sockets free their slots."""

    def __init__(self, max_connections: int = 8, max_per_client: int | None = None,
                 idle_seconds: float | None = None) -> None:
        self.max_connections = max_connections
        self.max_per_client = max_per_client or max_connections
        self.idle_seconds = idle_seconds
        self.connections = 0
        self.playing = 0
        self._per_client: dict[str, int] = {}

    def try_enter(self, client: str = "local") -> str | None:
        """Take a slot for ``client``; why not (the close reason), or ``None`` when taken."""
        if self.connections >= self.max_connections:
            return f"live: the server allows {self.max_connections} live connections; close one and retry"
        if self._per_client.get(client, 0) >= self.max_per_client:
            return (f"live: one client may hold {self.max_per_client} live connections "
                    "(MLP_PLAYGROUND_MAX_LIVE_PER_CLIENT); close one and retry")
        self.connections += 1
        self._per_client[client] = self._per_client.get(client, 0) + 1
        return None

    def leave(self, client: str = "local") -> None:
        self.connections -= 1
        left = self._per_client.get(client, 1) - 1
        if left > 0:
            self._per_client[client] = left
        else:
            self._per_client.pop(client, None)

    def status(self) -> dict[str, int]:
        return {"connections": self.connections, "playing": self.playing,
                "max_connections": self.max_connections}


# --------------------------------------------------------------------------
# Client messages
# --------------------------------------------------------------------------
class FrameOptions(Request):
    """How frames are made; every field optional (unset keeps the current value)."""

    epochs_per_frame: Annotated[int, Field(ge=1), AtMost("max_epochs_per_request")] | None = Field(
        None, description="epochs trained per frame (default 1)")
    fps: float | None = Field(None, gt=0, le=MAX_FPS, allow_inf_nan=False,
                              description="frames per second at most (default 30)")
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


# --------------------------------------------------------------------------
# The outbox: answers in order, frames coalesced
# --------------------------------------------------------------------------
class Outbox:
    """Messages waiting for the socket. Answers keep their order (at most
    :data:`MAX_PENDING`); there is at most one frame, the newest."""

    def __init__(self) -> None:
        self._items: deque[tuple[int, str]] = deque()  # (frame seq, or 0 for an answer; text)
        self._ready = asyncio.Event()
        self.closing: tuple[int, str] | None = None

    def post(self, text: str, seq: int = 0) -> None:
        """Queue an answer (``seq`` 0) or a frame (``seq`` > 0, replacing any unsent frame)."""
        items = self._items
        if seq:
            for item in items:
                if item[0]:
                    items.remove(item)
                    break
        items.append((seq, text))
        if len(items) > MAX_PENDING:
            for item in items:
                if not item[0]:
                    items.remove(item)
                    break
        self._ready.set()

    def post_json(self, payload: dict[str, Any]) -> None:
        self.post(orjson.dumps(payload).decode())

    def close(self, code: int, reason: str) -> None:
        """Send what is queued, then close with ``code`` (the reason cut to the 123 bytes a close frame holds)."""
        self.closing = (code, reason.encode()[:120].decode(errors="ignore"))
        self._ready.set()

    async def take(self) -> tuple[int, str] | None:
        """The next message, waiting for one; ``None`` once closing and empty."""
        while not self._items:
            if self.closing:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


# --------------------------------------------------------------------------
# The player
# --------------------------------------------------------------------------
def _latest(history: Any) -> dict[str, Any]:
    """The last finished epoch's losses and gradient norms (``None`` before the first)."""
    if not history.train_loss:
        return {"train_loss": None, "test_loss": None, "grad_norms": None}
    return {"train_loss": history.train_loss[-1], "test_loss": history.test_loss[-1],
            "grad_norms": history.grad_norms[-1]}


def _epochs(records: list[EpochRecord]) -> dict[str, Any]:
    """``new_epochs``: the records as per-epoch lists (like ``SessionState.history``), with their numbers."""
    return {"epoch": [r.epoch for r in records], **payloads.history(
        [r.train_loss for r in records], [r.test_loss for r in records], [r.grad_norms for r in records])}


def extend_json(body: bytes, fields: dict[str, Any]) -> str:
    """``body``, an encoded JSON object, with ``fields`` added at its end (without decoding it)."""
    extra = orjson.dumps(fields, option=orjson.OPT_SERIALIZE_NUMPY)
    return (body[:-1] + b"," + extra[1:]).decode() if extra != b"{}" else body.decode()


def set_learning_rate(session: Session, learning_rate: float) -> None:
    """The optimizer's rate from now on, and the session's configured one (so reset and
    export keep it). The caller holds the lock."""
    session.trainer.optimizer.learning_rate = learning_rate
    session.config["optimizer"]["learning_rate"] = learning_rate
    session.trainer.config.setdefault("optimizer", {})["learning_rate"] = learning_rate


class Player:
    """Trains one session frame by frame while playing and posts each frame to the outbox."""

    def __init__(self, session_id: str, store: SessionStore, outbox: Outbox, hub: LiveHub) -> None:
        self.session_id = session_id
        self.store = store
        self.outbox = outbox
        self.hub = hub
        self.settings = FrameSettings()
        self.playing = False
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._halt = threading.Event()  # seen by the engine between batches: pause or leave
        self._seq = 0
        self._tail: deque[tuple[int, EpochRecord]] = deque(maxlen=TAIL_MAX)  # (frame seq, record)
        self._sent = 0

    async def session(self) -> Session:
        """The session, marked as used (a playing session never idles out); loaded in a
        thread when it is not in memory."""
        return await lookup(self.store, self.session_id)

    def sent(self, seq: int) -> None:
        """The sender took frame ``seq`` to send: its epochs need not ride along again."""
        self._sent = seq

    # -- the moves --------------------------------------------------------
    async def play(self, options: FrameOptions) -> None:
        """Start (or retune) playing; a frame over the request budget is refused up front."""
        session = await self.session()
        epochs = options.epochs_per_frame or self.settings.epochs_per_frame
        await session.run(lambda: budget.check_epochs(session.trainer, epochs, "epochs_per_frame"))
        self.settings.update(options)
        self.outbox.post_json({"type": "playing", **self.settings.as_dict()})
        if self._task is None:
            self.playing = True
            self._wake.clear()
            self._halt.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def pause(self, reason: str = "pause") -> None:
        """Stop after the frame under way and say where training stands."""
        task = self._task
        if task is not None:
            self.playing = False  # the frame under way stops at its next batch
            self._halt.set()
            self._wake.set()
            await task
        self._paused(await self.session(), reason)

    def _paused(self, session: Session, reason: str) -> None:
        t = session.trainer
        self.outbox.post_json({"type": "paused", "reason": reason, "epoch": t.epoch, "step": t.step_count})

    async def set(self, message: SetMessage) -> None:
        session = await self.session()
        if message.epochs_per_frame is not None:
            await session.run(lambda: budget.check_epochs(session.trainer, message.epochs_per_frame,
                                                          "epochs_per_frame"))
        self.settings.update(message)
        if message.learning_rate is not None:
            await session.run(lambda: set_learning_rate(session, message.learning_rate))
        self.outbox.post_json({"type": "set", "learning_rate": session.trainer.optimizer.learning_rate,
                               **self.settings.as_dict()})

    async def stop(self) -> None:
        """The client left: cancel the loop (an engine call under way finishes first)."""
        task, self.playing = self._task, False
        self._halt.set()  # the frame under way stops at its next batch, so the slot frees at once
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    # -- the loop ---------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self.hub.playing += 1
        index = 0
        due = loop.time()
        try:
            while self.playing:
                session = await self.session()
                ended = await self._frame(session, index)
                if ended is not None:  # diverged, or early stopping ended the run
                    self.playing = False
                    self._paused(session, ended)
                    return
                index += 1
                # Pace to fps without catching up after a slow frame.
                due = max(due + 1.0 / self.settings.fps, loop.time())
                try:
                    await asyncio.wait_for(self._wake.wait(), due - loop.time())
                except TimeoutError:
                    pass
        except SessionNotFound as exc:
            self.playing = False
            self.outbox.post_json({"type": "error", "detail": exc.detail})
            self.outbox.close(CLOSE_NOT_FOUND, exc.detail)
        finally:
            self.hub.playing -= 1
            if self._task is asyncio.current_task():  # (a new play may have started meanwhile)
                self._task = None

    async def _frame(self, session: Session, index: int) -> str | None:
        """Train one frame's epochs and post the frame; why play must end ("diverged",
        "early_stopping"), or None to go on."""
        s = self.settings
        self._seq += 1
        seq = self._seq
        t = session.trainer
        grid = s.grid_every > 0 and index % s.grid_every == 0 and t.model.layers[0] in (1, 2)

        def work() -> tuple[bytes, list[EpochRecord], bool, bool]:
            t = session.trainer  # a reset meanwhile made a new one
            halt = self._halt
            records = t.run_epochs(s.epochs_per_frame, keep_going=lambda: not halt.is_set())
            finite = all(r.finite for r in records) and t.finite
            frame: dict[str, Any] = {
                "type": "frame", "seq": seq, "epoch": t.epoch, "step": t.step_count, "position": t.position,
                "stopped": t.stopped,
                "learning_rate": t.optimizer.learning_rate, **_latest(t.history), "params": payloads.params(t.model)}
            if grid:
                frame["boundary"] = payloads.boundary(session, s.resolution)
                if s.neurons >= 2 and payloads.plane_inputs(session) == 2:
                    frame["neurons"] = payloads.neurons(session, s.neurons)
            return respond(frame, max_elements=s.max_elements, finite=finite).body, records, finite, t.stopped

        body, records, finite, stopped = await session.run(work)
        # The epochs the client has not been sent yet ride along; decided here on the event loop,
        # where the sender takes frames, so none is sent twice or lost with a replaced frame.
        self._tail.extend((seq, r) for r in records)
        while self._tail and self._tail[0][0] <= self._sent:
            self._tail.popleft()
        self.outbox.post(extend_json(body, {"new_epochs": _epochs([r for _, r in self._tail])}), seq)
        return "diverged" if not finite else ("early_stopping" if stopped else None)
