"""Every 4xx the server answers becomes ClientError with the server's status and detail
(and retry_after for a 429); no server at all is ServerUnreachable naming the URL."""
from __future__ import annotations

import socket
from typing import Iterator

import pytest

from mlp_playground import Client, ClientError, ServerUnreachable


@pytest.fixture(scope="module")
def strict() -> Iterator[Client]:
    """An embedded server with small limits, every client limited (loopback too)."""
    with Client.local(max_body_bytes=4096, unlimited_clients="", max_sessions_per_client=1) as client:
        yield client


def refused(call) -> ClientError:
    with pytest.raises(ClientError) as err:
        call()
    return err.value


def test_400_for_a_host_the_server_does_not_answer(local: Client) -> None:
    local.transport.http.headers["host"] = "rebinding.example"
    try:
        e = refused(local.health)
    finally:
        del local.transport.http.headers["host"]
    assert e.status == 400 and "rebinding.example" in str(e.detail)


def test_404_unknown_session(local: Client) -> None:
    e = refused(lambda: local.open("no-such-session"))
    assert e.status == 404 and "no-such-session" in e.detail
    assert e.method == "GET" and e.url == f"{local.url}api/sessions/no-such-session"
    assert e.retry_after is None


def test_409_nothing_to_undo(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 40})
    e = refused(s.undo)
    assert e.status == 409 and e.detail == "undo: nothing to undo"


def test_422_names_the_field(local: Client) -> None:
    e = refused(lambda: local.session(model={"activation": "nope"}))
    assert e.status == 422 and "model.activation" in str(e.detail)
    s = local.session(dataset={"name": "xor", "n_samples": 40})
    e = refused(lambda: s.set_param(0, "W", (99, 0), 1.0))
    assert e.status == 422 and "index" in str(e.detail)
    e = refused(lambda: s.code(steps=0))
    assert e.status == 422 and "steps" in str(e.detail)
    e = refused(lambda: s.epochs(0))
    assert e.status == 422 and "count" in str(e.detail)


def test_413_body_too_large(strict: Client) -> None:
    s = strict.session(dataset={"name": "xor", "n_samples": 40})
    e = refused(lambda: s.predict([[0.5, 0.5]] * 1000))
    assert e.status == 413 and "4096 bytes" in e.detail
    s.delete()


def test_429_carries_retry_after(strict: Client) -> None:
    s = strict.session(dataset={"name": "xor", "n_samples": 40})
    e = refused(lambda: strict.session(dataset={"name": "xor", "n_samples": 40}))
    assert e.status == 429 and e.retry_after == 60 and "sessions" in e.detail
    assert "retry after 60 s" in str(e)
    s.delete()


def test_no_server_names_the_url() -> None:
    with socket.socket() as sock:  # a port nobody listens on once this closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with Client(url) as client:
        with pytest.raises(ServerUnreachable) as err:
            client.session()
    assert err.value.url == url and url in str(err.value)
    assert isinstance(err.value, ConnectionError)


def test_play_on_a_deleted_session_is_a_404(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 40})
    s.delete()
    e = refused(lambda: next(s.play()))
    assert e.status == 404 and e.method == "WS" and e.url.endswith(f"/api/sessions/{s.id}/live")
