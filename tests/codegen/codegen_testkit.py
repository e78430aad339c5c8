"""What the code-export tests share: the comparison, and the session configs the scripts are held to: every optimizer (momentum with and
without Nesterov), every schedule, l2, clipping, float32, feature transforms, every hidden
activation, every valid output/loss pair, real data and inline data."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

SCRIPT_TIMEOUT = 300  # seconds; generous, the machine is shared


def run_script(source: str, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Write ``source`` to a file and run it with this interpreter (the venv's python)."""
    path = tmp_path / "exported.py"
    path.write_text(source)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
                          cwd=tmp_path, env=env)


INLINE_X = [[0.1 * i, (-1) ** i * 0.05 * i, (i % 3) - 1.0] for i in range(30)]
INLINE_Y = [[0.3 * x0 - x1 + 0.5 * x2] for x0, x1, x2 in INLINE_X]
INLINE_CLASSES = [[1.0, 0.0, 0.0] if x2 < 0 else ([0.0, 1.0, 0.0] if x2 == 0 else [0.0, 0.0, 1.0])
                  for _, _, x2 in INLINE_X]

CASES: dict[str, dict[str, Any]] = {
    "sgd": {"dataset": {"name": "xor"}},
    "momentum-l2-clip": {"dataset": {"name": "circles"},
                         "optimizer": {"name": "momentum", "l2": 0.01, "clip_norm": 0.3}},
    "nesterov": {"dataset": {"name": "moons"}, "optimizer": {"name": "momentum", "nesterov": True, "momentum": 0.8}},
    "adam-l2-clip": {"dataset": {"name": "gaussians"},
                     "optimizer": {"name": "adam", "l2": 0.001, "clip_norm": 0.5}},
    "step-schedule": {"dataset": {"name": "xor", "n_samples": 60},
                      "optimizer": {"name": "momentum", "batch_size": 16,
                                    "schedule": {"name": "step", "step_size": 1, "gamma": 0.5}}},
    "invscaling": {"dataset": {"name": "spiral"},
                   "optimizer": {"name": "adam", "schedule": {"name": "invscaling", "power_t": 0.3}}},
    "momentum-invscaling": {"dataset": {"name": "spiral"},
                            "optimizer": {"name": "momentum", "schedule": {"name": "invscaling"}}},
    "features": {"dataset": {"name": "spiral", "features": ["x1", "x2", "x1^2", "x1*x2", "sin(x2)"]}},
    "no-shuffle-early-stopping": {"dataset": {"name": "plane"},
                                  "optimizer": {"shuffle": False, "batch_size": 50,
                                                "early_stopping": {"patience": 1}}},
    "leaky_relu": {"dataset": {"name": "moons"}, "model": {"activation": "leaky_relu", "init": "xavier"}},
    "sigmoid-hidden": {"dataset": {"name": "circles"}, "model": {"activation": "sigmoid"}},
    "tanh": {"dataset": {"name": "sine"}, "model": {"activation": "tanh"}},
    "linear-hidden": {"dataset": {"name": "plane"}, "model": {"activation": "linear"}},
    "sigmoid-mse": {"dataset": {"name": "xor"}, "model": {"output_activation": "sigmoid", "loss": "mse"}},
    "softmax-cross-entropy": {"dataset": {"name": "digits"},
                              "model": {"layers": [64, 16, 10]}, "optimizer": {"batch_size": 100}},
    "real-california": {"dataset": {"name": "california_housing", "n_samples": 2000},
                        "optimizer": {"name": "adam", "batch_size": 64}},
    "real-diabetes-step": {"dataset": {"name": "diabetes"},
                           "optimizer": {"batch_size": 128, "schedule": {"name": "step", "step_size": 1}}},
    "inline": {"dataset": {"name": "inline", "X": INLINE_X, "y": INLINE_Y},
               "model": {"layers": [3, 4, 1]}, "optimizer": {"batch_size": 7}},
    "inline-split-standardized-classes": {
        "dataset": {"name": "inline", "X": INLINE_X, "y": INLINE_CLASSES, "task": "classification",
                    "test_fraction": 0.2, "standardize": True},
        "model": {"layers": [3, 5, 3], "output_activation": "softmax"}, "optimizer": {"batch_size": 5}},
}

# The remedies the scripts reproduce: L1 alone and with L2 (and a weight at exactly 0, where
# sign(0) = 0), a per-layer hidden activation list, residual connections.
REMEDY_CASES: dict[str, dict[str, Any]] = {
    "l1": {"dataset": {"name": "moons"}, "optimizer": {"l1": 0.01}},
    "l1-l2-momentum": {"dataset": {"name": "circles"},
                       "optimizer": {"name": "momentum", "l1": 0.003, "l2": 0.01, "clip_norm": 0.5}},
    "l1-zero-weight": {"dataset": {"name": "xor"},
                       "model": {"layers": [2, 3, 1], "weights": [[[0.5, 0.0], [-0.3, 0.8], [0.0, 0.0]],
                                                                  [[0.7, -0.4, 0.0]]]},
                       "optimizer": {"l1": 0.02}},
    "activation-list": {"dataset": {"name": "spiral"},
                        "model": {"layers": [2, 8, 6, 4, 1], "activation": ["tanh", "relu", "sigmoid"]},
                        "optimizer": {"name": "adam"}},
    "activation-list-linear-leaky": {"dataset": {"name": "sine"},
                                     "model": {"layers": [1, 6, 6, 1], "activation": ["linear", "leaky_relu"]}},
    "residual": {"dataset": {"name": "moons"}, "model": {"layers": [2, 8, 8, 8, 1], "residual": True}},
    "residual-mixed-widths-l1-l2": {
        "dataset": {"name": "spiral"},
        "model": {"layers": [2, 6, 6, 4, 4, 1], "residual": True, "activation": ["relu", "tanh", "sigmoid", "tanh"]},
        "optimizer": {"name": "adam", "l1": 0.001, "l2": 0.001}},
    "residual-sigmoid-mse": {"dataset": {"name": "xor"},
                             "model": {"layers": [2, 5, 5, 1], "residual": True, "activation": "sigmoid",
                                       "output_activation": "sigmoid", "loss": "mse"},
                             "optimizer": {"name": "momentum", "nesterov": True}},
    "residual-softmax-inline": {
        "dataset": {"name": "inline", "X": INLINE_X, "y": INLINE_CLASSES, "task": "classification"},
        "model": {"layers": [3, 5, 5, 3], "residual": True, "output_activation": "softmax",
                  "activation": ["tanh", "leaky_relu"]},
        "optimizer": {"batch_size": 5, "l1": 0.005}},
}

# Dropout: the masks drawn from a copy of the session's dropout generator.
DROPOUT_CASES: dict[str, dict[str, Any]] = {
    "dropout": {"dataset": {"name": "moons"}, "model": {"dropout": 0.3}},
    "dropout-residual-l1-adam": {"dataset": {"name": "spiral"},
                                 "model": {"layers": [2, 6, 6, 1], "residual": True, "dropout": 0.5,
                                           "activation": ["tanh", "sigmoid"]},
                                 "optimizer": {"name": "adam", "l1": 0.001, "l2": 0.01}},
    "dropout-softmax-step": {"dataset": {"name": "digits"}, "model": {"layers": [64, 12, 10], "dropout": 0.2},
                             "optimizer": {"batch_size": 50, "schedule": {"name": "step", "step_size": 1}}},
}

# Batch norm (gamma, beta, their optimizer state, the running estimates, evaluation mode), alone,
# with each optimizer, a last batch of one row (11 % 5 == 1: no unbiased variance), and every
# remedy together.
BATCH_NORM_CASES: dict[str, dict[str, Any]] = {
    "batch-norm": {"dataset": {"name": "circles"}, "model": {"layers": [2, 6, 5, 1], "batch_norm": True}},
    "batch-norm-momentum-clip": {"dataset": {"name": "moons"},
                                 "model": {"layers": [2, 6, 1], "batch_norm": True, "activation": "tanh"},
                                 "optimizer": {"name": "momentum", "clip_norm": 0.2, "batch_size": 16}},
    "batch-norm-adam-softmax": {"dataset": {"name": "digits"},
                                "model": {"layers": [64, 12, 10], "batch_norm": True},
                                "optimizer": {"name": "adam", "batch_size": 50}},
    "batch-norm-batch-of-one": {
        "dataset": {"name": "inline", "X": INLINE_X[:11], "y": INLINE_Y[:11]},
        "model": {"layers": [3, 4, 1], "batch_norm": True, "activation": "sigmoid"},
        "optimizer": {"name": "momentum", "nesterov": True, "batch_size": 5}},
    "all-remedies": {"dataset": {"name": "spiral"},
                     "model": {"layers": [2, 6, 6, 6, 1], "batch_norm": True, "dropout": 0.2, "residual": True,
                               "activation": ["relu", "tanh", "leaky_relu"]},
                     "optimizer": {"name": "adam", "l1": 0.001, "l2": 0.01, "clip_norm": 1.0}},
}

FLOAT32 = {"dataset": {"name": "xor"}, "model": {"dtype": "float32"}, "optimizer": {"name": "adam"}}


def assert_same(got: dict[str, Any], want: dict[str, Any], tol: float = 1e-10) -> None:
    """Every loss, the last step's dW and db, and the parameters agree to ``tol`` (absolute,
    or relative for entries above 1)."""
    assert len(got["loss"]) == len(want["loss"])
    close = lambda a, b, what: np.testing.assert_allclose(  # noqa: E731
        np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol, err_msg=what)
    close(got["loss"], want["loss"], "loss")
    assert len(got["dW"]) == len(want["dW"]) == len(got["params"]) == len(want["params"])
    for l in range(len(want["dW"])):
        close(got["dW"][l], want["dW"][l], f"dW[{l}]")
        close(got["db"][l], want["db"][l], f"db[{l}]")
        close(got["params"][l]["W"], want["params"][l]["W"], f"W[{l}]")
        close(got["params"][l]["b"], want["params"][l]["b"], f"b[{l}]")
    if "gamma" in want:  # batch norm: its parameters, running estimates and evaluation mode
        for key in ("gamma", "beta"):
            assert len(got[key]) == len(want[key])
            for l, (g, w) in enumerate(zip(got[key], want[key])):
                close(g, w, f"{key}[{l}]")
        for key in ("mean", "var"):
            for l, (g, w) in enumerate(zip(got["running"][key], want["running"][key])):
                close(g, w, f"running {key}[{l}]")
        close(got["eval"]["yhat"], want["eval"]["yhat"], "evaluation-mode output")


# Each term of the remedies as the scripts write it, and the script without it: every one of these
# edits must make the script part from the session (a test that cannot see a term is no test of it).
NUMPY_TERMS: dict[str, tuple[str, str]] = {
    "batch norm's mean term": ("dzh - dzh.mean(axis=0) - z_hat", "dzh - z_hat"),
    "batch norm's variance term": (" - z_hat * (dzh * z_hat).mean(axis=0))", ")"),
    "gamma in dz_hat": ("dzh = du * gamma[l - 1]", "dzh = du"),
    "gamma in u": ("return gamma[l] * z_hat + beta[l]", "return z_hat + beta[l]"),
    "z_hat in dgamma": ("g_gamma[l - 1] = (du * z_hat).sum(axis=0)", "g_gamma[l - 1] = du.sum(axis=0)"),
    "the unbiased running variance": ("BN_MOMENTUM * (var * (m / (m - 1)))", "BN_MOMENTUM * var"),
    "the running estimates in evaluation mode": ("mean, var = running_mean[l].copy(), running_var[l].copy()",
                                                 "mean, var = z.mean(axis=0), z.var(axis=0)"),
    "dropout's 1/(1-p) going back": ("g_in = g_in * masks[l - 1] / (1.0 - P_DROP)", "g_in = g_in * masks[l - 1]"),
    "the skip going back": ("g_below = g_below + g", "g_below = g_below"),
    "l1 sign(W)": ("gW = [g + L1 * np.sign(w) for g, w in zip(gW, W)]", "gW = gW"),
    "l2 W": ("gW = [g + L2 * w for g, w in zip(gW, W)]", "gW = gW"),
}
PYTORCH_TERMS: dict[str, tuple[str, str]] = {
    # Autograd differentiates what the forward pass computes: detaching the batch's mean or
    # variance drops its term from the gradient.
    "batch norm's mean term": ("z_hat = (z - mean) * inv_std", "z_hat = (z - mean.detach()) * inv_std"),
    "batch norm's variance term": ("inv_std = 1.0 / torch.sqrt(var + BN_EPS)",
                                   "inv_std = 1.0 / torch.sqrt(var.detach() + BN_EPS)"),
    "gamma in u": ("return gamma[l] * z_hat + beta[l]", "return (0 * gamma[l] + 1) * z_hat + beta[l]"),
    "the unbiased running variance": ("BN_MOMENTUM * (var * (m / (m - 1)))", "BN_MOMENTUM * var"),
    "the running estimates in evaluation mode": ("mean, var = running_mean[l], running_var[l]",
                                                 "mean, var = z.mean(dim=0), z.var(dim=0)"),
    "dropout's 1/(1-p)": ("a_new = f * masks[l] / (1.0 - P_DROP)", "a_new = f * masks[l]"),
    "the skip": ("a_new = a_new + a  # the skip", "a_new = a_new  # the skip"),
    "l1 |W|": ("value = value + L1 * sum(", "value = value + 0 * sum("),
    "l2 ||W||^2": ("value = value + 0.5 * L2 * sum(", "value = value + 0 * sum("),
}


def parts_from(got: dict[str, Any], want: dict[str, Any]) -> bool:
    """Whether ``got`` differs from ``want`` by more than :func:`assert_same` allows."""
    try:
        assert_same(got, want)
    except AssertionError:
        return True
    return False
