"""The two errors a client raises: the server refused (:class:`ClientError`), or it could
not be reached at all (:class:`ServerUnreachable`)."""
from __future__ import annotations


class ClientError(Exception):
    """The server refused: ``status`` (400, 404, 409, 413, 422, 429, ...) and ``detail``
    exactly as the server wrote it (a text naming the field and why). A 429 carries
    ``retry_after``, the seconds the server asked to wait (``None`` when it gave none). The
    one 5xx the server answers, 503 while its store is failing, comes the same way (with
    ``retry_after``). ``method`` and ``url`` say which request it was (``WS`` for the live
    socket, whose close codes 4xxx come as the HTTP status: 4404 as 404)."""

    def __init__(self, status: int, detail: object, method: str, url: str,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.detail = detail
        self.method = method
        self.url = url
        self.retry_after = retry_after
        wait = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"{status} from {method} {url}: {detail}{wait}")


class ServerUnreachable(ConnectionError):
    """No answer from the server at ``url``: it is not running, not listening there, or the
    network is in the way. The message names the URL and what went wrong."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach the MLP Playground server at {url}: {reason}")
