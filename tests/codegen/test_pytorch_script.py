"""The PyTorch script (torch.nn.Linear, autograd, torch.optim where its formula is the
engine's) prints the session's own next N steps to 1e-10. torch is in the test extras, so
these run wherever the suite does (the script runs in a child process)."""
from __future__ import annotations

import pytest

from codegen_testkit import CASES, DROPOUT_CASES, FLOAT32, REMEDY_CASES, assert_same

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

