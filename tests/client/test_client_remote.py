"""Client(url) against a standalone server (``python -m server``, a child process), and what
show() displays there and on the embedded server."""
from __future__ import annotations

import re
from typing import Any, Iterator

import IPython.display
import numpy as np
import pytest

import launch
from mlp_playground import Client

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="module")
def remote() -> Iterator[Client]:
    with launch.running() as url:
        with Client(url) as client:
            yield client


@pytest.fixture
def displayed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTML that IPython's display() was given."""
    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    return shown


def test_a_running_server_by_url(remote: Client, worked: dict[str, Any]) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", remote.url) and "remote" in repr(remote)
    s = remote.session(worked)
    t = s.step()
    np.testing.assert_allclose(t.delta[1], [[-0.09]], rtol=0, atol=1e-12)
    assert remote.open(s.id).step_count == 1


def test_show_on_a_standalone_server_gives_the_link(remote: Client, displayed: list[str]) -> None:
    s = remote.session(dataset={"name": "xor", "n_samples": 40})
    s.show()
    assert len(displayed) == 1 and "<iframe" not in displayed[0]
    assert f'href="{s.url}"' in displayed[0] and "frame" in displayed[0]


def test_show_on_the_embedded_server_frames_the_page(local: Client, displayed: list[str]) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 40})
    s.show(height=500)
    assert len(displayed) == 1
    assert f'<iframe src="{s.url}" width="100%" height="500"' in displayed[0]
    headers = local.transport.headers("")
    assert "x-frame-options" not in headers
    assert "frame-ancestors 'self' http://localhost:*" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]  # the rest of the policy stands
