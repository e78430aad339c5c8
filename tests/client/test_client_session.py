"""Every Session method against a real server (the embedded one, over HTTP): the worked
example to 1e-12, arrays of the right dtype and shape, and the round trips."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mlp_playground import Client, Gradcheck, History, Params, Session, Trace

XOR = {"dataset": {"name": "xor", "n_samples": 100}, "model": {"layers": [2, 6, 5, 1]},
       "optimizer": {"batch_size": 16}}


def assert_float64(arrays: list[np.ndarray], shapes: list[tuple[int, ...]]) -> None:
    assert [a.shape for a in arrays] == shapes
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in arrays)


def test_worked_example_through_client_local(local: Client, worked: dict) -> None:
    s = local.session(worked)
    t = s.step()
    assert isinstance(t, Trace) and t.step == 1 and t.applied and t.finite
    expected = {
        "z": [[[0.5, 1.1]], [[0.91]]], "a": [[[0.5, 1.1]], [[0.91]]],
        "delta": [[[-0.045, -0.054]], [[-0.09]]],
        "dW": [[[-0.045, -0.09], [-0.054, -0.108]], [[-0.045, -0.099]]],
        "db": [[-0.045, -0.054], [-0.09]],
    }
    for name, layers in expected.items():
        for l, want in enumerate(layers):
            np.testing.assert_allclose(getattr(t, name)[l], want, rtol=0, atol=1e-12, err_msg=f"{name}[{l}]")
    assert abs(t.loss - 0.00405) < 1e-12
    np.testing.assert_allclose(t.X, [[1.0, 2.0]], atol=0)
    np.testing.assert_allclose(t.grad_norm, [np.hypot(0.045, np.hypot(0.09, np.hypot(0.054, 0.108))),
                                             np.hypot(0.045, 0.099)], atol=1e-12)
    # params after the update: W - 0.1 dW
    np.testing.assert_allclose(t.params.W[1], [[0.5045, 0.6099]], atol=1e-12)
    np.testing.assert_allclose(s.params.W[0], np.array([[0.1, 0.2], [0.3, 0.4]]) + 0.1 * np.array(
        [[0.045, 0.09], [0.054, 0.108]]), atol=1e-12)


def test_trace_and_params_dtypes_and_shapes(local: Client) -> None:
    s = local.session(XOR)
    m = 16
    t = s.step()
    shapes = [(m, 6), (m, 5), (m, 1)]
    for name in ("z", "a", "delta"):
        assert_float64(getattr(t, name), shapes)
    assert_float64(t.dW, [(6, 2), (5, 6), (1, 5)])
    assert_float64(t.db, [(6,), (5,), (1,)])
    assert_float64([t.X, t.y, t.grad_norm], [(m, 2), (m, 1), (3,)])
    assert t.indices.dtype == np.int64 and t.indices.shape == (m,)
    assert_float64(t.act_prime[:2], [(m, 6), (m, 5)]) and t.act_prime[2] is None
    assert t.mask is None and t.z_hat is None and t.dgamma is None  # remedies off
    p = s.params
    assert isinstance(p, Params) and p.gamma is None
    assert_float64(p.W, [(6, 2), (5, 6), (1, 5)])
    assert_float64(p.b, [(6,), (5,), (1,)])
    np.testing.assert_array_equal(p.W[2], t.params.W[2])
    assert s.epoch == 0 and s.step_count == 1 and s.layers == [2, 6, 5, 1]
    assert s.config["optimizer"]["batch_size"] == 16


def test_config_gives_inline_data_whole_though_the_answers_summarise_it(local: Client) -> None:
    X = [[i / 3000, (i * 7) % 11 / 11] for i in range(3000)]  # 6000 numbers: over max_elements
    y = [[float(i % 2)] for i in range(3000)]
    s = local.session(dataset={"name": "inline", "task": "classification", "X": X, "y": y}, model={"layers": [2, 3, 1]})
    assert s.state()["config"]["dataset"]["X"]["shape"] == [3000, 2]  # a summary
    assert s.config["dataset"]["X"] == X and s.config["dataset"]["y"] == y and s.layers == [2, 3, 1]


def test_step_with_remedies_carries_their_fields(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 60},
                      model={"layers": [2, 4, 3, 1], "dropout": 0.5, "batch_norm": True}, optimizer={"batch_size": 8})
    t = s.step(indices=[0, 1, 2, 3, 4])
    np.testing.assert_array_equal(t.indices, [0, 1, 2, 3, 4])
    for name in ("mask", "z_hat", "u"):
        assert_float64(getattr(t, name)[:2], [(5, 4), (5, 3)])
        assert getattr(t, name)[2] is None, name
    assert set(np.unique(t.mask[0])) <= {0.0, 1.0}
    assert_float64(t.dgamma[:2] + t.dbeta[:2], [(4,), (3,), (4,), (3,)])
    p = s.params
    assert_float64(p.gamma[:2] + p.beta[:2], [(4,), (3,), (4,), (3,)])
    assert p.gamma[2] is None


def test_step_preview_leaves_params(local: Client) -> None:
    s = local.session(XOR)
    before = s.params
    t = s.step(apply=False)
    assert not t.applied and s.step_count == 0
    np.testing.assert_array_equal(s.params.W[0], before.W[0])


def test_epochs_history_and_metrics(local: Client) -> None:
    s = local.session(XOR)
    h = s.epochs(4)
    assert isinstance(h, History) and h.epochs == 4 and h.finite
    assert_float64([h.train_loss, h.test_loss, h.grad_norm], [(4,), (4,), (4, 3)])
    assert {"learning_rate", "train_accuracy", "test_accuracy"} <= set(h.metrics)
    assert h.train_accuracy.dtype == np.float64 and h.train_accuracy.shape == (4,)
    h2 = s.epochs(2)
    full = s.history
    assert full.epochs == 6 and s.epoch == 6
    np.testing.assert_array_equal(full.grad_norm, np.vstack([h.grad_norm, h2.grad_norm]))
    np.testing.assert_array_equal(full.train_loss[:4], h.train_loss)


def test_set_param_undo_reset(local: Client, worked: dict) -> None:
    s = local.session(worked)
    s.set_param(0, "W", (1, 0), 0.25)
    s.set_param(1, "b", 0, -0.5)
    p = s.params
    assert p.W[0][1, 0] == 0.25 and p.b[1][0] == -0.5
    s.undo()
    assert s.params.b[1][0] == 0.0 and s.params.W[0][1, 0] == 0.25
    s.step()
    s.reset()
    assert s.step_count == 0 and s.epoch == 0
    np.testing.assert_array_equal(s.params.W[0], [[0.1, 0.2], [0.3, 0.4]])


def test_gradcheck_and_predict(local: Client, worked: dict) -> None:
    s = local.session(worked)
    g = s.gradcheck()
    assert isinstance(g, Gradcheck) and g.passed and g.max_rel_error < g.tolerance
    assert_float64([g.W_rel_error, g.b_rel_error], [(2,), (2,)])
    y = s.predict([[1, 2], [0, 0]])
    assert_float64([y], [(2, 1)])
    np.testing.assert_allclose(y, [[0.91], [0.0]], atol=1e-12)
    np.testing.assert_allclose(s.predict(np.array([1.0, 2.0])), [[0.91]], atol=1e-12)


def test_fork_export_import_open_delete(local: Client) -> None:
    s = local.session(XOR)
    s.epochs(2)
    fork = s.fork(optimizer={"learning_rate": 0.5})
    assert isinstance(fork, Session) and fork.id != s.id and fork.epoch == 0
    assert fork.config["optimizer"]["learning_rate"] == 0.5
    np.testing.assert_array_equal(fork.params.W[0], local.session(XOR).params.W[0])  # same initial weights
    doc = s.export()
    copy = local.import_session(json.loads(json.dumps(doc)))
    assert copy.epoch == 2
    np.testing.assert_array_equal(copy.step().loss, s.step().loss)  # continues exactly
    same = local.open(s.id)
    assert same.id == s.id and same.step_count == s.step_count
    s.delete()
    with pytest.raises(Exception) as err:
        same.epoch
    assert getattr(err.value, "status", None) == 404


@pytest.mark.subprocess  # the script runs in its own Python
def test_code_reproduces_the_next_steps(local: Client) -> None:
    s = local.session(XOR)
    s.epochs(1)
    script = s.code(framework="numpy", steps=3)
    assert isinstance(script, str) and script.startswith('"""An MLP Playground session')
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    printed = json.loads(out.stdout.strip().splitlines()[-1])
    traces = [s.step() for _ in range(3)]
    np.testing.assert_allclose(printed["loss"], [t.loss for t in traces], rtol=0, atol=1e-10)
    for l, dW in enumerate(traces[-1].dW):
        np.testing.assert_allclose(printed["dW"][l], dW, rtol=0, atol=1e-10)


def test_client_level_calls(local: Client) -> None:
    assert local.url.startswith("http://127.0.0.1:") and local.url.endswith("/")
    assert local.health()["status"] == "ok"
    names = {d["name"] for d in local.datasets()}
    assert {"xor", "moons", "inline"} <= names
    opts = local.options()
    assert "relu" in opts["activations"] and local.max_elements == opts["limits"]["max_elements"]
    default = local.session()
    assert default.config == opts["defaults"]
    lesson = local.lesson("vanishing-gradients", quick=True)
    assert lesson.labels == ["sigmoid, 6 hidden layers", "relu, 6 hidden layers"]
    sig = lesson["sigmoid, 6 hidden layers"]
    assert sig.epoch == lesson.measured["epochs"] == 5
    norms = np.asarray(lesson.measured["sigmoid"]["grad_norms"])
    np.testing.assert_allclose(norms, sig.history.grad_norm.mean(axis=0), rtol=1e-12)
    assert {item["name"] for item in local.lessons()} >= {"vanishing-gradients"}


def test_session_url_and_plot_palette(local: Client) -> None:
    s = local.session(XOR)
    assert s.url == f"{local.url}#session={s.id}"
    s.epochs(3)
    fig = s.plot()
    palette = local.palette()
    names = [tr.name for tr in fig.data]
    assert names == ["train", "test", "layer 0", "layer 1", "layer 2"]
    assert fig.data[0].line.color == palette["train"] and fig.data[1].line.color == palette["test"]
    assert [tr.line.color for tr in fig.data[2:]] == palette["series"][:3]
    assert [tr.line.dash for tr in fig.data[2:]] == palette["dashes"][:3]
    np.testing.assert_array_equal(np.asarray(fig.data[4].y, dtype=float), s.history.grad_norm[:, 2])
    assert fig.layout.yaxis2.type == "log"
    # The palette is the page's own theme file, as served: its blue and vermillion (Okabe-Ito).
    assert (palette["train"], palette["test"]) == ("#0072B2", "#D55E00")


def test_epochs_beyond_one_request_are_joined() -> None:
    from server.settings import Limits

    with Client.local(limits=Limits(max_epochs_per_request=3)) as small:
        s = small.session(XOR)
        h = s.epochs(7)  # three requests: 3 + 3 + 1
        assert h.epochs == 7 == s.epoch and h.grad_norm.shape == (7, 3) and h.train_accuracy.shape == (7,)
        full = s.history
        np.testing.assert_array_equal(h.train_loss, full.train_loss)
        np.testing.assert_array_equal(h.grad_norm, full.grad_norm)
        np.testing.assert_array_equal(h.metrics["learning_rate"], full.metrics["learning_rate"])
