"""Batch norm, and every remedy together, in both scripts: each prints the session's own next N
steps to 1e-10 (with batch norm also gamma, beta, the running estimates and the evaluation-mode
output), and parts from the session when any one term of the remedies is taken out of its text."""
from __future__ import annotations

import pytest

from codegen_testkit import BATCH_NORM_CASES, NUMPY_TERMS, PYTORCH_TERMS, assert_same, parts_from

pytestmark = pytest.mark.subprocess  # each case runs the exported script in a child Python

TERMS = {"numpy": NUMPY_TERMS, "pytorch": PYTORCH_TERMS}
# What each script's batch norm is written as (the NumPy one backward by hand, the PyTorch one for autograd).
BATCH_NORM = {"numpy": ("def batch_norm(z, l, train):", "update_running(cache, Xb.shape[0])"),
              "pytorch": ("def batch_norm(z, l, train, stats):", "torch.nn.ParameterList")}


@pytest.mark.parametrize("framework", list(TERMS))
@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(BATCH_NORM_CASES))
def test_batch_norm_and_every_remedy_take_the_sessions_next_steps(export_and_run, name, steps, framework):
    run = export_and_run(BATCH_NORM_CASES[name], steps, framework, before=7)
    assert all(part in run.source for part in BATCH_NORM[framework])
    assert_same(run.got, run.want)


@pytest.mark.parametrize("framework", list(TERMS))
def test_every_remedy_after_whole_epochs(export_and_run, framework):
    run = export_and_run(BATCH_NORM_CASES["all-remedies"], 20, framework, epochs=2)
    assert_same(run.got, run.want)


@pytest.mark.parametrize("framework", list(TERMS))
def test_the_script_parts_from_the_session_when_a_term_is_dropped(export_and_run, run_edited, framework):
    run = export_and_run(BATCH_NORM_CASES["all-remedies"], 3, framework, before=7)
    assert_same(run.got, run.want)
    unseen = [name for name, (old, new) in TERMS[framework].items()
              if not parts_from(run_edited(run.source, old, new), run.want)]
    assert unseen == []
