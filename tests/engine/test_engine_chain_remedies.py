"""The chain rule of one weight through the remedies: a residual skip, dropout and batch norm.

Every term the chain rule shows is checked against an independent backward pass, the scalar
reverse-mode autodiff of ``scalar_autodiff.py`` run on the same batch, parameters and masks:
the terms of each ``delta`` add up to the oracle's ``delta`` and the terms of ``dW`` to its
``dW``, to 1e-12. Then each named term is taken out again, and the sum must part from the
oracle: a chain rule that left that term out would fail here.
"""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import make_trainer
from mlp_engine.chain import explain_weight, sample_graph
from scalar_autodiff import ScalarMLP

TOL = 1e-12

CONFIGS = {
    "residual": {"layers": [2, 3, 3, 3, 1], "residual": True, "activation": "tanh"},
    "dropout": {"layers": [2, 4, 3, 1], "dropout": 0.4, "activation": "tanh"},
    "batch_norm": {"layers": [2, 3, 3, 1], "batch_norm": True, "activation": "tanh"},
    "all": {"layers": [2, 3, 3, 3, 1], "residual": True, "dropout": 0.3, "batch_norm": True,
            "activation": ["tanh", "sigmoid", "leaky_relu"]},
}


def stepped(model: dict, l1: float = 0.01, l2: float = 0.02):
    """A trainer of ``model`` after two steps (gamma and beta moved off 1 and 0), the parameters
    its third pass uses, that pass (not applied) and the oracle of the same batch."""
    t = make_trainer({"dataset": {"name": "moons", "n_samples": 40}, "model": model,
                      "optimizer": {"batch_size": 6, "l1": l1, "l2": l2, "learning_rate": 0.5}, "seed": 5})
    t.step()
    t.step()
    W, b = [w.copy() for w in t.model.W], [v.copy() for v in t.model.b]
    gamma, beta = [g.copy() for g in t.model.gamma], [g.copy() for g in t.model.beta]
    result = t.step(apply=False)
    m = t.model
    masks = None if result.cache.mask is None else [k.tolist() for k in result.cache.mask]
    oracle = ScalarMLP([w.tolist() for w in W], [v.tolist() for v in b], model["activation"], "sigmoid",
                       "binary_cross_entropy", l2, l1=l1, dropout=m.dropout, masks=masks,
                       batch_norm=m.batch_norm, gamma=[g.tolist() for g in gamma] or None,
                       beta=[g.tolist() for g in beta] or None, residual=m.residual)
    J, zs, acts = oracle.objective(result.X.tolist(), result.y.tolist())
    J.backward()
    return t, W, gamma, result, oracle, zs, acts


def grads(values) -> np.ndarray:
    return np.array([[v.grad for v in row] for row in values])


def du_from_terms(d: dict, drop: str | None = None) -> float:
    """``dObjective/du[l][s, i]`` (``u = z`` without batch norm) put together again from the
    terms the chain rule shows, without ``drop``: (along W + along the skip) * the mask's factor * act'."""
    g = (0.0 if drop == "along_W" else sum(t["product"] for t in d["terms"])) + (
        0.0 if d["along_skip"] is None or drop == "along_skip" else d["along_skip"])
    if d["mask_factor"] is not None and drop != "mask_factor":
        g *= d["mask_factor"]
    return g * d["act_prime"]


def delta_from_terms(d: dict, drop: str | None = None) -> float:
    """``delta[l][s, i]`` from the terms shown, without ``drop``: ``du``, or batch norm's three terms."""
    if d["kind"] == "output":
        return d["value"]
    bn = d.get("batch_norm")
    if bn is None:
        return du_from_terms(d, drop)
    return sum(bn[k] for k in ("direct", "mean_term", "var_term") if k != drop)


BN_TERMS = ("direct", "mean_term", "var_term")


def hidden_layers(model: dict) -> list[int]:
    return list(range(len(model["layers"]) - 2))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_delta_and_dw_adds_up_to_the_oracles(name):
    model = CONFIGS[name]
    t, W, gamma, result, oracle, zs, acts = stepped(model)
    L = len(W)
    for l in range(L):
        deltas = grads(zs[l])
        for i in range(model["layers"][l + 1]):
            for j in range(model["layers"][l]):
                c = explain_weight(t.model, result, W, l, i, j, gamma)
                shown = c["sum"] + (c["l2_term"] or 0.0) + (c["l1_term"] or 0.0)
                assert abs(shown - oracle.W[l][i][j].grad) < TOL
                assert abs(c["dW"] - oracle.W[l][i][j].grad) < TOL
            for d in c["deltas"]:
                assert abs(delta_from_terms(d) - deltas[d["sample"], i]) < TOL, (l, i, d["sample"])
                assert abs(d["value"] - deltas[d["sample"], i]) < TOL
                if d["kind"] == "hidden":
                    u = (oracle.u[l] if t.model.batch_norm else zs[l])[d["sample"]][i]
                    assert abs(du_from_terms(d) - u.grad) < TOL and abs(d["du"] - u.grad) < TOL
                    if d.get("batch_norm"):
                        assert d["batch_norm"]["dz_hat"] == pytest.approx(gamma[l][i] * d["du"], rel=1e-15)
                    # dObjective/da[l]: along W plus along the skip, the oracle's gradient of a[l].
                    assert abs(d["grad_a"] - acts[l][d["sample"]][i].grad) < TOL
                    if d["along_skip"] is not None:
                        assert abs(d["along_skip"] - acts[l + 1][d["sample"]][i].grad) < TOL
            if c["batch_norm"] is not None:
                assert abs(c["batch_norm"]["dgamma"] - oracle.gamma[l][i].grad) < TOL
                assert abs(c["batch_norm"]["dbeta"] - oracle.beta[l][i].grad) < TOL
                # dgamma = sum_s du z_hat and dbeta = sum_s du, from the terms shown.
                du = [d["du"] for d in c["deltas"]]
                z_hat = [d["batch_norm"]["z_hat"] for d in c["deltas"]]
                assert abs(np.dot(du, z_hat) - oracle.gamma[l][i].grad) < TOL
                assert abs(sum(du) - oracle.beta[l][i].grad) < TOL


@pytest.mark.parametrize("name, term", [("residual", "along_skip"), ("all", "along_skip"),
                                        ("dropout", "mask_factor"), ("all", "mask_factor"),
                                        ("batch_norm", "mean_term"), ("batch_norm", "var_term"),
                                        ("batch_norm", "direct"), ("all", "var_term"), ("all", "along_W")])
def test_a_delta_without_one_of_its_terms_parts_from_the_oracle(name, term):
    model = CONFIGS[name]
    t, W, gamma, result, oracle, zs, acts = stepped(model)
    worst = 0.0
    for l in hidden_layers(model):
        # A batch-norm term is checked in delta; the terms before it in du = dObjective/du.
        want = grads(zs[l] if term in BN_TERMS or not t.model.batch_norm else oracle.u[l])
        rebuild = delta_from_terms if term in BN_TERMS else du_from_terms
        for i in range(model["layers"][l + 1]):
            for d in explain_weight(t.model, result, W, l, i, 0, gamma)["deltas"]:
                assert abs(rebuild(d) - want[d["sample"], i]) < TOL
                worst = max(worst, abs(rebuild(d, drop=term) - want[d["sample"], i]))
    assert worst > 1e-6, f"{term} was never needed: the test could not see it dropped"


def test_a_dropped_neuron_carries_no_gradient():
    t, W, gamma, result, oracle, zs, acts = stepped(CONFIGS["dropout"])
    mask = result.cache.mask[0]
    s, i = map(int, np.argwhere(mask == 0)[0])
    d = explain_weight(t.model, result, W, 0, i, 0)["deltas"][s]
    assert d["dropped"] and d["mask"] == 0.0 and d["mask_factor"] == 0.0
    assert d["du"] == 0.0 and d["value"] == 0.0 and zs[0][s][i].grad == 0.0
    kept = explain_weight(t.model, result, W, 0, i, 0)["deltas"]
    assert any(k["mask_factor"] == pytest.approx(1 / (1 - 0.4)) for k in kept)


def test_the_graph_has_batch_norm_dropout_and_skip_with_their_local_derivatives():
    model = CONFIGS["all"]
    t, W, gamma, result, oracle, zs, acts = stepped(model)
    graph = sample_graph(t.model, result, W, 1, gamma)
    nodes = {n["id"]: n for n in graph["nodes"]}
    by = {(e["from"], e["to"]): e for e in graph["edges"]}
    m = result.X.shape[0]
    for l in hidden_layers(model):
        for i in range(model["layers"][l + 1]):
            u, f, a = nodes[f"u{l}_{i}"], nodes[f"f{l}_{i}"], nodes[f"a{l}_{i}"]
            assert abs(u["grad"] - oracle.u[l][1][i].grad) < TOL  # dObjective/du
            assert abs(a["grad"] - acts[l][1][i].grad) < TOL
            zh = result.cache.z_hat[l][1, i]
            own = gamma[l][i] * result.cache.inv_std[l][i] * (1 - 1 / m - zh * zh / m)
            assert by[(f"z{l}_{i}", f"u{l}_{i}")]["local"] == pytest.approx(own, rel=1e-12)
            mask = result.cache.mask[l][1, i]
            assert f["mask"] == mask
            assert by[(f"f{l}_{i}", f"a{l}_{i}")]["local"] == pytest.approx(mask / (1 - 0.3))
            assert by[(f"u{l}_{i}", f"f{l}_{i}")]["local"] == result.grads.act_prime[l][1, i]
            skip = by.get((f"a{l - 1}_{i}", f"a{l}_{i}"))
            assert (skip is not None) == bool(t.model.skip[l])
            if skip:
                assert skip["kind"] == "skip" and skip["local"] == 1.0


def test_a_batch_norm_chain_needs_the_gamma_its_pass_used():
    t, W, gamma, result, *_ = stepped(CONFIGS["batch_norm"])
    with pytest.raises(ValueError, match="^gamma: "):
        explain_weight(t.model, result, W, 0, 0, 0)
