"""Fixtures for issue 8's API tests (``client`` and ``new_session`` come from tests/conftest.py)."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def post(client: TestClient) -> Callable[..., Any]:
    """``post(path, body, status=200)`` -> the JSON answer, asserting the status."""

    def call(path: str, body: Any = None, status: int = 200) -> Any:
        r = client.post(path, json=body)
        assert r.status_code == status, r.text
        return r.json()

    return call
