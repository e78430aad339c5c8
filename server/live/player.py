"""The player: trains one session frame by frame while playing, pricing each change first."""
from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import deque
from typing import Any

import anyio
import orjson

from mlp_engine import EpochRecord

from .. import payloads
from ..bounds import budget
from ..deps import lookup
from ..serialize import respond
from ..sessions import Session, SessionNotFound
from ..store import SessionStore
from .hub import CLOSE_NOT_FOUND, LiveHub
from .messages import FrameOptions, FrameSettings, SetMessage
from .outbox import Outbox

THREAD_BYTES = 256 * 1024
"""A frame larger than this is turned into the socket's text in a worker thread, not on the loop."""
TAIL_MAX = 1024
"""Epoch records kept for a client that is behind; older ones are dropped (the history is in GET)."""


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
        self.active_at = time.monotonic()
        """When the client last did something: sent a message, or took a frame (the idle rule)."""

    async def session(self) -> Session:
        """The session, marked as used (a playing session never idles out); loaded in a
        thread when it is not in memory."""
        return await lookup(self.store, self.session_id)

    def sent(self, seq: int) -> None:
        """The sender took frame ``seq`` to send: its epochs need not ride along again."""
        self._sent = seq

    def active(self) -> None:
        """The client did something: a message came, or it took a frame."""
        self.active_at = time.monotonic()

    # -- the moves --------------------------------------------------------
    async def price(self, session: Session, options: FrameOptions) -> None:
        """Refuse ``options`` when a frame made with them would be over the request budget
        (a ``ValueError`` naming ``epochs_per_frame``, ``resolution`` or ``neurons``): its
        epochs, its boundary grid and its neuron pictures, priced as the REST calls are."""
        frame = dataclasses.replace(self.settings)
        frame.update(options)

        def check() -> None:
            budget.check_epochs(session.trainer, frame.epochs_per_frame, "epochs_per_frame")
            if frame.grid_every > 0 and payloads.plane_inputs(session) in (1, 2):
                payloads.check_boundary(session, frame.resolution, "resolution")
                if frame.neurons >= 2 and payloads.plane_inputs(session) == 2:
                    payloads.check_neurons(session, frame.neurons, "neurons")

        await session.run(check)

    async def play(self, options: FrameOptions) -> None:
        """Start (or retune) playing; a frame over the request budget is refused up front."""
        session = await self.session()
        await self.price(session, options)
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
        await self.price(session, message)
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
        # where the sender takes frames, so none is sent twice or lost with a replaced frame: the
        # unsent frame is withdrawn first (this one replaces it), so the sender cannot take it
        # while a large frame's text is made in a thread.
        self._tail.extend((seq, r) for r in records)
        self.outbox.withdraw_frame()
        while self._tail and self._tail[0][0] <= self._sent:
            self._tail.popleft()
        fields = {"new_epochs": _epochs([r for _, r in self._tail])}
        if len(body) > THREAD_BYTES:
            text = await anyio.to_thread.run_sync(extend_json, body, fields)
        else:
            text = extend_json(body, fields)
        self.outbox.post(text, seq)
        return "diverged" if not finite else ("early_stopping" if stopped else None)
