"""Malformed and hostile requests: each gets the right 4xx with a ``detail`` naming
the field, the server keeps answering, and no other session changes."""
from __future__ import annotations

import json
from typing import Any

import pytest

from mutate import field_paths, with_value

INLINE = {"name": "inline", "X": [[0.0, 1.0], [1.0, 0.0]], "y": [[1.0], [0.0]]}


def session(**parts: Any) -> dict[str, Any]:
    return {"body": parts}


# (name, method, path, request kwargs, status, text the detail must contain)
CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("layers not a list", "POST", "/api/sessions", session(model={"layers": "abc"}), 422, "model.layers"),
    ("layer size a string", "POST", "/api/sessions", session(model={"layers": [2, "wide", 1]}), 422,
     "model.layers[1]"),
    ("negative layer size", "POST", "/api/sessions", session(model={"layers": [2, -3, 1]}), 422, "model.layers[1]"),
    ("huge width", "POST", "/api/sessions", session(model={"layers": [2, 10**6, 1]}), 422, "model.layers[1]"),
    ("too deep", "POST", "/api/sessions", session(model={"layers": [2] + [4] * 40 + [1]}), 422, "model.layers"),
    ("too many parameters", "POST", "/api/sessions",
     session(model={"layers": [784, 1024, 1024, 1024, 10]}, dataset={"name": "mnist_subset"}), 422, "model.layers"),
    ("layers disagree with the data", "POST", "/api/sessions", session(model={"layers": [3, 4, 1]}), 422,
     "model.layers"),
    ("negative learning rate", "POST", "/api/sessions", session(optimizer={"learning_rate": -0.1}), 422,
     "optimizer.learning_rate"),
    ("zero learning rate", "POST", "/api/sessions", session(optimizer={"learning_rate": 0}), 422,
     "optimizer.learning_rate"),
    ("learning rate a string", "POST", "/api/sessions", session(optimizer={"learning_rate": "fast"}), 422,
     "optimizer.learning_rate"),
    ("learning rate infinite", "POST", "/api/sessions",
     {"content": b'{"optimizer": {"learning_rate": Infinity}}'}, 422, "optimizer.learning_rate"),
    ("zero batch size", "POST", "/api/sessions", session(optimizer={"batch_size": 0}), 422, "optimizer.batch_size"),
    ("huge batch size", "POST", "/api/sessions", session(optimizer={"batch_size": 10**12}), 422,
     "optimizer.batch_size"),
    ("momentum of 1.5", "POST", "/api/sessions", session(optimizer={"momentum": 1.5}), 422, "optimizer.momentum"),
    ("negative n_samples", "POST", "/api/sessions", session(dataset={"name": "xor", "n_samples": -5}), 422,
     "dataset.n_samples"),
    ("huge n_samples", "POST", "/api/sessions", session(dataset={"name": "xor", "n_samples": 10**9}), 422,
     "dataset.n_samples"),
    ("too few samples for the dataset", "POST", "/api/sessions", session(dataset={"name": "xor", "n_samples": 2}),
     422, "dataset.n_samples"),
    ("test_fraction of 1", "POST", "/api/sessions", session(dataset={"name": "xor", "test_fraction": 1.0}), 422,
     "dataset.test_fraction"),
    ("negative seed", "POST", "/api/sessions", session(seed=-1), 422, "seed"),
    ("NaN in inline X", "POST", "/api/sessions",
     {"content": b'{"dataset": {"name": "inline", "X": [[1, NaN]], "y": [[1]]}}'}, 422, "dataset.X[0][1]"),
    ("infinity in inline y", "POST", "/api/sessions",
     {"content": b'{"dataset": {"name": "inline", "X": [[1, 2]], "y": [[-Infinity]]}}'}, 422, "dataset.y[0][0]"),
    ("X and y lengths differ", "POST", "/api/sessions",
     session(dataset={**INLINE, "y": [[1.0], [0.0], [1.0]]}), 422, "dataset.y"),
    ("ragged inline X", "POST", "/api/sessions", session(dataset={**INLINE, "X": [[0.0, 1.0], [1.0]]}), 422,
     "dataset.X"),
    ("inline without y", "POST", "/api/sessions", session(dataset={"name": "inline", "X": [[1.0]]}), 422, "dataset"),
    ("X for a toy dataset", "POST", "/api/sessions", session(dataset={"name": "xor", "X": [[1.0, 2.0]]}), 422,
     "dataset.X"),
    ("too many inline rows", "POST", "/api/sessions",
     session(dataset={"name": "inline", "X": [[0.0]] * 100_001, "y": [[0.0]] * 100_001}), 422, "dataset.X"),
    ("wrong weight shapes", "POST", "/api/sessions",
     session(dataset=INLINE, model={"layers": [2, 2, 1], "weights": [[[1.0, 2.0, 3.0]] * 2, [[1.0, 1.0]]]}), 422,
     "model.weights[0]"),
    ("too few weight matrices", "POST", "/api/sessions",
     session(dataset=INLINE, model={"layers": [2, 2, 1], "weights": [[[1.0, 2.0]] * 2]}), 422, "model.weights"),
    ("unknown activation", "POST", "/api/sessions", session(model={"activation": "swish"}), 422, "model.activation"),
    ("unknown output activation", "POST", "/api/sessions", session(model={"output_activation": "relu"}), 422,
     "model.output_activation"),
    ("unknown loss", "POST", "/api/sessions", session(model={"loss": "hinge"}), 422, "model.loss"),
    ("loss that does not pair", "POST", "/api/sessions", session(model={"output_activation": "softmax", "loss": "mse"}),
     422, "loss"),
    ("unknown init", "POST", "/api/sessions", session(model={"init": "orthogonal"}), 422, "model.init"),
    ("unknown dataset", "POST", "/api/sessions", session(dataset={"name": "imagenet"}), 422, "dataset.name"),
    ("unknown optimizer", "POST", "/api/sessions", session(optimizer={"name": "lbfgs"}), 422, "optimizer.name"),
    ("misspelt field", "POST", "/api/sessions", session(optimizer={"learnin_rate": 0.1}), 422,
     "optimizer.learnin_rate"),
    ("body is a list", "POST", "/api/sessions", {"json": [1, 2, 3]}, 422, "body"),
    ("body is not JSON", "POST", "/api/sessions", {"content": b'{"model": {'},
     422, "JSON"),
    ("20 MB body", "POST", "/api/sessions", {"content": b'{"seed": 1, "pad": "' + b"x" * 20_000_000 + b'"}'}, 413,
     "body"),
    ("10,000 levels of nesting", "POST", "/api/sessions", {"content": b"[" * 10_000 + b"]" * 10_000}, 422, "body"),
    ("nesting inside a field", "POST", "/api/sessions/{sid}/predict",
     {"content": b'{"X": ' + b"[" * 5000 + b"]" * 5000 + b"}"}, 422, "body"),
    ("unknown session", "GET", "/api/sessions/nope", {}, 404, "session"),
    ("step on an unknown session", "POST", "/api/sessions/nope/backward", {"json": {}}, 404, "session"),
    ("index out of range", "POST", "/api/sessions/{sid}/backward", {"json": {"indices": [0, 160]}}, 422, "indices"),
    ("negative index", "POST", "/api/sessions/{sid}/backward", {"json": {"indices": [-1]}}, 422, "indices[0]"),
    ("empty indices", "POST", "/api/sessions/{sid}/backward", {"json": {"indices": []}}, 422, "indices"),
    ("unknown trace part", "POST", "/api/sessions/{sid}/backward", {"json": {"include": ["weights"]}}, 422,
     "include[0]"),
    ("negative max_elements", "POST", "/api/sessions/{sid}/backward", {"json": {"max_elements": -1}}, 422,
     "max_elements"),
    ("zero epochs", "POST", "/api/sessions/{sid}/epochs", {"json": {"count": 0}}, 422, "count"),
    ("a million epochs", "POST", "/api/sessions/{sid}/epochs", {"json": {"count": 10**6}}, 422, "count"),
    ("epochs count a float", "POST", "/api/sessions/{sid}/epochs", {"json": {"count": 2.5}}, 422, "count"),
    ("gradcheck eps of 0", "POST", "/api/sessions/{sid}/gradcheck", {"json": {"eps": 0}}, 422, "eps"),
    ("gradcheck on a big model", "POST", "/api/sessions/{big}/gradcheck", {"json": {}}, 422, "model.layers"),
    ("predict with the wrong width", "POST", "/api/sessions/{sid}/predict", {"json": {"X": [[1.0, 2.0, 3.0]]}}, 422,
     "X"),
    ("predict with ragged rows", "POST", "/api/sessions/{sid}/predict", {"json": {"X": [[1.0, 2.0], [1.0]]}}, 422,
     "X"),
    ("predict without X", "POST", "/api/sessions/{sid}/predict", {"json": {}}, 422, "X"),
    ("predict with NaN", "POST", "/api/sessions/{sid}/predict", {"content": b'{"X": [[NaN, 1]]}'}, 422, "X[0][0]"),
    ("boundary resolution too big", "GET", "/api/sessions/{sid}/boundary", {"params": {"resolution": 5000}}, 422,
     "resolution"),
    ("boundary resolution not a number", "GET", "/api/sessions/{sid}/boundary", {"params": {"resolution": "max"}},
     422, "resolution"),
    ("boundary of an 8-feature dataset", "GET", "/api/sessions/{big}/boundary", {}, 422, "resolution"),
    ("unknown split", "GET", "/api/sessions/{sid}/outputs", {"params": {"split": "validation"}}, 422, "split"),
    ("zero max_points", "GET", "/api/sessions/{sid}/data", {"params": {"max_points": 0}}, 422, "max_points"),
    ("unknown include in a query", "GET", "/api/sessions/{sid}", {"params": {"include": "secrets"}}, 422, "include"),
    ("import of garbage", "POST", "/api/sessions/import", {"json": {"hello": "world"}}, 422, "format"),
    ("import of a wrong version", "POST", "/api/sessions/import", {"export": {"state.version": 7}}, 422,
     "state.version"),
    ("import with wrong param shapes", "POST", "/api/sessions/import",
     {"export": {"state.params.W.0": {"__array__": "<f8", "shape": [1, 1], "data": [1.0]}}}, 422, "model.weights[0]"),
    ("import with a short optimizer state", "POST", "/api/sessions/import",
     {"export": {"state.optimizer.m": {"__array__": "<f8", "shape": [2], "data": [0.0, 0.0]}}}, 422,
     "state.optimizer.m"),
    ("import with an order that is no permutation", "POST", "/api/sessions/import",
     {"export": {"state.order": {"__array__": "<i8", "shape": [3], "data": [0, 0, 0]}}}, 422, "state.order"),
    ("import with data not matching shape", "POST", "/api/sessions/import",
     {"export": {"state.params.b.0": {"__array__": "<f8", "shape": [8], "data": [1.0]}}}, 422, "state.params.b[0]"),
    ("import with a bad rng", "POST", "/api/sessions/import",
     {"export": {"state.rng.bit_generator": "MT19937"}}, 422, "state.rng.bit_generator"),
    ("import beyond the limits", "POST", "/api/sessions/import",
     {"export": {"state.config.optimizer.batch_size": 10**9}}, 422, "state.config.optimizer.batch_size"),
]


def _patched_export(client, sid: str, edits: dict[str, Any]) -> bytes:
    doc = client.get(f"/api/sessions/{sid}/export").json()
    for dotted, value in edits.items():
        *path, last = dotted.split(".")
        node = doc
        for key in path:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return json.dumps(doc).encode()


@pytest.fixture
def targets(client, new_session) -> dict[str, str]:
    sid = new_session({"optimizer": {"name": "adam"}})["id"]
    client.post(f"/api/sessions/{sid}/backward")  # Adam state and an epoch order exist
    big = new_session({"dataset": {"name": "california_housing", "n_samples": 500},
                       "model": {"layers": [8, 100, 50, 1]}})["id"]
    return {"sid": sid, "big": big}


def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name,method,path,kwargs,status,field", CASES, ids=[c[0] for c in CASES])
def test_hostile_request(client, targets, name, method, path, kwargs, status, field):
    before = {k: client.get(f"/api/sessions/{sid}").json() for k, sid in targets.items()}
    kwargs = dict(kwargs)
    if "body" in kwargs:
        kwargs["json"] = kwargs.pop("body")
    if "export" in kwargs:
        kwargs["content"] = _patched_export(client, targets["sid"], kwargs.pop("export"))
    if "content" in kwargs:
        kwargs["headers"] = {"content-type": "application/json"}
    r = client.request(method, path.format(**targets), **kwargs)
    assert r.status_code == status, r.text[:500]
    detail = r.json()["detail"]
    assert isinstance(detail, str) and field in detail, detail
    assert client.get("/api/health").json()["status"] == "ok"
    after = {k: client.get(f"/api/sessions/{sid}").json() for k, sid in targets.items()}
    assert after == before  # a refused request changes no session


def test_a_huge_learning_rate_is_accepted_and_reported(client, new_session):
    s = new_session({"dataset": {"name": "plane"}, "optimizer": {"learning_rate": 1e6}})
    r = client.post(f"/api/sessions/{s['id']}/epochs", json={"count": 10})
    assert r.status_code == 200 and r.json()["finite"] is False


MUTATIONS = [None, -1, 0, 1, 2**70, -(2**70), 1.5, "x", "NaN", [], {}, [1], {"__int__": "-5"},
             {"__int__": "9" * 50}, True, 1e308, {"__array__": "<f8", "shape": [1], "data": [1]}]


def test_no_mutation_of_an_export_gets_a_5xx():
    """Every field of an export set to hostile values (four per field, cycling
    through the list): 422 or 201, never 5xx."""
    from fastapi.testclient import TestClient

    from server.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        sid = c.post("/api/sessions", json={"optimizer": {"name": "adam"},
                                            "dataset": {"name": "xor", "n_samples": 40}}).json()["id"]
        c.post(f"/api/sessions/{sid}/backward")
        doc = c.get(f"/api/sessions/{sid}/export").json()
        statuses = set()
        for n, path in enumerate(field_paths(doc, [], per_list=3)[1:]):
            for value in (MUTATIONS[(4 * n + j) % len(MUTATIONS)] for j in range(4)):
                r = c.post("/api/sessions/import", json=with_value(doc, path, value))
                assert r.status_code < 500, (path, value, r.text[:300])
                statuses.add(r.status_code)
        assert statuses == {201, 422}
