"""The NumPy script, run in a subprocess, prints the session's own next N steps to 1e-10."""
from __future__ import annotations

import pytest

from codegen_testkit import CASES, FLOAT32, assert_same

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
