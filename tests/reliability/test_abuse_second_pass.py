"""Holding under abuse, the second pass: each attack of that pass, sent as the attacker did,
now gets the answer its goal says (the view endpoints and live frames priced, a linear body
check off the loop, honest store failures, no cached answers). In process; every verdict is
an answer, an event or a count, never a time."""
from __future__ import annotations

import asyncio
import logging
import random
import shutil
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

import launch
from server.bounds import body as body_guard
from server.main import create_app
from server.settings import Limits, Settings

XOR = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 1]}}


def _client(settings: Settings | None = None, **kwargs: Any) -> TestClient:
    return TestClient(create_app(settings or Settings()), **kwargs)


@pytest.fixture
def api() -> Iterator[TestClient]:
    with _client() as c:
        yield c


# -- 1. the body check: one linear pass, off the loop -------------------------------
def _reference_depth(body: bytes) -> int | None:
    """A byte-by-byte reading of JSON's strings and brackets; ``None`` for a backslash outside
    a string (not JSON: nothing to compare)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in body:
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x5C:
            return None
        elif c == 0x22:
            in_string = True
        elif c in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in b"]}":
            depth -= 1
    return deepest


def test_the_body_depth_reads_strings_as_a_parser_does_whatever_the_pieces():
    # Unterminated runs of escaped quotes (the attack) with brackets after them, which are
    # inside that string; and random bodies of backslashes, quotes and brackets, measured in
    # pieces of 1, 2, 3 and 7 bytes, so that every escape and string crosses a piece's end.
    rng = random.Random(22)
    bodies = [b'"' + b'\\"' * 500 + b"[[[[", b"[" * 40 + b'"' + b'\\"' * 9 + b"[[[", b'["\\\\"]', b'"\\\\\\"[" [[]]']
    bodies += [bytes(rng.choice(b'\\"[]{}x') for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    compared = 0
    for body in bodies:
        expected = _reference_depth(body)
        if expected is None:
            continue
        compared += 1
        assert body_guard.json_depth(body) == expected, body
        for piece in (1, 2, 3, 7):
            assert body_guard.json_depth(body, piece) == expected, (body, piece)
    assert compared > 1000


def test_a_large_body_is_measured_off_the_event_loop(api, monkeypatch):
    measured: list[str] = []
    real = body_guard.json_depth

    def recording(body: bytes, *args: Any) -> int:
        try:
            asyncio.get_running_loop()
            measured.append("loop")
        except RuntimeError:
            measured.append("thread")
        return real(body, *args)

    monkeypatch.setattr(body_guard, "json_depth", recording)
    attack = b'"' + b'\\"' * (body_guard.INLINE_BYTES // 2 + 1000)  # unterminated escaped quotes
    r = api.post("/api/sessions", content=attack, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("body: invalid JSON"), r.text
    assert measured == ["thread"]


# -- 5. gradcheck masks ------------------------------------------------------------
@pytest.mark.parametrize("masks", [
    [[[1] * 8], [[1] * 8]],  # one row for two checked rows (the attack)
    [[[1] * 8, [1]], [[1] * 8, [1] * 8]],  # ragged
], ids=["too few rows", "ragged"])
def test_gradcheck_masks_of_the_wrong_shape_are_a_422_naming_the_mask(api, masks):
    sid = api.post("/api/sessions", json={"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1]}}).json()["id"]
    r = api.post(f"/api/sessions/{sid}/gradcheck", json={"indices": [0, 1], "masks": masks})
    assert r.status_code == 422 and r.json()["detail"].startswith("masks[0]: "), r.text


def test_gradcheck_masks_of_the_right_shape_still_check(api):
    config = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1], "dropout": 0.5}}
    sid = api.post("/api/sessions", json=config).json()["id"]
    masks = [[[1, 0] * 4, [0, 1] * 4], [[1] * 8, [0] * 4 + [1] * 4]]
    r = api.post(f"/api/sessions/{sid}/gradcheck", json={"indices": [0, 1], "masks": masks})
    assert r.status_code == 200 and r.json()["passed"] and r.json()["indices"] == [0, 1], r.text


# -- 7. the store's folder deleted while serving ---------------------------------------
def test_a_store_deleted_while_serving_is_a_failing_store_said_once_in_the_log(tmp_path, caplog):
    folder = tmp_path / "store"
    caplog.set_level(logging.INFO, logger="mlp_playground.sessions")
    with _client(Settings(store=str(folder / "s.sqlite3"))) as c:
        store = c.app.state.store
        sid = c.post("/api/sessions", json=XOR).json()["id"]
        assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1}).status_code == 200
        checks = [0]
        inner_check = store.backend.inner.check

        def counted() -> None:
            checks[0] += 1
            inner_check()

        store.backend.inner.check = counted  # type: ignore[method-assign]
        shutil.rmtree(folder)
        r = c.post(f"/api/sessions/{sid}/epochs", json={"count": 1})
        assert r.status_code == 503 and "deleted" in r.json()["detail"], r.text
        r = c.post("/api/sessions", json=XOR)
        assert r.status_code == 503 and r.json()["detail"].startswith("store:"), r.text
        health = c.get("/api/health")
        assert health.status_code == 503 and "deleted" in health.json()["store"], health.text
        # The saver looks again and again (and fails each time): one line says so, no traceback.
        launch.wait_until(lambda: checks[0] >= 3, "the saver looks at the store three times")
        lines = [r for r in caplog.records if r.name == "mlp_playground.sessions" and "saver" in r.getMessage()]
        assert len(lines) == 1 and "deleted" in lines[0].getMessage() and lines[0].exc_info is None, \
            [r.getMessage() for r in lines]


def test_a_store_that_went_away_with_no_request_is_seen_by_health(tmp_path):
    folder = tmp_path / "store"
    with _client(Settings(store=str(folder / "s.sqlite3"))) as c:
        assert c.post("/api/sessions", json=XOR).status_code == 201
        shutil.rmtree(folder)
        launch.wait_until(lambda: c.get("/api/health").status_code == 503, "health reports the store failing")
        assert "deleted" in c.get("/api/health").json()["store"]


# -- 9. no cached answers ---------------------------------------------------------
def test_every_api_answer_says_no_store_and_the_page_keeps_its_caching(api):
    sid = api.post("/api/sessions", json=XOR).json()["id"]
    answers = {
        "state": api.get(f"/api/sessions/{sid}"),
        "export": api.get(f"/api/sessions/{sid}/export"),
        "code": api.get(f"/api/sessions/{sid}/code"),
        "report": api.get(f"/api/sessions/{sid}/report"),
        "health": api.get("/api/health"),
        "a 404": api.get("/api/sessions/nothing-here"),
        "a 422": api.post(f"/api/sessions/{sid}/epochs", json={"count": 0}),
        "a 413": api.post("/api/sessions", content=b" " * (Settings().max_body_bytes + 1),
                          headers={"content-type": "application/json"}),
    }
    for name, r in answers.items():
        assert r.headers.get("cache-control") == "no-store", (name, r.status_code, r.headers)
    assert "no-store" not in api.get("/").headers.get("cache-control", "")


# -- 10. smaller ------------------------------------------------------------------
@pytest.mark.parametrize("path,template,field", [
    ("/api/sessions/{sid}/epochs", b'{"count": %s}', "count"),
    ("/api/sessions", b'{"model": {"layers": [2, %s, 1]}}', "model.layers[1]"),
])
def test_an_integer_of_5000_digits_is_a_422_naming_its_field(api, path, template, field):
    sid = api.post("/api/sessions", json=XOR).json()["id"]
    body = template % (b"7" * 5000)
    r = api.post(path.format(sid=sid), content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith(f"{field}: an integer of 5000 digits"), r.text


def test_a_csv_larger_than_a_session_takes_is_refused_at_upload_naming_the_bound():
    rows = "\n".join(f"{i},{i * 2},{i % 3},{i % 2}" for i in range(30))  # 30 rows of 4 values
    with _client(Settings(limits=Limits(max_inline_values=100))) as c:
        r = c.post("/api/datasets/csv", json={"csv": "a,b,c,y\n" + rows})
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("csv: the table holds 120 values") and \
            "MAX_INLINE_VALUES" in r.json()["detail"]
        assert c.post("/api/datasets/csv", json={"csv": "a,b,c,y\n" + rows[:40]}).status_code == 200
