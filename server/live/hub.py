"""The live connections: how many are open and playing, per server and per client."""
from __future__ import annotations

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
    one more is accepted, told why, and closed with code 1013. A socket whose client neither
    sends a message nor takes a frame for ``idle_seconds`` is closed (1001), playing or not, so
    idle sockets free their slots."""

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
