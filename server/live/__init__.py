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
is posted to an :class:`~.outbox.Outbox` that holds at most one unsent frame: a new
one replaces it (the newest state wins), so a client that reads slowly, or
not at all, never grows a queue; the epochs it missed ride along in the next
frame's ``new_epochs`` (up to :data:`~.player.TAIL_MAX` of them), so its loss chart
stays complete. A pause is seen before the next frame starts, a disconnect
cancels the player; a frame under way stops at its next batch, for a pause as for a
disconnect, so neither waits for a long frame. A frame is priced like ``POST .../epochs``
(``epochs_per_frame`` over the request budget is refused with an ``error``). A socket that
neither sends a message nor takes a frame for ``MLP_PLAYGROUND_LIVE_IDLE_SECONDS`` is closed
(1001), playing or not (a playing socket sends at least one frame a second, ``fps`` >= 1).
``resolution`` and ``neurons`` are priced like the epochs (their grids' forward passes and
the pictures' size), an ``error`` naming the field when over the budget.

The rooms: :mod:`.hub` counts the connections; :mod:`.messages` parses the client's
messages and keeps the frame options; :mod:`.outbox` queues the answers and the newest
frame; :mod:`.player` trains frame by frame. The socket itself is :mod:`server.routes.live`.
"""
