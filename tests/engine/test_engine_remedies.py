"""Batch norm, residual connections, dropout, L1 and an activation per hidden layer.

Every combination of the five, at depths 1 to 4 and batch sizes 1 and 16,
passes the gradient check (< 1e-7, dropout's masks kept fixed) and agrees with
the independent scalar autodiff to 1e-10: every ``z``, ``z_hat``, ``u``, ``a``,
the objective, every ``delta``, ``dW``, ``db``, ``dgamma`` and ``dbeta``. The
cases are chosen away from the kinks of ReLU and of ``|W|``, where a central
difference straddles a jump of the derivative.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlp_engine import MLP, gradient_check
from scalar_autodiff import ScalarMLP

TOL = 1e-10
P_DROP = 0.3
KINK = 1e-3

# Depth 1 to 4; from depth 3 on one hidden layer is wider than the one below, so has no skip.
LAYERS = {1: [3, 4, 2], 2: [3, 4, 4, 2], 3: [3, 4, 4, 5, 2], 4: [3, 4, 4, 5, 5, 2]}
MIXED = ["tanh", "relu", "sigmoid", "leaky_relu"]
FLAGS = list(itertools.product([False, True], repeat=5))  # batch_norm, residual, dropout, l1, per-layer


def case_id(depth: int, m: int, flags: tuple[bool, ...]) -> str:
    names = [n for n, on in zip(("bn", "res", "drop", "l1", "mixed"), flags) if on]
    return f"depth{depth}-m{m}-{'+'.join(names) or 'plain'}"


CASES = [(d, m, f) for d in LAYERS for m in (1, 16) for f in FLAGS]


def build(depth: int, m: int, flags: tuple[bool, ...], seed: int):
    """A model, a batch and masks, with weights, gamma and beta drawn at random."""
    bn, res, drop, l1, mixed = flags
    layers = LAYERS[depth]
    rng = np.random.default_rng(seed)
    activation = MIXED[:depth] if mixed else "tanh"
    softmax = seed % 2 == 0
    W = [rng.normal(0.0, 1.0 / np.sqrt(i), (o, i)) for i, o in zip(layers[:-1], layers[1:])]
    b = [rng.normal(0.0, 0.5, o) for o in layers[1:]]
    model = MLP(layers, activation, "softmax" if softmax else "linear",
                "cross_entropy" if softmax else "mse", weights=W, biases=b, l2=0.05 if l1 else 0.0,
                l1=0.02 if l1 else 0.0, dropout=P_DROP if drop else 0.0, batch_norm=bn, residual=res)
    for g, bt in zip(model.gamma, model.beta):
        g[...] = rng.uniform(0.5, 1.5, g.shape)
        bt[...] = rng.normal(0.0, 0.3, bt.shape)
    X = rng.standard_normal((m, layers[0]))
    y = np.eye(layers[-1])[rng.integers(0, layers[-1], m)] if softmax else rng.standard_normal((m, layers[-1]))
    masks = model.draw_masks(rng, m)
    return model, X, y, masks


def kink_free(model: MLP, X: np.ndarray, masks) -> bool:
    """No ReLU input and no weight within ``KINK`` of 0."""
    cache = model.forward(X, train=True, masks=masks)
    inputs = cache.u if model.batch_norm else cache.z
    for l, act in enumerate(model.activations):
        if act.name in ("relu", "leaky_relu") and float(np.abs(inputs[l]).min()) < KINK:
            return False
    return not (model.l1 and float(np.abs(model.params.weights_flat).min()) < KINK)


def checkable(depth: int, m: int, flags: tuple[bool, ...]):
    for seed in range(100):
        model, X, y, masks = build(depth, m, flags, seed)
        if kink_free(model, X, masks):
            return model, X, y, masks
    raise AssertionError("no kink-free case in 100 seeds")


def agree(engine, oracle, what: str) -> None:
    np.testing.assert_allclose(engine, np.array(oracle, dtype=float), rtol=TOL, atol=TOL, err_msg=what)


def data(values) -> list:
    return [[v.data for v in row] for row in values]


def grads_of(values) -> list:
    return [[v.grad for v in row] for row in values]


@pytest.mark.parametrize("depth, m, flags", CASES, ids=[case_id(*c) for c in CASES])
def test_gradient_check_and_scalar_autodiff(depth: int, m: int, flags: tuple[bool, ...]) -> None:
    bn, res, drop, l1, mixed = flags
    model, X, y, masks = checkable(depth, m, flags)
    assert (masks is not None) == drop

    check = gradient_check(model, X, y, eps=1e-6, masks=masks)
    assert check.max_rel_error < 1e-7, check
    assert all((c.gamma_rel_error is not None) == (bn and l < depth) for l, c in enumerate(check.layers))

    cache = model.forward(X, train=True, masks=masks)
    grads = model.backward(cache, y)
    oracle = ScalarMLP([w.tolist() for w in model.W], [v.tolist() for v in model.b], model.activation_spec,
                       model.output_activation.name, model.loss_fn.name, model.l2, l1=model.l1,
                       dropout=model.dropout, masks=None if masks is None else [k.tolist() for k in masks],
                       batch_norm=bn, gamma=[g.tolist() for g in model.gamma],
                       beta=[v.tolist() for v in model.beta], residual=res)
    J, zs, as_ = oracle.objective(X.tolist(), y.tolist())
    J.backward()
    agree(grads.loss, J.data, "objective")
    agree(model.objective(X, y, train=True, masks=masks), J.data, "objective()")
    for l in range(model.n_layers):
        agree(cache.z[l], data(zs[l]), f"z[{l}]")
        agree(cache.a[l], data(as_[l]), f"a[{l}]")
        agree(grads.delta[l], grads_of(zs[l]), f"delta[{l}]")
        agree(grads.dW[l], [[w.grad for w in row] for row in oracle.W[l]], f"dW[{l}]")
        agree(grads.db[l], [v.grad for v in oracle.b[l]], f"db[{l}]")
    for l in range(len(model.gamma)):
        agree(cache.z_hat[l], data(oracle.z_hat[l]), f"z_hat[{l}]")
        agree(cache.u[l], data(oracle.u[l]), f"u[{l}]")
        agree(grads.dgamma[l], [v.grad for v in oracle.gamma[l]], f"dgamma[{l}]")
        agree(grads.dbeta[l], [v.grad for v in oracle.beta[l]], f"dbeta[{l}]")


def test_the_oracle_handles_batch_norm_and_l1_like_central_differences() -> None:
    """The oracle's new local derivatives (rsqrt, abs), checked by hand on one case."""
    W = [[[0.3, -0.2], [0.1, 0.4]], [[0.5, -0.7], [0.2, 0.9]]]
    b = [[0.1, -0.1], [0.05, 0.0]]
    X, Y = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    kw = dict(l1=0.1, batch_norm=True, gamma=[[1.2, 0.7]], beta=[[0.1, -0.2]])
    net = ScalarMLP(W, b, "tanh", "softmax", "cross_entropy", **kw)
    J, _, _ = net.objective(X, Y)
    J.backward()
    eps = 1e-6
    for l, i, k in [(0, 0, 1), (1, 1, 0), (0, 1, 0)]:
        plus = [[row[:] for row in w] for w in W]
        minus = [[row[:] for row in w] for w in W]
        plus[l][i][k] += eps
        minus[l][i][k] -= eps
        numeric = (ScalarMLP(plus, b, "tanh", "softmax", "cross_entropy", **kw).objective(X, Y)[0].data
                   - ScalarMLP(minus, b, "tanh", "softmax", "cross_entropy", **kw).objective(X, Y)[0].data) / (2 * eps)
        assert net.W[l][i][k].grad == pytest.approx(numeric, rel=1e-7, abs=1e-10)


def test_l1_adds_its_term_and_sign_with_sign_of_zero_zero() -> None:
    W = [np.array([[0.5, -0.25], [0.0, 1.0]]), np.array([[-2.0, 0.0]])]
    b = [np.zeros(2), np.zeros(1)]
    plain = MLP([2, 2, 1], "tanh", weights=W, biases=b)
    both = MLP([2, 2, 1], "tanh", weights=W, biases=b, l1=0.1, l2=0.2)
    X, y = np.array([[1.0, 2.0]]), np.array([[0.5]])
    g0, g = plain.backward(plain.forward(X), y), both.backward(both.forward(X), y)
    assert both.penalty() == pytest.approx(0.5 * 0.2 * (0.25 + 0.0625 + 1 + 4) + 0.1 * (0.5 + 0.25 + 1 + 2))
    assert g.loss == pytest.approx(g0.loss + both.penalty(), rel=1e-15)
    for l in range(2):
        np.testing.assert_allclose(g.dW[l], g0.dW[l] + 0.2 * W[l] + 0.1 * np.sign(W[l]), rtol=1e-15, atol=1e-15)
        np.testing.assert_array_equal(g.db[l], g0.db[l])  # biases are not penalised
    assert g.dW[0][1, 0] == pytest.approx(g0.dW[0][1, 0] + 0.0)  # sign(0) = 0


def test_dropout_is_inverted_and_used_in_training_only() -> None:
    model = MLP([2, 50, 1], "relu", dropout=0.5, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((200, 2))
    masks = model.draw_masks(np.random.default_rng(2), 200)
    plain = model.forward(X)
    dropped = model.forward(X, train=True, masks=masks)
    assert plain.mask is None and dropped.mask is not None
    np.testing.assert_array_equal(dropped.a[0], plain.a[0] * masks[0] / 0.5)
    assert set(np.unique(masks[0])) == {0.0, 1.0}
    assert 0.4 < masks[0].mean() < 0.6  # keep probability 1 - p
    np.testing.assert_array_equal(model.predict(X), plain.a[-1])  # no dropout outside training


def test_batch_norm_running_estimates_follow_pytorch() -> None:
    """Momentum 0.1 and the unbiased variance for the running estimates; the batch's own
    (biased) statistics in training; the running ones outside it."""
    model = MLP([2, 3, 1], "sigmoid", batch_norm=True, rng=np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((8, 2))
    cache = model.forward(X, train=True)
    z = cache.z[0]
    np.testing.assert_allclose(cache.z_hat[0], (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5), rtol=1e-14)
    model.update_running(cache)
    np.testing.assert_allclose(model.running_mean[0], 0.1 * z.mean(0), rtol=1e-14)
    np.testing.assert_allclose(model.running_var[0], 0.9 + 0.1 * z.var(0, ddof=1), rtol=1e-14)
    evaluated = model.forward(X)
    np.testing.assert_allclose(evaluated.z_hat[0], (z - model.running_mean[0]) / np.sqrt(model.running_var[0] + 1e-5),
                               rtol=1e-14)


def test_residual_skips_only_between_hidden_layers_of_equal_width() -> None:
    model = MLP([2, 3, 3, 4, 4, 1], "tanh", residual=True, rng=np.random.default_rng(0))
    assert model.skip == [False, True, False, True]
    cache = model.forward(np.ones((2, 2)))
    np.testing.assert_allclose(cache.a[1], np.tanh(cache.z[1]) + cache.a[0], rtol=1e-15)
    np.testing.assert_allclose(cache.a[2], np.tanh(cache.z[2]), rtol=1e-15)


@pytest.mark.parametrize("kwargs, field", [
    ({"dropout": 1.0}, "model.dropout"), ({"dropout": -0.1}, "model.dropout"),
    ({"activation": ["relu"]}, "model.activation"), ({"activation": ["relu", "swish"]}, "model.activation[1]"),
    ({"l1": -1.0}, "l1"), ({"batch_norm": 1}, "model.batch_norm"), ({"residual": "yes"}, "model.residual"),
])
def test_bad_values_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field.replace('[', '.').replace(']', '.')}"):
        MLP([2, 3, 3, 1], **kwargs)


def test_masks_must_fit() -> None:
    model = MLP([2, 3, 1], dropout=0.2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^masks\[0\]"):
        model.forward(np.ones((2, 2)), masks=[np.full((2, 3), 0.5)])
    with pytest.raises(ValueError, match="^masks"):
        MLP([2, 3, 1]).forward(np.ones((2, 2)), masks=[np.ones((2, 3))])


@pytest.mark.parametrize("part", ["dgamma", "dbeta", "dW"])
def test_the_gradient_check_catches_a_wrong_batch_norm_gradient(part: str, monkeypatch) -> None:
    """The check is not vacuous on the new path: a 1% error in one gradient fails it."""
    model, X, y, masks = checkable(2, 16, (True, True, True, False, False))
    real = MLP._backward

    def wrong(self, cache, y, out=None, ws=None):
        g = real(self, cache, y, out, ws)
        (g.dgamma if part == "dgamma" else g.dbeta if part == "dbeta" else g.dW)[0][...] *= 1.01
        return g

    monkeypatch.setattr(MLP, "_backward", wrong)
    check = gradient_check(model, X, y, eps=1e-6, masks=masks)
    assert not check.passed and check.max_rel_error > 1e-3
