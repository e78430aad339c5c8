"""``GET /api/sessions/{id}/code``: the download, its refusals, and the data the script rebuilds."""
from __future__ import annotations

import os

import pytest

from codegen_testkit import CASES
from codegen_testkit import run_script


def make(client, config):
    r = client.post("/api/sessions", json=config)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_script_is_a_python_download_named_after_dataset_and_framework(client):
    sid = make(client, {"dataset": {"name": "moons"}})
    for framework in ("numpy", "pytorch"):
        r = client.get(f"/api/sessions/{sid}/code", params={"framework": framework})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/x-python")
        assert r.headers["content-disposition"] == f'attachment; filename="mlp_moons_{framework}.py"'
        compile(r.text, "exported.py", "exec")  # valid Python
        assert "mlp_engine" not in r.text and "import server" not in r.text  # standalone
        assert "takes its next 1\nstep(s)" in r.text


@pytest.mark.parametrize("query, field", [
    ({"framework": "jax"}, "framework"), ({"steps": 0}, "steps"), ({"steps": 1001}, "steps"),
    ({"steps": "many"}, "steps")])
def test_bad_framework_or_steps_is_a_422_naming_the_field(client, query, field):
    sid = make(client, {})
    r = client.get(f"/api/sessions/{sid}/code", params=query)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"{field}: ")


def test_unknown_session_is_a_404(client):
    assert client.get("/api/sessions/nope/code").status_code == 404


def test_exporting_changes_nothing(client):
    sid = make(client, CASES["adam-l2-clip"])
    client.post(f"/api/sessions/{sid}/backward", json={"include": []})
    before = client.get(f"/api/sessions/{sid}/export").json()["state"]
    assert client.get(f"/api/sessions/{sid}/code", params={"steps": 5}).status_code == 200
    assert client.get(f"/api/sessions/{sid}/export").json()["state"] == before


@pytest.mark.parametrize("name", ["xor", "circles", "gaussians", "spiral", "moons", "sine", "plane",
                                  "digits", "diabetes", "california_housing", "mnist_subset"])
def test_every_named_dataset_is_rebuilt_bit_for_bit(client, tmp_path, name):
    # The script hashes the training arrays it rebuilds and stops unless they are the
    # session's bytes; a run that prints its JSON line rebuilt them exactly.
    config = {"dataset": {"name": name, "test_fraction": 0.25}}
    if name == "mnist_subset":
        config["dataset"]["n_samples"] = 1500  # a seeded subsample: the subsampling is rebuilt too
        config["model"] = {"layers": [784, 4, 10]}
    sid = make(client, config)
    source = client.get(f"/api/sessions/{sid}/code").text
    done = run_script(source, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith('{"loss": [')


def test_the_data_check_can_fail(client, tmp_path):
    sid = make(client, {"dataset": {"name": "xor"}})
    source = client.get(f"/api/sessions/{sid}/code").text
    done = run_script(source.replace("make_data(rng_data, 200, 0.1)", "make_data(rng_data, 200, 0.2)"), tmp_path)
    assert done.returncode != 0
    assert "the rebuilt training data differs from the session's: the server built it with NumPy" in done.stderr


def test_missing_real_data_says_where_to_get_it(client, tmp_path):
    sid = make(client, {"dataset": {"name": "mnist_subset", "n_samples": 500}, "model": {"layers": [784, 2, 10]}})
    source = client.get(f"/api/sessions/{sid}/code").text
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_script(source, tmp_path, env={**os.environ, "MLP_PLAYGROUND_DATA": str(empty)})
    assert done.returncode != 0
    assert f"mnist_subset needs t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz in {empty}" in done.stderr


def test_an_option_the_export_does_not_know_is_refused_by_name():
    # An option the engine gains later is refused by name rather than silently left out.
    from mlp_engine import make_trainer
    from server.codegen import generate
    from server.sessions import complete_config

    trainer = make_trainer({"dataset": {"name": "xor"}})
    config = complete_config(trainer)
    config["model"]["weight_norm"] = True
    with pytest.raises(ValueError, match=r"^model\.weight_norm: the code export does not reproduce"):
        generate(trainer, config, "numpy")


@pytest.mark.parametrize("framework", ["numpy", "pytorch"])
@pytest.mark.parametrize("key, value", [("batch_norm", True), ("dropout", 0.2), ("residual", True)])
def test_every_remedy_is_exported_in_both_frameworks(client, key, value, framework):
    r = client.post("/api/sessions", json={"dataset": {"name": "xor"}, "model": {"layers": [2, 4, 4, 1], key: value}})
    assert r.status_code == 201, r.text
    r = client.get(f"/api/sessions/{r.json()['id']}/code", params={"framework": framework})
    assert r.status_code == 200, r.text
    written = {"batch_norm": "def batch_norm(", "dropout": "def draw_masks(m):", "residual": "SKIP = [False, True]"}
    assert written[key] in r.text


def test_batch_norm_off_and_dropout_0_are_exported_as_the_plain_network():
    from mlp_engine import make_trainer
    from server.codegen import generate
    from server.sessions import complete_config

    trainer = make_trainer({"dataset": {"name": "xor"}, "model": {"batch_norm": False, "dropout": 0.0}})
    _, source = generate(trainer, complete_config(trainer), "numpy")
    assert "def backward(X, y, cache):" in source
    assert "batch_norm(" not in source and "masks" not in source and "SKIP" not in source
