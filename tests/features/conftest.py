"""Fixtures for issue 8's API tests: an in-process client on a memory store."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import Settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


@pytest.fixture
def new_session(client: TestClient) -> Callable[..., dict[str, Any]]:
    def make(config: dict[str, Any] | None = None) -> dict[str, Any]:
        r = client.post("/api/sessions", json=config or {})
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def post(client: TestClient) -> Callable[..., Any]:
    """``post(path, body, status=200)`` -> the JSON answer, asserting the status."""

    def call(path: str, body: Any = None, status: int = 200) -> Any:
        r = client.post(path, json=body)
        assert r.status_code == status, r.text
        return r.json()

    return call
