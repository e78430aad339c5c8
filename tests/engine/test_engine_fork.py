"""fork_trainer: a counterfactual trainer with the same data, order and (where shapes agree) start."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import make_trainer
from mlp_engine.fork import fork_trainer, merge

CONFIG = {"dataset": {"name": "moons", "n_samples": 80}, "model": {"layers": [2, 4, 3, 1]},
          "optimizer": {"name": "adam", "batch_size": 8}, "seed": 5}


def test_merge_applies_nested_overrides_and_ignores_none():
    base = {"model": {"layers": [2, 4, 1], "activation": "relu"}, "optimizer": {"schedule": {"name": "constant"}}}
    out = merge(base, {"model": {"activation": "tanh", "init": None}, "optimizer": {"schedule": {"name": "step"}}})
    assert out == {"model": {"layers": [2, 4, 1], "activation": "tanh"}, "optimizer": {"schedule": {"name": "step"}}}
    assert base["model"]["activation"] == "relu"  # the original is left alone


def test_identity_fork_trains_like_the_original():
    a = make_trainer(CONFIG)
    b = fork_trainer(a.config, a.data, {})
    assert b.config == a.config and b.data is a.data
    ra, rb = a.run_epochs(3), b.run_epochs(3)
    assert [r.train_loss for r in ra] == [r.train_loss for r in rb]
    assert all(np.array_equal(x, y) for x, y in zip(a.model.W, b.model.W))


def test_a_deeper_fork_inherits_the_layers_whose_shapes_agree_and_resets_to_them():
    a = make_trainer(CONFIG)
    W0 = [w.copy() for w in a.model.W]
    b = fork_trainer(a.config, a.data, {"model": {"layers": [2, 4, 5, 1]}})
    assert np.array_equal(b.model.W[0], W0[0]) and b.model.W[1].shape == (5, 4)
    again = make_trainer(b.config, b.data)  # what the fork's reset builds
    assert all(np.array_equal(x, y) for x, y in zip(again.model.W, b.model.W))
    sa, sb = a.step(), b.step()
    assert np.array_equal(sa.indices, sb.indices)


def test_the_data_and_seed_cannot_be_overridden():
    a = make_trainer(CONFIG)
    with pytest.raises(ValueError, match="overrides.dataset"):
        fork_trainer(a.config, a.data, {"dataset": {"name": "xor"}})
    with pytest.raises(ValueError, match="overrides.seed"):
        fork_trainer(a.config, a.data, {"seed": 1})
