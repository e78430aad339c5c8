"""What each lesson teaches, asserted on the engine side (quick mode)."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_lessons import LESSONS, SEED_CALIFORNIA_MSE, hidden_units_identical, run_lesson
from mlp_engine.model import MLP

ORDER = ["worked-example", "vanishing-gradients", "exploding-gradients", "activations",
         "initialisation", "california-housing", "digits", "loss-landscape", "derivations",
         "vanishing-gradients-cured"]


def test_lessons_are_listed_in_the_issue_order():
    assert list(LESSONS) == ORDER
    for lesson in LESSONS.values():
        assert lesson.title and len(lesson.summary) > 80


def test_worked_example_reproduces_every_seed_number():
    run = run_lesson("worked-example", quick=True)
    assert run.measured["matches"] and run.measured["max_abs_error"] < 1e-12
    (label, trainer), = run.runs
    assert trainer.step_count == 0  # the learner does the stepping


def test_vanishing_gradients_sigmoid_first_layer_starves():
    m = run_lesson("vanishing-gradients", quick=True).measured
    # First-to-last gradient-norm ratio under sigmoid is >= 100x smaller than under ReLU.
    assert m["sigmoid"]["first_over_last"] / m["relu"]["first_over_last"] <= 1e-2
    assert m["sigmoid_vs_relu"] == pytest.approx(m["sigmoid"]["first_over_last"] / m["relu"]["first_over_last"])
    assert len(m["sigmoid"]["grad_norms"]) == 7


def test_clipping_keeps_finite_a_run_that_diverges_without_it():
    m = run_lesson("exploding-gradients", quick=True).measured
    assert m["unclipped"]["finite"] is False
    assert m["clipped"]["finite"] is True and m["clipped"]["epochs_run"] == m["epochs"]
    assert np.isfinite(m["clipped"]["train_loss"])


def test_activations_lesson_compares_every_activation():
    run = run_lesson("activations", quick=True)
    assert [label for label, _ in run.runs] == ["relu", "leaky_relu", "sigmoid", "tanh", "linear"]
    for act in ("relu", "tanh"):
        curve = run.measured[act]["train_loss_curve"]
        assert curve[-1] < curve[0]


def test_zeros_initialisation_keeps_hidden_units_identical():
    m = run_lesson("initialisation", quick=True).measured
    assert m["zeros"]["hidden_units_identical"] is True
    for init in ("normal", "xavier", "he"):
        assert m[init]["hidden_units_identical"] is False
    assert m["he"]["train_loss"] < m["zeros"]["train_loss"]


def test_hidden_units_identical_detects_a_broken_symmetry():
    model = MLP([2, 3, 1], init="zeros")
    assert hidden_units_identical(model)
    model.W[0][1, 0] = 0.5
    assert not hidden_units_identical(model)


def test_california_lesson_reports_all_three_models_in_original_units():
    m = run_lesson("california-housing", quick=True).measured
    assert set(m["test_mse"]) == {"engine", "sklearn_mlp", "linear_regression"}
    assert m["seed_reported"] == SEED_CALIFORNIA_MSE
    # LinearRegression's test MSE does not depend on epochs: the seed's 0.56.
    assert m["test_mse"]["linear_regression"] == pytest.approx(0.5559, abs=1e-3)
    assert m["test_mse"]["engine"] < m["test_mse"]["linear_regression"] * 1.2


def test_digits_lesson_learns_and_shows_confusion():
    m = run_lesson("digits", quick=True).measured
    assert m["digits"]["test_accuracy"] > 0.85
    assert m["mnist_subset"]["test_accuracy"] > 0.6
    conf = np.array(m["digits"]["confusion"])
    assert conf.shape == (10, 10) and np.trace(conf) / conf.sum() == pytest.approx(m["digits"]["test_accuracy"])
    assert m["mnist_subset"]["image_shape"] == [28, 28]


def test_loss_landscape_is_lowest_near_the_trained_weights():
    run = run_lesson("loss-landscape", quick=True)
    m = run.measured
    for label in ("shallow", "deep"):
        one = np.array(m[label]["loss_1d"])
        assert one.shape == (len(m["alpha"]),)
        assert m[label]["centre_loss"] <= one.max()
        assert m[label]["rise_at_half"] > 0
        two = np.array(m[label]["loss_2d"])
        assert two.shape == (len(m["grid"]), len(m["grid"]))
        # The 2-D slice through the centre equals the trained objective.
        c = len(m["grid"]) // 2
        trainer = dict(run.runs)[label]
        assert two[c, c] == pytest.approx(trainer.model.objective(trainer.X, trainer.y), rel=1e-9)


def test_derivations_check_out_numerically():
    m = run_lesson("derivations", quick=True).measured
    assert m["sigmoid_derivative"]["max_abs_error"] < 1e-9
    assert m["softmax_cross_entropy"]["delta_equals_p_minus_y_over_m"] < 1e-15
    assert m["softmax_cross_entropy"]["passed"] and m["three_layer"]["passed"]
    assert m["three_layer"]["gradcheck_max_rel_error"] < 1e-7


def test_unknown_lesson_names_the_choices():
    with pytest.raises(ValueError, match="name: unknown lesson 'nope'; choose one of worked-example"):
        run_lesson("nope")


def test_batch_norm_and_residual_each_lift_sigmoids_first_to_last_ratio_100_fold():
    m = run_lesson("vanishing-gradients-cured", quick=True).measured
    plain = m["plain"]["first_over_last"]
    assert plain < 1e-3  # lesson 2's starving first layer
    for remedy in ("batch norm", "residual"):
        assert m[remedy]["first_over_last"] >= 100 * plain
        assert m["lift"][remedy] == pytest.approx(m[remedy]["first_over_last"] / plain)
        assert len(m[remedy]["grad_norms"]) == 7 and m[remedy]["finite"]
    d = m["dropout"]
    for label in ("no dropout", "dropout"):
        assert d[label]["gap"] == pytest.approx(d[label]["test_loss"] - d[label]["train_loss"])
    assert d["dropout"]["gap"] < d["no dropout"]["gap"] / 2  # dropout narrows the train-test gap
