"""A saved state is checked whole, in one place, before any of it is used:
what passes can always be trained, undone and saved again, and what fails is a
:class:`StateError` naming the field, having changed nothing."""
from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

from mlp_engine import StateError, Trainer, check_state, make_trainer

ADAM = {"dataset": {"name": "moons", "n_samples": 60}, "seed": 3,
        "optimizer": {"name": "adam", "batch_size": 8}}


def _state(config: dict[str, Any] = ADAM) -> dict[str, Any]:
    """An exported Adam session part-way through its second epoch, with undo snapshots."""
    t = make_trainer(config)
    t.run_epochs(1)
    for _ in range(3):
        t.step()
    t.edit_param(0, "W", [0, 0], 0.25)
    return json.loads(json.dumps(t.state_dict()))


def _refused(state: dict[str, Any], field: str) -> StateError:
    with pytest.raises(StateError) as err:
        Trainer.from_state(state)
    assert err.value.field == field, str(err.value)
    assert str(err.value).startswith(field + ": ")
    return err.value


def _exercise(t: Trainer) -> None:
    """Everything a session may be asked to do next."""
    t.step()
    t.step(apply=False)
    t.run_epochs(2)
    while t.undo_available:
        t.undo()
    t.run_epochs(1)
    Trainer.from_state(json.loads(json.dumps(t.state_dict())))


# -- the crafted imports a red-team pass found ----------------------------------
def test_an_integer_moment_vector_is_refused() -> None:
    s = _state()
    s["optimizer"]["m"]["__array__"] = "i1"
    _refused(s, "state.optimizer.m.__array__")


def test_a_cursor_at_the_end_of_the_order_is_refused() -> None:
    s = _state()
    s["cursor"] = 48  # n_train: the step that got there would have finished the epoch
    _refused(s, "state.cursor")


def test_a_snapshot_without_beta1_or_m_is_refused() -> None:
    s = _state()
    s["undo"]["snapshots"][-1]["optimizer"]["beta1"] = None
    _refused(s, f"state.undo.snapshots[{len(s['undo']['snapshots']) - 1}].optimizer.beta1")
    s = _state()
    del s["undo"]["snapshots"][-1]["optimizer"]["m"]
    _refused(s, f"state.undo.snapshots[{len(s['undo']['snapshots']) - 1}].optimizer.m")


def test_a_snapshot_with_the_wrong_number_of_norms_is_refused() -> None:
    s = _state()
    s["undo"]["snapshots"][-1]["accumulators"]["norms"] = [1.0]
    _refused(s, f"state.undo.snapshots[{len(s['undo']['snapshots']) - 1}].accumulators.norms")


def test_a_snapshot_sse_of_the_wrong_shape_is_refused() -> None:
    s = _state({**ADAM, "dataset": {"name": "sine", "n_samples": 60}})
    s["undo"]["snapshots"][-1]["accumulators"]["sse"] = {"__array__": "<f8", "shape": [5], "data": [0.0] * 5}
    _refused(s, f"state.undo.snapshots[{len(s['undo']['snapshots']) - 1}].accumulators.sse.shape")


def test_a_snapshot_whose_epoch_does_not_match_its_history_is_refused() -> None:
    s = _state()
    s["undo"]["snapshots"][-1]["epoch"] = 2**53
    _refused(s, f"state.undo.snapshots[{len(s['undo']['snapshots']) - 1}].epoch")


# -- more fields ------------------------------------------------------------------
@pytest.mark.parametrize("path,value,field", [
    (["version"], 2, "state.version"),
    (["optimizer", "m", "shape"], [3], "state.optimizer.m.shape"),
    (["optimizer", "name"], "sgd", "state.optimizer.name"),
    (["optimizer", "learning_rate"], -0.1, "state.optimizer.learning_rate"),
    (["order", "data", 0], 10**6, "state.order"),
    (["rng", "bit_generator"], "MT19937", "state.rng.bit_generator"),
    (["rng", "state", "inc"], {"__int__": "not a number"}, "state.rng.state.inc"),
    (["history", "train_loss"], [], "state.history.train_loss"),
    (["history", "grad_norms", 0], [1.0], "state.history.grad_norms[0]"),
    (["accumulators", "samples"], -1, "state.accumulators.samples"),
    (["params", "b", 1, "data", 0], "x", "state.params.b[1].data"),
    (["undo", "snapshots", 0, "order"], 7, "state.undo.snapshots[0].order"),
    (["undo", "snapshots", 0, "params", "shape"], [1], "state.undo.snapshots[0].params.shape"),
    (["undo", "orders"], {}, "state.undo.orders"),
    (["surprise"], 1, "state.surprise"),
])
def test_each_field_is_named_when_it_does_not_fit(path: list, value: Any, field: str) -> None:
    s = _state()
    node = s
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    _refused(s, field)


def test_a_weight_of_the_wrong_shape_names_the_config_field_it_contradicts() -> None:
    s = _state()
    s["params"]["W"][0] = {"__array__": "<f8", "shape": [1, 1], "data": [1.0]}
    err = _refused(s, "state.params.W[0]")
    assert "model.weights[0]" in str(err)


def test_a_config_the_engine_refuses_is_a_state_error_too() -> None:
    s = _state()
    s["config"]["model"]["activation"] = "swish"
    _refused(s, "state.config")


def test_a_refused_load_changes_nothing() -> None:
    t = make_trainer(ADAM)
    t.run_epochs(1)
    t.step()
    before = json.dumps(t.state_dict())
    s = _state()
    s["undo"]["snapshots"][-1]["accumulators"]["norms"] = [1.0]
    with pytest.raises(StateError):
        t.load_state(s)
    assert json.dumps(t.state_dict()) == before


def test_check_state_hands_back_the_state_ready_to_apply() -> None:
    s = _state()
    t = make_trainer(ADAM)
    checked = check_state(s, t)
    assert checked["optimizer"]["m"].dtype == np.float64 and checked["order"].dtype == np.int64
    assert len(checked["undo"]) == len(s["undo"]["snapshots"])


def test_a_state_that_passes_trains_undoes_and_saves_again() -> None:
    for config in (ADAM, {**ADAM, "optimizer": {"name": "momentum", "batch_size": 7}},
                   {"dataset": {"name": "sine", "n_samples": 30}, "optimizer": {"batch_size": 4},
                    "model": {"dtype": "float32"}}):
        s = _state(config)
        t = Trainer.from_state(s)
        assert json.loads(json.dumps(t.state_dict())) == s
        _exercise(t)


HOSTILE = [None, -1, 0, 1, 2**70, 1.5, "x", "NaN", [], {}, [1.0], {"__int__": "-5"}, True,
           {"__array__": "<f8", "shape": [1], "data": [1]}]


def _leaves(node: Any, path: list) -> list[list]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "config":
                out += _leaves(v, path + [k])
    elif isinstance(node, list):
        for i in sorted({0, 1, len(node) - 1} & set(range(len(node)))):
            out += _leaves(node[i], path + [i])
    return out


def test_no_mutation_loads_a_state_that_fails_later() -> None:
    """Every field (but the config) set to hostile values, three per field: the load
    is refused with a StateError, or the trainer it makes does everything a session
    may do next without an error."""
    base = _state({"dataset": {"name": "xor", "n_samples": 24}, "seed": 1,
                   "optimizer": {"name": "adam", "batch_size": 5}})
    loaded = refused = 0
    for n, path in enumerate(_leaves(base, [])[1:]):
        for value in (HOSTILE[(3 * n + j) % len(HOSTILE)] for j in range(3)):
            s = copy.deepcopy(base)
            node = s
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            try:
                t = Trainer.from_state(s)
            except StateError:
                refused += 1
                continue
            _exercise(t)
            loaded += 1
    assert loaded and refused


def test_a_learning_rate_decayed_to_zero_saves_and_loads() -> None:
    t = make_trainer({"dataset": {"name": "xor", "n_samples": 20}, "optimizer": {
        "batch_size": 20, "schedule": {"name": "step", "step_size": 1, "gamma": 1e-200}}})
    t.run_epochs(3)
    assert t.optimizer.learning_rate == 0.0
    _exercise(Trainer.from_state(json.loads(json.dumps(t.state_dict()))))
