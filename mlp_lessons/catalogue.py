"""The exercises of the backpropagation write-ups as lessons: each sets up one or more trainers, runs
them where it compares, and measures what the learner should look at.

``LESSONS[name].run(quick)`` (or :func:`run_lesson`) returns a
:class:`~.lesson.LessonRun`. ``quick=True`` trains fewer epochs and on less
data, for tests and impatient classrooms; the lesson teaches the same thing
either way.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlp_engine import ACTIVATIONS, MLP, gradient_check, make_trainer

from .landscape import filter_normalised_direction, loss_slice
from .lesson import (Build, FollowUp, Lesson, LessonRun, accuracy_of, confusion_of, last_epoch, mean_grad_norms,
                     plain_numbers, trained)

Array = np.ndarray

# The worked example of the backpropagation derivation (its "Numerical Example").
WORKED_EXAMPLE_CONFIG: dict[str, Any] = {
    "dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
    "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear", "loss": "mse",
              "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]]},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 1, "shuffle": False},
    "seed": 0,
}
PRESETS: dict[str, dict[str, Any]] = {
    "worked-example": {"label": "Worked example",
                       "description": "A 2-2-1 ReLU network on x = [1, 2], y = [1] with W[0] = [[0.1, 0.2], "
                                      "[0.3, 0.4]], W[1] = [[0.5, 0.6]] and zero biases; linear output, mse, SGD at 0.1",
                       "config": WORKED_EXAMPLE_CONFIG},
}
"""Configurations the page offers by name (GET /api/options -> presets)."""
WORKED_EXAMPLE_NUMBERS: dict[str, Any] = {
    "z0": [0.5, 1.1], "yhat": 0.91, "loss": 0.00405, "delta1": [-0.09], "dW1": [[-0.045, -0.099]],
    "db1": [-0.09], "delta0": [-0.045, -0.054], "dW0": [[-0.045, -0.09], [-0.054, -0.108]],
    "db0": [-0.045, -0.054],
}
# The reference write-up's California-housing table: test MSE in original units ($100,000 squared).
SEED_CALIFORNIA_MSE = {"engine": 0.32, "sklearn_mlp": 0.33, "linear_regression": 0.56}
SEED_CALIFORNIA_CONFIG: dict[str, Any] = {
    "dataset": {"name": "california_housing", "test_fraction": 0.2, "seed": 42},
    "model": {"layers": [8, 20, 10, 1], "activation": "sigmoid", "output_activation": "linear",
              "loss": "mse", "init": "normal"},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 32, "shuffle": False},
    "seed": 42,
}


# -- 1 ---------------------------------------------------------------------
def worked_example(quick: bool, build: Build) -> LessonRun:
    trainer = build(WORKED_EXAMPLE_CONFIG)
    preview = trainer.step(apply=False)  # the numbers of the first Step, before the update
    c, g = preview.cache, preview.grads
    got = {"z0": c.z[0][0].tolist(), "yhat": float(c.a[1][0, 0]), "loss": g.loss,
           "delta1": g.delta[1][0].tolist(), "dW1": g.dW[1].tolist(), "db1": g.db[1].tolist(),
           "delta0": g.delta[0][0].tolist(), "dW0": g.dW[0].tolist(), "db0": g.db[0].tolist()}
    errors = {k: float(np.max(np.abs(np.subtract(got[k], v)))) for k, v in WORKED_EXAMPLE_NUMBERS.items()}
    err = max(errors.values())
    after = make_trainer(WORKED_EXAMPLE_CONFIG)  # the first Step applied, on a copy the learner does not see
    after.step()
    return LessonRun([("worked example", trainer)],
                     {"computed": got, "seed": WORKED_EXAMPLE_NUMBERS, "errors": errors, "max_abs_error": err,
                      "tolerance": EXACT_TOLERANCE, "matches": err < EXACT_TOLERANCE, "setup": PRESETS["worked-example"]["description"],
                      "W0_after": after.model.W[0].tolist()})


# -- 2 ---------------------------------------------------------------------
def _deep(activation: str, **extra: Any) -> dict[str, Any]:
    return {"dataset": {"name": "circles", "n_samples": 200},
            "model": {"layers": [2, 8, 8, 8, 8, 8, 8, 1], "activation": activation, "init": "xavier"},
            "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 16, **extra}, "seed": 0}


def vanishing_gradients(quick: bool, build: Build) -> LessonRun:
    epochs = 5 if quick else 30
    runs, measured = [], {"layers": [2, 8, 8, 8, 8, 8, 8, 1], "epochs": epochs}
    for act in ("sigmoid", "relu"):
        t = trained(_deep(act), epochs, build)
        norms = mean_grad_norms(t)
        measured[act] = {"grad_norms": norms, "first_over_last": norms[0] / norms[-1], **last_epoch(t)}
        runs.append((f"{act}, 6 hidden layers", t))
    measured["sigmoid_vs_relu"] = (measured["sigmoid"]["first_over_last"]
                                   / measured["relu"]["first_over_last"])
    measured["times_slower"] = round(1 / measured["sigmoid_vs_relu"])  # how many times more slowly sigmoid's first layer learns
    return LessonRun(runs, measured)


# -- 3 ---------------------------------------------------------------------
def exploding_gradients(quick: bool, build: Build) -> LessonRun:
    epochs = 10 if quick else 30
    runs, measured = [], {"learning_rate": 0.5, "clip_norm": 1.0, "epochs": epochs}
    base = {"dataset": {"name": "plane", "n_samples": 200},
            "model": {"layers": [2, 32, 32, 32, 32, 32, 32, 1], "activation": "relu", "init": "he"},
            "seed": 0}
    for label, clip in (("no clipping", None), ("clipped at norm 1", 1.0)):
        t = build({**base, "optimizer": {"learning_rate": 0.5, "batch_size": 16, "clip_norm": clip}})
        # The explosion happens within the first epoch, so per-epoch numbers show only its
        # aftermath (NaN): step through that epoch and keep each step's loss and global norm.
        first = [t.step() for _ in range(t.steps_per_epoch)]
        if t.finite:
            t.run_epochs(epochs - 1)
        key = "unclipped" if clip is None else "clipped"
        norms = [_global_norm(r.grads.flat) for r in first]
        finite = [n for n in norms if math.isfinite(n)]
        measured[key] = {**last_epoch(t), "epochs_run": len(t.history.train_loss),
                         "grad_norms": t.history.grad_norms,
                         "first_epoch": {"loss": [r.loss for r in first], "global_grad_norm": norms,
                                         "largest_grad_norm": max(finite) if finite else None}}
        runs.append((label, t))
    return LessonRun(runs, measured)


def _global_norm(g: Array) -> float:
    """``sqrt(sum_l ||dW[l]||^2 + ||db[l]||^2)``, before any clipping (NaN once diverged)."""
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.dot(g, g)))


# -- 4 ---------------------------------------------------------------------
def activations(quick: bool, build: Build) -> LessonRun:
    epochs = 10 if quick else 60
    runs, measured = [], {"dataset": "moons", "epochs": epochs}
    for act in ACTIVATIONS:
        t = trained({"dataset": {"name": "moons", "n_samples": 200, "noise": 0.1},
                    "model": {"layers": [2, 8, 8, 1], "activation": act, "init": "xavier"},
                    "optimizer": {"name": "adam", "learning_rate": 0.02, "batch_size": 16}, "seed": 0},
                   epochs, build)
        measured[act] = {**last_epoch(t), "test_accuracy": accuracy_of(t), "train_loss_curve": t.history.train_loss}
        runs.append((act, t))
    return LessonRun(runs, measured)


# -- 5 ---------------------------------------------------------------------
def hidden_units_identical(model: MLP) -> bool:
    """True when, in every hidden layer, all units have the same incoming
    weights and bias (so they compute the same function: symmetry unbroken)."""
    for W, b in zip(model.W[:-1], model.b[:-1]):
        if not (np.allclose(W, W[:1], rtol=0, atol=1e-12) and np.allclose(b, b[:1], rtol=0, atol=1e-12)):
            return False
    return True


def initialisation(quick: bool, build: Build) -> LessonRun:
    epochs = 10 if quick else 60
    runs, measured = [], {"dataset": "circles", "epochs": epochs}
    for init in ("zeros", "normal", "xavier", "he"):
        t = trained({"dataset": {"name": "circles", "n_samples": 200},
                    "model": {"layers": [2, 8, 8, 1], "activation": "tanh", "init": init},
                    "optimizer": {"learning_rate": 0.3, "batch_size": 16}, "seed": 0}, epochs, build)
        measured[init] = {**last_epoch(t), "test_accuracy": accuracy_of(t), "grad_norms": mean_grad_norms(t),
                          "hidden_units_identical": hidden_units_identical(t.model),
                          "train_loss_curve": t.history.train_loss}
        runs.append((init, t))
    return LessonRun(runs, measured)


# -- 6 ---------------------------------------------------------------------
def california_housing(quick: bool, build: Build) -> LessonRun:
    """The reference write-up's California-housing table, live: this engine, scikit-learn's MLPRegressor and
    LinearRegression, test MSE in original units."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_squared_error
    from sklearn.neural_network import MLPRegressor

    epochs = 5 if quick else 100
    t = trained(SEED_CALIFORNIA_CONFIG, epochs, build)
    data = t.data
    y_true = data.to_original_units(data.y_test)
    engine = mean_squared_error(y_true, data.to_original_units(t.model.predict(t.X_test)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Exactly the write-up's call (its defaults: relu, adam).
        mlp = MLPRegressor(hidden_layer_sizes=(20, 10), learning_rate_init=0.1, max_iter=epochs,
                           random_state=42).fit(data.X_train, data.y_train.ravel())
    sk = mean_squared_error(y_true, data.to_original_units(mlp.predict(data.X_test).reshape(-1, 1)))
    lin = LinearRegression().fit(data.X_train, data.y_train.ravel())
    lr = mean_squared_error(y_true, data.to_original_units(lin.predict(data.X_test).reshape(-1, 1)))
    return LessonRun([("this engine, [8, 20, 10, 1] sigmoid", t)], {
        "epochs": epochs, "units": "(100,000 USD)^2",
        "test_mse": {"engine": engine, "sklearn_mlp": sk, "linear_regression": lr},
        "seed_reported": SEED_CALIFORNIA_MSE,
    })


# -- 7 ---------------------------------------------------------------------
def digits(quick: bool, build: Build) -> LessonRun:
    runs, measured = [], {}
    for name, hidden, n, epochs in (("digits", 32, None, 5 if quick else 30),
                                    ("mnist_subset", 64, 2000 if quick else None, 2 if quick else 15)):
        t = trained({"dataset": {"name": name, "n_samples": n},
                    "model": {"layers": [64 if name == "digits" else 784, hidden, 10], "activation": "relu"},
                    "optimizer": {"name": "adam", "learning_rate": 0.005, "batch_size": 32}, "seed": 0},
                   epochs, build)
        measured[name] = {**last_epoch(t), "test_accuracy": accuracy_of(t), "confusion": confusion_of(t),
                          "image_shape": list(t.data.image_shape), "n_features_shown": hidden}
        runs.append((name, t))
    return LessonRun(runs, measured)


def loss_landscape(quick: bool, build: Build) -> LessonRun:
    n1, n2 = (21, 11) if quick else (41, 25)
    alphas = np.linspace(-1.0, 1.0, n1)
    grid = np.linspace(-1.0, 1.0, n2)
    runs, measured = [], {"alpha": alphas.tolist(), "grid": grid.tolist()}
    for label, layers in (("shallow", [2, 8, 1]), ("deep", [2, 8, 8, 8, 8, 8, 1])):
        t = trained({"dataset": {"name": "circles", "n_samples": 200},
                    "model": {"layers": layers, "activation": "relu"},
                    "optimizer": {"name": "adam", "learning_rate": 0.02, "batch_size": 16}, "seed": 0},
                   10 if quick else 40, build)
        rng = np.random.default_rng(1)
        d1, d2 = filter_normalised_direction(t.model, rng), filter_normalised_direction(t.model, rng)
        one = loss_slice(t.model, t.X, t.y, [d1], alphas[:, None])
        aa, bb = np.meshgrid(grid, grid)
        two = loss_slice(t.model, t.X, t.y, [d1, d2], np.column_stack([aa.ravel(), bb.ravel()]))
        centre = float(one[n1 // 2])
        measured[label] = {"layers": layers, "loss_1d": one.tolist(), "loss_2d": two.reshape(n2, n2).tolist(),
                           "centre_loss": centre,
                           # How much the loss rises half-way out, averaged over both sides.
                           "rise_at_half": float((one[n1 // 4] + one[3 * n1 // 4]) / 2 - centre)}
        runs.append((label, t))
    return LessonRun(runs, measured)


# -- 9 ---------------------------------------------------------------------
SIGMOID_TOLERANCE = 1e-9
"""sigma' against central differences with h = 1e-5: their own error is about h^2 = 1e-10."""
EXACT_TOLERANCE = 1e-12
"""Two ways to the same float64 numbers (the worked example, p - y) agree to round-off."""


def derivations(quick: bool, build: Build) -> LessonRun:
    sigmoid = ACTIVATIONS["sigmoid"]
    z = np.linspace(-6, 6, 241)
    h = 1e-5
    numeric = (sigmoid.f(z + h) - sigmoid.f(z - h)) / (2 * h)
    s = sigmoid.f(z)
    sig_err = float(np.max(np.abs(s * (1 - s) - numeric)))

    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 4))
    Y = np.eye(3)[rng.integers(0, 3, 5)]
    soft = MLP([4, 5, 3], "tanh", "softmax", "cross_entropy", "xavier", rng)
    cache = soft.forward(X)
    grads = soft.backward(cache, Y)
    p_minus_y = float(np.max(np.abs(grads.delta[-1] - (cache.a[-1] - Y) / len(X))))
    soft_check = gradient_check(soft, X, Y)

    three = build({"dataset": {"name": "inline", "X": X.tolist(), "y": Y[:, :2].tolist()},
                          "model": {"layers": [4, 6, 5, 2], "activation": "sigmoid", "init": "xavier"},
                          "optimizer": {"batch_size": 5}, "seed": 0})
    three_check = gradient_check(three.model, three.X, three.y)
    return LessonRun([("3-layer network", three)], {
        "sigmoid_derivative": {"max_abs_error": sig_err, "z_range": [-6, 6], "h": h, "tolerance": SIGMOID_TOLERANCE,
                               "holds": sig_err < SIGMOID_TOLERANCE},
        "softmax_cross_entropy": {"delta_equals_p_minus_y_over_m": p_minus_y, "tolerance": EXACT_TOLERANCE,
                                  "delta_holds": p_minus_y < EXACT_TOLERANCE,
                                  "gradcheck_max_rel_error": soft_check.max_rel_error,
                                  "passed": soft_check.passed},
        "three_layer": {"layers": [4, 6, 5, 2], "gradcheck_max_rel_error": three_check.max_rel_error,
                        "per_layer": [[c.W_rel_error, c.b_rel_error] for c in three_check.layers],
                        "passed": three_check.passed},
    })


# -- 10 --------------------------------------------------------------------
REMEDIES = (("plain", {}), ("batch norm", {"batch_norm": True}), ("residual", {"residual": True}))
"""Lesson 2's sigmoid network three ways: as it is, and with each of the write-up's two missing remedies."""
DROPOUT = 0.5


def _noisy(dropout: float) -> dict[str, Any]:
    """A small, noisy problem that a wide network can memorise."""
    return {"dataset": {"name": "moons", "n_samples": 60, "noise": 0.3, "test_fraction": 0.5},
            "model": {"layers": [2, 64, 64, 1], "activation": "relu", "dropout": dropout},
            "optimizer": {"name": "adam", "learning_rate": 0.01, "batch_size": 8}, "seed": 0}


def vanishing_gradients_cured(quick: bool, build: Build) -> LessonRun:
    epochs = 5 if quick else 30
    runs, measured = [], {"layers": [2, 8, 8, 8, 8, 8, 8, 1], "activation": "sigmoid", "epochs": epochs}
    for label, extra in REMEDIES:
        config = _deep("sigmoid")
        config["model"].update(extra)
        t = trained(config, epochs, build)
        norms = mean_grad_norms(t)
        measured[label] = {"grad_norms": norms, "first_over_last": norms[0] / norms[-1], **last_epoch(t)}
        runs.append((f"sigmoid, 6 hidden layers, {label}", t))
    plain = measured["plain"]["first_over_last"]
    # How many times each remedy raises the first layer's share of the gradient.
    measured["lift"] = {label: measured[label]["first_over_last"] / plain for label, _ in REMEDIES[1:]}

    noisy_epochs = 60 if quick else 150
    part = {"dataset": "moons, 60 samples, noise 0.3, half held out", "layers": [2, 64, 64, 1],
            "p": DROPOUT, "epochs": noisy_epochs}
    for label, p in (("no dropout", 0.0), ("dropout", DROPOUT)):
        t = trained(_noisy(p), noisy_epochs, build)
        # Both losses without dropout, at the final weights: what the network has learned.
        final = t.evaluate()
        part[label] = {**final, "gap": final["test_loss"] - final["train_loss"],
                       "train_loss_curve": t.history.train_loss, "test_loss_curve": t.history.test_loss}
        runs.append((label, t))
    part["gap_ratio"] = part["dropout"]["gap"] / part["no dropout"]["gap"]
    measured["dropout"] = part
    return LessonRun(runs, measured)


LESSONS: dict[str, Lesson] = {
    lesson.name: lesson
    for lesson in (
        Lesson("worked-example", "The worked example, stepped through",
               "The derivation's two-layer ReLU network on one sample, x = [1, 2], y = 1. Press Step and walk "
               "the trace: z = [0.5, 1.1], yhat = 0.91, loss 0.00405, the output error -0.09 travelling "
               "back through W.T to [-0.045, -0.054], and every dW as an outer product.", worked_example),
        Lesson("vanishing-gradients", "Vanishing gradients: sigmoid against ReLU",
               "The same six-hidden-layer network with sigmoid and with ReLU. Look at the gradient-norm "
               "chart on a log scale: under sigmoid the first layer's gradient is thousands of times "
               "smaller than the last one's, because every layer multiplies it by sigma' <= 0.25; under "
               "ReLU the layers learn at comparable rates.", vanishing_gradients),
        Lesson("exploding-gradients", "Exploding gradients and gradient clipping",
               "A deep ReLU network with a large learning rate: without clipping one step's gradient "
               "is huge, the weights jump, and the loss becomes NaN within the first epoch. Clipping the "
               "global gradient norm to 1 keeps every step bounded and the run finite.",
               exploding_gradients),
        Lesson("activations", "Activations compared",
               "One problem (two moons), one architecture, every hidden activation. Compare the loss "
               "curves: the linear network can only draw a straight boundary, sigmoid learns slowest, "
               "ReLU and tanh fastest.", activations),
        Lesson("initialisation", "Initialisations compared",
               "Zeros, normal, Xavier and He on the same tanh network. With zeros every hidden unit "
               "receives the same gradient, so they stay identical forever and the network is stuck; "
               "random initialisations break the symmetry.", initialisation),
        Lesson("california-housing", "California housing: the reference write-up's table, live",
               "The reference write-up's California-housing experiment: [8, 20, 10, 1], sigmoid, SGD at 0.1, "
               "batch 32, standardised data, an 80/20 split. Test MSE in original units for this engine, "
               "scikit-learn's MLPRegressor and LinearRegression, beside the write-up's 0.32, 0.33 and 0.56.",
               california_housing),
        Lesson("digits", "Digits and MNIST: accuracy, confusion, learned features",
               "A one-hidden-layer softmax network on scikit-learn's 8x8 digits and on 10,000 real MNIST "
               "digits. Look at the confusion matrix (which digits are mistaken for which) and at the "
               "first layer's weights drawn as images: strokes and blobs the network learned to detect.",
               digits),
        Lesson("loss-landscape", "The loss landscape, shallow and deep",
               "Slices of the loss around the trained weights along random filter-normalised "
               "directions (Li et al., 2018), in 1-D and 2-D, for a shallow and a deep network: the "
               "deep network's minimum sits in a more rugged landscape.", loss_landscape),
        Lesson("derivations", "Derivations, checked numerically",
               "The derivation as numbers: sigma' = sigma (1 - sigma) against finite "
               "differences, the softmax + cross-entropy output delta p - y by gradient check, and a "
               "three-layer network's backprop by gradient check.", derivations),
        Lesson("vanishing-gradients-cured", "Vanishing gradients cured: batch norm and residual connections",
               "Lesson 2's six-hidden-layer sigmoid network trained three ways: plain, with batch norm and "
               "with residual connections. Compare the gradient-norm charts: plain, the first layer gets "
               "thousands of times less gradient than the last; batch norm lifts that ratio thousands of "
               "times and the skips hundreds of times. Then dropout on a small, noisy dataset: the gap "
               "between train and test loss shrinks.", vanishing_gradients_cured,
               FollowUp("Where does batch norm's help come from? Open its session, take a Step and read one "
                        "weight's chain rule: its delta goes through gamma, z_hat and the batch's mean and "
                        "variance, with dgamma and dbeta beside dW.",
                        "Open the chain rule on the batch-norm session",
                        f"sigmoid, 6 hidden layers, {REMEDIES[1][0]}", "chain-rule")),
    )
}
"""Every lesson, in the order the page lists them."""


def run_lesson(name: str, quick: bool = False, build: Build = make_trainer) -> LessonRun:
    """Run a lesson by name; unknown names list the choices. ``build(config)`` makes each
    trainer (the server passes its own, with its data folder and undo bounds)."""
    try:
        lesson = LESSONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"name: unknown lesson {name!r}; choose one of {', '.join(LESSONS)}") from None
    run = lesson.run(quick, build)
    plain_numbers(run.measured)
    return run
