"""Schemathesis against ``/openapi.json``: every operation, generated requests
(bounded examples), never a 5xx. Half the requests address a real session
(the other half a random id), so the training, plot and export routes run too."""
from __future__ import annotations

import random

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from server.main import create_app
from server.settings import Settings

pytestmark = pytest.mark.slow  # a minute of fuzzing: in make test, not in the quick make check

# Small limits keep every generated request cheap (a fuzzer finds the maximum fast).
APP = create_app(Settings(max_sessions=50))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CLIENT = TestClient(APP)

EXAMPLES = 30
_sessions: list[str] = []


def _real_session() -> str:
    if not _sessions:
        r = CLIENT.post("/api/sessions", json={"dataset": {"name": "xor", "n_samples": 16}})
        assert r.status_code == 201, r.text
        _sessions.append(r.json()["id"])
    return _sessions[0]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx(case: schemathesis.Case) -> None:
    if "session_id" in (case.path_parameters or {}) and random.Random(str(case.body)).random() < 0.5:
        case.path_parameters["session_id"] = _real_session()
    if case.path_parameters and "name" in case.path_parameters and case.method == "POST":
        case.body = {"quick": True}  # a real lesson name would otherwise run its full experiment
    response = case.call_and_validate(checks=[not_a_server_error])
    if response.status_code == 404 and "session_id" in (case.path_parameters or {}):
        _sessions.clear()  # the real session was deleted: make another next time
