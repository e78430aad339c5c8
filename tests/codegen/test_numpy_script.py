"""The NumPy script, run in a subprocess, prints the session's own next N steps to 1e-10."""
from __future__ import annotations

import pytest

from codegen_testkit import CASES, DROPOUT_CASES, FLOAT32, REMEDY_CASES, assert_same

pytestmark = pytest.mark.subprocess  # each case runs the exported script in a child Python


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(CASES))
def test_numpy_script_takes_the_sessions_next_steps(export_and_run, name, steps):
    # Seven steps first: mid-epoch, with the optimizer's state (velocity, moments) not zero.
    run = export_and_run(CASES[name], steps, "numpy", before=7)
    assert_same(run.got, run.want)


def test_a_fresh_session_first_step(export_and_run):
    run = export_and_run(CASES["adam-l2-clip"], 1, "numpy", before=0)
    assert "No update yet: both moments start at zero." in run.source
    assert_same(run.got, run.want)


def test_float32_agrees_to_float32_rounding(export_and_run):
    # The same operations in float32 round differently wherever NumPy's BLAS sums in
    # another order; 20 steps of float32 stay within about 1e-6 relative of each other
    # (float32's epsilon is 1.2e-7), so that is the bound held here.
    run = export_and_run(FLOAT32, 20, "numpy", before=3)
    assert "DTYPE = np.float32" in run.source
    assert_same(run.got, run.want, tol=1e-5)


def test_after_whole_epochs_at_an_epoch_boundary(export_and_run):
    # Two epochs trained, none begun: the script draws the next order from the copied generator.
    run = export_and_run(CASES["step-schedule"], 20, "numpy", epochs=2)
    assert "order = None" in run.source
    assert_same(run.got, run.want)


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(REMEDY_CASES))
def test_numpy_script_with_the_remedies_it_reproduces(export_and_run, name, steps):
    # L1 (alone, with L2), a hidden activation per layer, residual connections.
    run = export_and_run(REMEDY_CASES[name], steps, "numpy", before=7)
    assert_same(run.got, run.want)


def test_l1_leaves_a_weight_at_zero_where_sign_0_is_0(export_and_run):
    # Hidden unit 2 has no weights in and no bias: relu'(0) = 0 stops the data's gradient,
    # so only l1 sign(0) could move its weights; sign(0) = 0 keeps them at 0 (and +-1 would not).
    run = export_and_run(REMEDY_CASES["l1-zero-weight"], 20, "numpy", before=7)
    assert "L1 = 0.02" in run.source and "np.sign(w)" in run.source
    assert run.want["params"][0]["W"][2] == [0.0, 0.0]
    assert_same(run.got, run.want)


def test_residual_script_adds_the_skip_where_widths_agree(export_and_run):
    run = export_and_run(REMEDY_CASES["residual-mixed-widths-l1-l2"], 1, "numpy")
    assert "SKIP = [False, True, False, True]" in run.source
    assert "HIDDEN = [hidden_relu, hidden_tanh, hidden_sigmoid, hidden_tanh]" in run.source
    assert_same(run.got, run.want)


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(DROPOUT_CASES))
def test_numpy_script_with_dropout_draws_the_sessions_masks(export_and_run, name, steps):
    run = export_and_run(DROPOUT_CASES[name], steps, "numpy", before=7)
    assert "masks = draw_masks(Xb.shape[0])" in run.source
    assert_same(run.got, run.want)


def test_numpy_script_with_dropout_after_whole_epochs(export_and_run):
    run = export_and_run(DROPOUT_CASES["dropout"], 20, "numpy", epochs=2)
    assert_same(run.got, run.want)

