"""The PyTorch script (torch.nn.Linear, autograd, torch.optim where its formula is the
engine's) prints the session's own next N steps to 1e-10. torch is in the test extras, so
these run wherever the suite does (the script runs in a child process)."""
from __future__ import annotations

import pytest

from codegen_testkit import (BATCH_NORM_CASES, CASES, DROPOUT_CASES, FLOAT32, PYTORCH_TERMS, REMEDY_CASES,
                             assert_same, parts_from)

pytestmark = pytest.mark.subprocess  # each case runs the exported script in a child Python

TORCH_CASES = ["sgd", "momentum-l2-clip", "nesterov", "adam-l2-clip", "step-schedule", "invscaling",
               "momentum-invscaling", "features", "leaky_relu", "sigmoid-hidden", "tanh", "linear-hidden",
               "sigmoid-mse", "softmax-cross-entropy", "real-diabetes-step", "inline",
               "inline-split-standardized-classes"]


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", TORCH_CASES)
def test_pytorch_script_takes_the_sessions_next_steps(export_and_run, name, steps):
    run = export_and_run(CASES[name], steps, "pytorch", before=7)
    assert_same(run.got, run.want)


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(REMEDY_CASES))
def test_pytorch_script_with_the_remedies_it_reproduces(export_and_run, name, steps):
    run = export_and_run(REMEDY_CASES[name], steps, "pytorch", before=7)
    assert_same(run.got, run.want)


def test_pytorch_script_uses_torch_optim_where_it_matches(export_and_run):
    sgd = export_and_run(CASES["sgd"], 1, "pytorch").source
    assert "torch.optim.SGD(params, lr=1.0)" in sgd and "torch.nn.Linear" in sgd and ".backward()" in sgd
    momentum = export_and_run(CASES["nesterov"], 1, "pytorch").source
    assert "momentum=MU, nesterov=NESTEROV" in momentum
    adam = export_and_run(CASES["adam-l2-clip"], 1, "pytorch").source
    assert "torch.optim.Adam" in adam and "By hand" in adam and "clip_grad_norm_" in adam


def test_pytorch_float32_agrees_to_float32_rounding(export_and_run):
    # torch's float32 kernels sum in their own order: within 1e-5 (float32's epsilon is 1.2e-7).
    run = export_and_run(FLOAT32, 20, "pytorch", before=3)
    assert "TORCH_DTYPE = torch.float32" in run.source
    assert_same(run.got, run.want, tol=1e-5)


def test_pytorch_after_whole_epochs(export_and_run):
    run = export_and_run(CASES["step-schedule"], 20, "pytorch", epochs=2)
    assert_same(run.got, run.want)


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(DROPOUT_CASES))
def test_pytorch_script_with_dropout_draws_the_sessions_masks(export_and_run, name, steps):
    run = export_and_run(DROPOUT_CASES[name], steps, "pytorch", before=7)
    assert "masks = draw_masks(len(rows))" in run.source
    assert_same(run.got, run.want)


@pytest.mark.parametrize("steps", [1, 20])
@pytest.mark.parametrize("name", list(BATCH_NORM_CASES))
def test_pytorch_script_with_batch_norm(export_and_run, name, steps):
    run = export_and_run(BATCH_NORM_CASES[name], steps, "pytorch", before=7)
    assert "def batch_norm(z, l, train, stats):" in run.source and "torch.nn.ParameterList" in run.source
    assert_same(run.got, run.want)


def test_pytorch_script_with_every_remedy_after_whole_epochs(export_and_run):
    run = export_and_run(BATCH_NORM_CASES["all-remedies"], 20, "pytorch", epochs=2)
    assert_same(run.got, run.want)


def test_pytorch_script_parts_from_the_session_when_a_term_is_dropped(export_and_run, run_edited):
    run = export_and_run(BATCH_NORM_CASES["all-remedies"], 3, "pytorch", before=7)
    assert_same(run.got, run.want)
    unseen = [name for name, (old, new) in PYTORCH_TERMS.items()
              if not parts_from(run_edited(run.source, old, new), run.want)]
    assert unseen == []
