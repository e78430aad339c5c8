"""Fixtures for the code-export tests: export a session's script, run it in a subprocess with
the project's interpreter, and take the same steps through ``POST .../backward``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from fastapi.testclient import TestClient

from mlp_engine.state import decode

from codegen_testkit import run_script

TRACE = {"include": ["backward", "params"], "max_elements": 1_000_000}


@dataclass
class Run:
    """A script's JSON line (``got``), the session's own next steps (``want``) and the script."""

    got: dict[str, Any]
    want: dict[str, Any]
    source: str


def session_steps(client: TestClient, sid: str, steps: int, eval_X: list | None = None) -> dict[str, Any]:
    """The session's next ``steps`` steps: every loss, the last dW/db, the parameters after; with
    batch norm also gamma, beta and the running estimates after (from ``GET .../export``) and the
    session's own ``POST .../predict`` (evaluation mode) of ``eval_X``."""
    losses = []
    for _ in range(steps):
        r = client.post(f"/api/sessions/{sid}/backward", json=TRACE)
        assert r.status_code == 200, r.text
        trace = r.json()
        losses.append(trace["loss"])
    want = {"loss": losses, "dW": [b["dW"] for b in trace["backward"]], "db": [b["db"] for b in trace["backward"]],
            "params": trace["params"]}
    state = decode(client.get(f"/api/sessions/{sid}/export").json()["state"])
    if "running" in state:
        want["gamma"] = [g.tolist() for g in state["params"]["gamma"]]
        want["beta"] = [g.tolist() for g in state["params"]["beta"]]
        want["running"] = {key: [r.tolist() for r in state["running"][key]] for key in ("mean", "var")}
        assert eval_X is not None, "a batch-norm script answers its evaluation-mode outputs"
        r = client.post(f"/api/sessions/{sid}/predict", json={"X": eval_X})
        assert r.status_code == 200, r.text
        want["eval"] = {"X": eval_X, "yhat": r.json()["y"]}
    return want


@pytest.fixture
def export_and_run(client: TestClient, tmp_path: Path) -> Callable[..., Run]:
    """``export_and_run(config, steps, framework, before=0, epochs=0)``: a session of ``config``
    that has trained ``epochs`` whole epochs and then ``before`` steps, exported for ``steps``
    steps, the script run, then the session stepped."""

    def go(config: dict[str, Any], steps: int, framework: str = "numpy", before: int = 0, epochs: int = 0) -> Run:
        r = client.post("/api/sessions", json=config)
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        if epochs:
            assert client.post(f"/api/sessions/{sid}/epochs", json={"count": epochs}).status_code == 200
        for _ in range(before):
            assert client.post(f"/api/sessions/{sid}/backward", json={"include": []}).status_code == 200
        r = client.get(f"/api/sessions/{sid}/code", params={"framework": framework, "steps": steps})
        assert r.status_code == 200, r.text
        done = run_script(r.text, tmp_path)
        assert done.returncode == 0, done.stderr[-4000:]
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1, done.stdout[-2000:]
        got = json.loads(lines[0])
        return Run(got, session_steps(client, sid, steps, (got.get("eval") or {}).get("X")), r.text)

    return go


@pytest.fixture
def run_edited(tmp_path: Path) -> Callable[[str, str, str], dict[str, Any]]:
    """``run_edited(source, old, new)``: the script with its one ``old`` replaced by ``new``, run;
    its JSON line (the edit must leave a script that runs)."""

    def go(source: str, old: str, new: str) -> dict[str, Any]:
        assert source.count(old) == 1, f"the script should hold {old!r} once"
        done = run_script(source.replace(old, new), tmp_path)
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return go
