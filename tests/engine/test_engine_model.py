"""The model's validation (pairings, names, layers, explicit weights) and its
initialisation schemes."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import ACTIVATIONS, INITIALIZERS, LOSSES, MLP, OUTPUT_ACTIVATIONS, VALID_PAIRS, make_trainer

WORKING = "linear with mse; sigmoid with binary_cross_entropy or mse; softmax with cross_entropy"
INVALID = [(o, l) for o in OUTPUT_ACTIVATIONS for l in LOSSES if l not in VALID_PAIRS[o]]


def test_valid_pairs_are_exactly_the_documented_ones() -> None:
    assert VALID_PAIRS == {"linear": ("mse",), "sigmoid": ("binary_cross_entropy", "mse"),
                           "softmax": ("cross_entropy",)}
    assert len(INVALID) == 5


@pytest.mark.parametrize("out, loss", INVALID)
def test_invalid_pairings_are_refused_with_the_pairs_that_work(out: str, loss: str) -> None:
    with pytest.raises(ValueError) as err:
        MLP([2, 3, 2], "relu", out, loss)
    message = str(err.value)
    assert message.startswith(f"loss: '{loss}' does not pair with output_activation '{out}'")
    assert WORKING in message
    with pytest.raises(ValueError, match=WORKING):
        make_trainer({"dataset": {"name": "xor"}, "model": {"output_activation": out, "loss": loss}})


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "softmax"}, "activation: unknown activation 'softmax'; choose one of relu, leaky_relu, sigmoid, tanh, linear"),
    ({"output_activation": "tanh"}, "output_activation: unknown activation 'tanh'; choose one of linear, sigmoid, softmax"),
    ({"loss": "hinge"}, "loss: unknown loss 'hinge'; choose one of mse, cross_entropy, binary_cross_entropy"),
    ({"init": "orthogonal"}, "init: unknown initialisation 'orthogonal'; choose one of he, xavier, normal, uniform, zeros"),
    ({"dtype": "float16"}, "dtype: unknown dtype 'float16'; choose one of float64, float32"),
    ({"l2": -0.1}, "l2: must be a finite number >= 0"),
])
def test_unknown_names_list_the_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        MLP([2, 3, 1], **kwargs)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("layers", [[], [3], [2, 0, 1], [2, 1.5, 1], "ab", [2, -3, 1], None])
def test_bad_layers_are_refused(layers) -> None:
    with pytest.raises(ValueError, match="^layers: "):
        MLP(layers)


@pytest.mark.parametrize("weights, biases, message", [
    ([np.zeros((3, 2))], None, r"model.weights: expected 2 matrices for layers \[2, 3, 1\]"),
    ([np.zeros((2, 3)), np.zeros((1, 3))], None, r"model.weights\[0\]: expected shape \(3, 2\), got \(2, 3\)"),
    ([np.zeros((3, 2)), np.zeros((3, 1))], None, r"model.weights\[1\]: expected shape \(1, 3\), got \(3, 1\)"),
    ([np.zeros((3, 2)), np.zeros((1, 3))], [np.zeros(3)], r"model.biases: expected 2 vectors"),
    ([np.zeros((3, 2)), np.zeros((1, 3))], [np.zeros(3), np.zeros(2)], r"model.biases\[1\]: expected shape \(1,\)"),
    ([np.zeros((3, 2)), [[1.0, "x", 2.0]]], None, r"model.weights\[1\]: must be numbers of shape \(1, 3\)"),
    ([np.full((3, 2), np.nan), np.zeros((1, 3))], None, r"model.weights\[0\]: must be finite"),
    ([[[1, 2], [3, 4], [5]], np.zeros((1, 3))], None, r"model.weights\[0\]: must be numbers"),
])
def test_explicit_weights_are_shape_checked(weights, biases, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MLP([2, 3, 1], weights=weights, biases=biases)


def test_biases_need_weights() -> None:
    with pytest.raises(ValueError, match="model.biases: give model.weights too"):
        MLP([2, 3, 1], biases=[np.zeros(3), np.zeros(1)])


def test_explicit_weights_are_set_exactly_and_layers_follow_them() -> None:
    W = [[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, 0.8, 0.9]]]
    trainer = make_trainer({"dataset": {"name": "xor"}, "model": {"weights": W, "biases": [[1, 2, 3], [4]]}})
    assert trainer.model.layers == [2, 3, 1]
    np.testing.assert_array_equal(trainer.model.W[0], W[0])
    np.testing.assert_array_equal(trainer.model.b[0], [1, 2, 3])
    np.testing.assert_array_equal(trainer.model.params.flat, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4])


def test_forward_and_backward_check_shapes() -> None:
    model = MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"X: expected shape \(m, 2\), got \(4, 3\)"):
        model.forward(np.zeros((4, 3)))
    cache = model.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y: 3 rows for 4 samples of X"):
        model.backward(cache, np.zeros((3, 1)))


@pytest.mark.parametrize("act", list(ACTIVATIONS))
def test_activation_pairs_agree_and_write_into_out(act: str) -> None:
    a = ACTIVATIONS[act]
    z = np.linspace(-3, 3, 13).reshape(1, -1) + 0.01  # avoid the kink at 0
    h = 1e-6
    numeric = (a.f(z + h) - a.f(z - h)) / (2 * h)
    np.testing.assert_allclose(a.df(z, a.f(z)), numeric, rtol=1e-7, atol=1e-9)
    out, dout = np.empty_like(z), np.empty_like(z)
    assert a.f(z, out=out) is out and a.df(z, out, out=dout) is dout
    np.testing.assert_array_equal(out, a.f(z))
    np.testing.assert_array_equal(dout, a.df(z, a.f(z)))
    assert a.f(z.astype(np.float32)).dtype == np.float32


def test_sigmoid_and_softmax_stay_finite_at_extremes() -> None:
    z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(ACTIVATIONS["sigmoid"].f(z), [[0.0, 0.5, 1.0]])
        np.testing.assert_allclose(OUTPUT_ACTIVATIONS["softmax"].f(z), [[0.0, 0.0, 1.0]])
    model = MLP([1, 3], output_activation="softmax", loss="cross_entropy",
                weights=[[[1.0], [0.0], [-1.0]]], biases=[[0.0, 0.0, 0.0]])
    # The target's logit is 1400 below the largest: loss 1400, exact, not inf.
    assert model.objective([[700.0]], [[0.0, 0.0, 1.0]]) == pytest.approx(1400.0, rel=1e-12)


@pytest.mark.parametrize("scheme", list(INITIALIZERS))
def test_initialisation_schemes(scheme: str) -> None:
    layers = [400, 300, 10]
    a = MLP(layers, init=scheme, rng=np.random.default_rng(0))
    b = MLP(layers, init=scheme, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.params.flat, b.params.flat)  # seeded
    assert all((v == 0).all() for v in a.b)
    W = a.W[0]
    std = {"he": np.sqrt(2 / 400), "xavier": np.sqrt(2 / 700), "normal": 400**-0.5,
           "uniform": 400**-0.5 / np.sqrt(3), "zeros": 0.0}[scheme]
    assert W.std() == pytest.approx(std, rel=0.02, abs=1e-12)
    assert abs(W.mean()) < 0.01 * max(std, 1e-3)
    if scheme in ("xavier", "uniform"):
        bound = np.sqrt(6 / 700) if scheme == "xavier" else 400**-0.5
        assert np.abs(W).max() <= bound


def test_float32_model_keeps_float32() -> None:
    model = MLP([2, 4, 1], dtype="float32", rng=np.random.default_rng(0))
    cache = model.forward(np.ones((3, 2)))  # float64 input is cast
    grads = model.backward(cache, np.ones((3, 1)))
    assert model.params.flat.dtype == cache.z[0].dtype == grads.dW[0].dtype == np.float32
    assert model.config()["dtype"] == "float32"
