"""The trainer: learning XOR, reproducibility, save/load/continue bit for bit,
divergence reported (never raised), float32, deep nets, history bookkeeping."""
from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

from engine_testkit import checkable_case
from mlp_engine import Trainer, gradient_check, make_trainer

XOR_4 = {"name": "inline", "X": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": [[0], [1], [1], [0]],
         "task": "classification"}


def accuracy(trainer: Trainer) -> float:
    p = trainer.model.predict(trainer.X)
    return float(((p > 0.5) == (trainer.y > 0.5)).mean())


def test_learns_the_four_point_xor_to_100_percent() -> None:
    trainer = make_trainer({
        "dataset": XOR_4,
        "model": {"layers": [2, 4, 1], "activation": "tanh", "output_activation": "sigmoid",
                  "loss": "binary_cross_entropy", "init": "xavier"},
        "optimizer": {"name": "sgd", "learning_rate": 0.5, "batch_size": 4}, "seed": 0})
    assert accuracy(trainer) < 1.0
    trainer.run_epochs(1000)
    assert accuracy(trainer) == 1.0
    assert trainer.history.train_loss[-1] < 0.05 < trainer.history.train_loss[0]


def test_learns_the_xor_dataset_to_100_percent() -> None:
    trainer = make_trainer({"dataset": {"name": "xor", "noise": 0.0, "n_samples": 200}, "seed": 0,
                            "model": {"layers": [2, 8, 8, 1], "activation": "tanh"},
                            "optimizer": {"name": "adam", "learning_rate": 0.01}})
    trainer.run_epochs(100)
    assert accuracy(trainer) == 1.0


def run_record(cfg: dict[str, Any], epochs: int = 3) -> tuple[np.ndarray, dict]:
    trainer = make_trainer(cfg)
    trainer.run_epochs(epochs)
    return trainer.model.params.flat.copy(), trainer.history.as_dict()


def test_same_seed_same_run_bit_for_bit_and_another_seed_differs() -> None:
    cfg = {"dataset": {"name": "moons", "noise": 0.2}, "seed": 5, "optimizer": {"name": "momentum"}}
    p1, h1 = run_record(cfg)
    p2, h2 = run_record(cfg)
    np.testing.assert_array_equal(p1, p2)
    assert h1 == h2
    p3, h3 = run_record({**cfg, "seed": 6})
    assert not np.array_equal(p1, p3) and h1 != h3


OPTIMIZER_CONFIGS = {
    "sgd": {"name": "sgd", "learning_rate": 0.2},
    "momentum": {"name": "momentum", "learning_rate": 0.05, "momentum": 0.9},
    "nesterov": {"name": "momentum", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    "adam": {"name": "adam", "learning_rate": 0.01},
    "adam+l2+clip": {"name": "adam", "learning_rate": 0.01, "l2": 0.01, "clip_norm": 0.5},
}


def advance(trainer: Trainer, steps: int, epochs: int) -> None:
    for _ in range(steps):
        trainer.step()
    if epochs:
        trainer.run_epochs(epochs)


def through_json(trainer: Trainer) -> Trainer:
    text = json.dumps(trainer.state_dict(), allow_nan=False)
    return Trainer.from_state(json.loads(text))


@pytest.mark.parametrize("cut_steps", [0, 3, 7], ids=["epoch-boundary", "mid-epoch", "mid-epoch-late"])
@pytest.mark.parametrize("opt", list(OPTIMIZER_CONFIGS))
def test_save_load_continue_equals_an_uninterrupted_run(opt: str, cut_steps: int) -> None:
    cfg = {"dataset": {"name": "spiral", "n_samples": 150, "noise": 0.05}, "seed": 11,
           "model": {"layers": [2, 6, 5, 1], "activation": "tanh"},
           "optimizer": {**OPTIMIZER_CONFIGS[opt], "batch_size": 16}}
    whole = make_trainer(cfg)
    advance(whole, 8 + cut_steps, 0)
    advance(whole, 5, 2)

    first = make_trainer(cfg)
    advance(first, 8 + cut_steps, 0)  # 8 steps of 8 per epoch: an epoch ends at the cut when 0
    resumed = through_json(first)
    advance(resumed, 5, 2)

    np.testing.assert_array_equal(resumed.model.params.flat, whole.model.params.flat)
    assert resumed.history.as_dict() == whole.history.as_dict()
    assert (resumed.epoch, resumed.step_count, resumed.position) == (whole.epoch, whole.step_count, whole.position)
    assert json.dumps(resumed.state_dict()) == json.dumps(whole.state_dict())


def test_save_load_keeps_float32_and_the_config() -> None:
    cfg = {"dataset": {"name": "circles"}, "seed": 3, "model": {"dtype": "float32"},
           "optimizer": {"name": "momentum", "nesterov": True}}
    trainer = make_trainer(cfg)
    trainer.run_epochs(1)
    trainer.step()
    clone = through_json(trainer)
    assert clone.model.params.flat.dtype == np.float32
    assert clone.config == trainer.config
    for t in (trainer, clone):
        t.run_epochs(2)
    np.testing.assert_array_equal(clone.model.params.flat, trainer.model.params.flat)


def test_state_must_be_a_known_version() -> None:
    with pytest.raises(ValueError, match="version"):
        Trainer.from_state({"version": 999})


DIVERGING = [  # one per loss; hidden layers that do not saturate, so the loss does overflow
    ({"name": "sine"}, {"activation": "relu"}),
    ({"name": "moons"}, {"activation": "linear"}),
    ({"name": "digits", "n_samples": 300}, {"layers": [64, 16, 10], "activation": "linear"}),
    ({"name": "california_housing", "n_samples": 500}, {"activation": "sigmoid"}),
    ({"name": "plane"}, {"activation": "linear", "dtype": "float32"}),
]


@pytest.mark.parametrize("dataset, model", DIVERGING, ids=[d["name"] for d, _ in DIVERGING])
def test_divergence_is_reported_not_raised(dataset: dict, model: dict) -> None:
    cfg = {"dataset": dataset, "model": model, "seed": 0,
           "optimizer": {"name": "sgd", "learning_rate": 1e6, "batch_size": 8}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning leaking from NumPy fails the test
        trainer = make_trainer(cfg)
        records = trainer.run_epochs(10)
        assert not records[-1].finite and len(records) < 10  # stops after the first bad epoch
        result = trainer.step()
        assert not result.finite
        preview = trainer.step(apply=False)
        assert not preview.finite
        ev = trainer.evaluate()
        # The loss overflows (inf) or the parameters themselves became NaN/inf.
        assert not (np.isfinite(ev["train_loss"]) and trainer.finite)
        state = json.loads(json.dumps(trainer.state_dict(), allow_nan=False))
        clone = Trainer.from_state(state)
        np.testing.assert_array_equal(clone.model.params.flat, trainer.model.params.flat)
        assert gradient_check(trainer.model, trainer.X[:4], trainer.y[:4]).passed is False


def test_float32_trains() -> None:
    trainer = make_trainer({"dataset": {"name": "moons", "noise": 0.1}, "seed": 1,
                            "model": {"layers": [2, 16, 16, 1], "activation": "tanh", "dtype": "float32"},
                            "optimizer": {"name": "adam", "learning_rate": 0.01}})
    records = trainer.run_epochs(60)
    assert trainer.model.params.flat.dtype == np.float32
    assert trainer.model.predict(trainer.X).dtype == np.float32
    assert all(r.finite for r in records)
    assert records[-1].train_loss < 0.3 * records[0].train_loss
    assert accuracy(trainer) > 0.97


def test_at_least_ten_weight_layers_work() -> None:
    layers = [3] + [4] * 10 + [2]  # 11 weight layers
    model, X, y = checkable_case(layers, "tanh", "linear", "mse", m=6)
    assert model.n_layers == 11
    assert gradient_check(model, X, y).max_rel_error < 1e-7
    trainer = make_trainer({"dataset": {"name": "moons"}, "seed": 0,
                            "model": {"layers": [2] + [8] * 11 + [1], "activation": "tanh", "init": "xavier"},
                            "optimizer": {"name": "adam", "learning_rate": 0.005}})
    records = trainer.run_epochs(40)
    assert len(records[-1].grad_norms) == 12
    assert records[-1].train_loss < 0.5 * records[0].train_loss and accuracy(trainer) > 0.9


def test_history_is_the_mean_over_the_epochs_steps() -> None:
    cfg = {"dataset": {"name": "gaussians", "n_samples": 90}, "seed": 4,
           "optimizer": {"batch_size": 16, "l2": 0.01}}
    trainer = make_trainer(cfg)
    n = trainer.n_train  # 72 rows: 4 steps of 16 and one of 8
    results = []
    while True:
        r = trainer.step()
        results.append(r)
        if r.epoch_finished:
            break
    assert [len(r.indices) for r in results] == [16, 16, 16, 16, 8] and trainer.steps_per_epoch == 5
    assert sorted(np.concatenate([r.indices for r in results]).tolist()) == list(range(n))
    rec = results[-1].epoch_finished
    assert rec.epoch == 1 and trainer.epoch == 1
    expected_train = sum(r.loss * len(r.indices) for r in results) / n
    assert rec.train_loss == pytest.approx(expected_train, rel=1e-14)
    np.testing.assert_allclose(rec.grad_norms, np.mean([r.grads.grad_norm for r in results], axis=0), rtol=1e-14)
    assert rec.test_loss == pytest.approx(trainer.model.objective(trainer.X_test, trainer.y_test), rel=1e-14)
    assert trainer.history.as_dict() == {"train_loss": [rec.train_loss], "test_loss": [rec.test_loss],
                                         "grad_norms": [rec.grad_norms]}
    # run_epochs does the same arithmetic as stepping by hand.
    other = make_trainer(cfg)
    other.run_epochs(1)
    assert other.history.as_dict() == trainer.history.as_dict()
    np.testing.assert_array_equal(other.model.params.flat, trainer.model.params.flat)


def test_step_on_given_indices_leaves_the_epoch_order_alone() -> None:
    cfg = {"dataset": {"name": "circles"}, "seed": 9}
    a, b = make_trainer(cfg), make_trainer(cfg)
    r = a.step(indices=[5, 1, 5])
    np.testing.assert_array_equal(r.X, a.X[[5, 1, 5]])
    assert r.applied and a.position == 0 and a.step_count == 1
    a.model.params.flat[...] = b.model.params.flat  # undo the update, keep the position
    a.run_epochs(1)
    b.run_epochs(1)
    np.testing.assert_array_equal(a.model.params.flat, b.model.params.flat)


@pytest.mark.parametrize("indices, message", [([], "non-empty"), ([0, 10_000], "every index"),
                                              ([-1], "every index"), (["a"], "integers")])
def test_bad_indices_are_refused(indices, message: str) -> None:
    trainer = make_trainer({"dataset": {"name": "xor"}})
    with pytest.raises(ValueError, match=f"indices: .*{message}"):
        trainer.step(indices=indices)


@pytest.mark.parametrize("count", [0, -1, 1.5, True])
def test_bad_epoch_counts_are_refused(count) -> None:
    with pytest.raises(ValueError, match="count"):
        make_trainer({"dataset": {"name": "xor"}}).run_epochs(count)


def test_layers_must_fit_the_dataset() -> None:
    with pytest.raises(ValueError, match=r"model.layers: the dataset has 2 features and 1 outputs"):
        make_trainer({"dataset": {"name": "xor"}, "model": {"layers": [3, 4, 1]}})


def test_large_training_sets_gathered_per_minibatch_train_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large training set is gathered one minibatch at a time instead of once
    per epoch; the run, and saving mid-epoch, must not notice."""
    import mlp_engine.trainer as training

    cfg = {"dataset": {"name": "moons", "n_samples": 120}, "seed": 8, "optimizer": {"name": "adam", "batch_size": 10}}
    per_epoch = make_trainer(cfg)
    advance(per_epoch, 4, 2)
    monkeypatch.setattr(training, "EPOCH_GATHER_BYTES", 0)
    per_batch = make_trainer(cfg)
    advance(per_batch, 4, 0)
    per_batch = through_json(per_batch)
    advance(per_batch, 0, 2)
    assert per_batch._X_epoch is None
    np.testing.assert_array_equal(per_batch.model.params.flat, per_epoch.model.params.flat)
    assert per_batch.history.as_dict() == per_epoch.history.as_dict()
