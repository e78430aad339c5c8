"""Sessions with dropout and batch norm: export, import and continue bit for bit,
undo restores the running estimates and the masks' generator, and a crafted
state is refused by the state check, naming the field."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from mlp_engine import StateError, Trainer, make_trainer

REMEDIES = {"dataset": {"name": "moons", "n_samples": 60}, "seed": 5,
            "model": {"layers": [2, 6, 6, 1], "activation": ["tanh", "relu"], "dropout": 0.25,
                      "batch_norm": True, "residual": True},
            "optimizer": {"name": "adam", "batch_size": 8, "l1": 0.001, "l2": 0.001}}


def _roundtrip(t: Trainer) -> Trainer:
    return Trainer.from_state(json.loads(json.dumps(t.state_dict())))


def _same(a: Trainer, b: Trainer) -> None:
    np.testing.assert_array_equal(a.model.params.flat, b.model.params.flat)
    for ra, rb in zip(a.model.running_mean + a.model.running_var, b.model.running_mean + b.model.running_var):
        np.testing.assert_array_equal(ra, rb)
    assert a.history.as_dict(extras=True) == b.history.as_dict(extras=True)
    assert a.step_count == b.step_count


def test_export_import_continue_is_bit_for_bit_with_dropout_and_batch_norm() -> None:
    straight = make_trainer(REMEDIES)
    paused = make_trainer(REMEDIES)
    for t in (straight, paused):
        t.run_epochs(2)
        for _ in range(3):
            t.step()
    resumed = _roundtrip(paused)
    _same(straight, resumed)
    a, b = straight.step(), resumed.step()
    for ma, mb in zip(a.cache.mask, b.cache.mask):  # the same masks drawn after the import
        np.testing.assert_array_equal(ma, mb)
    straight.run_epochs(3)
    resumed.run_epochs(3)
    _same(straight, resumed)
    assert np.isfinite(straight.history.test_loss).all()


def test_the_masks_come_from_their_own_generator() -> None:
    """Turning dropout on changes neither the initial weights nor the epoch order."""
    plain = make_trainer({**REMEDIES, "model": {**REMEDIES["model"], "dropout": 0.0}})
    dropped = make_trainer(REMEDIES)
    np.testing.assert_array_equal(plain.model.params.flat, dropped.model.params.flat)
    assert plain.step().indices.tolist() == dropped.step().indices.tolist()


def test_undo_restores_running_estimates_and_masks() -> None:
    t = make_trainer(REMEDIES)
    t.run_epochs(1)
    before = _roundtrip(t)
    first = t.step()
    t.run_epochs(1)
    t.undo(2)
    _same(t, before)
    again = t.step()
    for ma, mb in zip(first.cache.mask, again.cache.mask):
        np.testing.assert_array_equal(ma, mb)


def test_a_preview_draws_the_masks_of_the_next_step_and_changes_nothing() -> None:
    t = make_trainer(REMEDIES)
    preview = t.step(apply=False)
    step = t.step()
    for mp, ms in zip(preview.cache.mask, step.cache.mask):
        np.testing.assert_array_equal(mp, ms)
    np.testing.assert_array_equal(preview.grads.flat, step.grads.flat)


def test_outside_training_the_running_estimates_and_no_dropout() -> None:
    t = make_trainer(REMEDIES)
    t.run_epochs(2)
    m = t.model
    cache = m.forward(t.X_test)
    assert cache.mask is None and not cache.batch_stats
    for l, mean in enumerate(cache.mean):
        np.testing.assert_array_equal(mean, m.running_mean[l])
    assert t.evaluate()["test_loss"] == pytest.approx(t.history.test_loss[-1], rel=1e-15)


def _state() -> dict[str, Any]:
    t = make_trainer(REMEDIES)
    t.run_epochs(1)
    t.step()
    return json.loads(json.dumps(t.state_dict()))


def _refused(state: dict[str, Any], field: str) -> None:
    with pytest.raises(StateError) as err:
        Trainer.from_state(state)
    assert err.value.field == field, str(err.value)


def test_crafted_remedy_states_are_refused_naming_the_field() -> None:
    s = _state()
    del s["running"]
    _refused(s, "state.running")
    s = _state()
    s["running"]["var"][1]["data"][0] = -1.0
    _refused(s, "state.running.var[1]")
    s = _state()
    s["running"]["mean"][0]["data"][0] = "NaN"
    _refused(s, "state.running.mean[0]")
    s = _state()
    s["running"]["mean"] = s["running"]["mean"][:1]
    _refused(s, "state.running.mean")
    s = _state()
    s["params"]["gamma"][0]["shape"] = [5]
    _refused(s, "state.params.gamma[0].shape")
    s = _state()
    del s["params"]["beta"]
    _refused(s, "state.params.beta")
    s = _state()
    s["dropout_rng"]["bit_generator"] = "MT19937"
    _refused(s, "state.dropout_rng.bit_generator")
    s = _state()
    del s["undo"]["snapshots"][0]["running"]
    _refused(s, "state.undo.snapshots[0].running")
    s = _state()
    s["undo"]["snapshots"][0]["dropout_rng"] = None
    _refused(s, "state.undo.snapshots[0].dropout_rng")


def test_a_plain_state_refuses_remedy_fields() -> None:
    t = make_trainer({"dataset": {"name": "moons", "n_samples": 40}, "seed": 1})
    t.run_epochs(1)
    s = json.loads(json.dumps(t.state_dict()))
    assert "running" not in s and "dropout_rng" not in s
    s["running"] = {"mean": [], "var": []}
    _refused(s, "state.running")
