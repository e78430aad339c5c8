"""The engine's count of work: one parameter count, one rule for an epoch's steps, and the
remedies' stages counted on top of the plain step by exactly their terms."""
from __future__ import annotations

import dataclasses

import pytest

from mlp_engine import cost, make_trainer, params, trainer
from mlp_engine.cost import PLAIN, STAGE_OPS, STAGE_STEPS, Remedies, Work
from mlp_engine.model import MLP

LAYERS = [2, 4, 4, 3, 1]  # three hidden layers, one skip (4 -> 4)
ROWS = 5
ALONE = {"batch_norm": Remedies(batch_norm=True), "dropout": Remedies(dropout=True), "skip": Remedies(skips=1)}


def test_cost_counts_with_the_models_own_rules() -> None:
    assert cost.n_weights is params.n_weights
    assert MLP(LAYERS).n_params == params.n_params(LAYERS)
    assert MLP(LAYERS, batch_norm=True).n_params == params.n_params(LAYERS, batch_norm=True)


@pytest.mark.parametrize("n_train, batch", [(160, 16), (161, 16), (5, 16), (1, 1)])
def test_an_epochs_steps_are_the_trainers(n_train: int, batch: int) -> None:
    t = make_trainer({"dataset": {"name": "inline", "X": [[0.0, 1.0]] * n_train, "y": [0.0] * n_train},
                      "model": {"layers": [2, 3, 1]}, "optimizer": {"batch_size": batch}})
    assert t.steps_per_epoch == trainer.steps_per_epoch(n_train, batch)
    t.run_epochs(1)
    assert t.step_count == t.steps_per_epoch
    # One step each, and the test pass (one forward).
    assert cost.trainer_epoch(t).steps == t.steps_per_epoch + 1


def test_remedies_are_read_from_the_model() -> None:
    model = MLP(LAYERS, dropout=0.1, batch_norm=True, residual=True)
    assert Remedies.of(model) == Remedies(batch_norm=True, dropout=True, skips=1)
    assert Remedies.of(MLP(LAYERS)) == PLAIN and not PLAIN


@pytest.mark.parametrize("stage", ["batch_norm", "dropout", "skip"])
def test_each_remedy_adds_its_counted_terms_to_the_plain_step(stage: str) -> None:
    """A hidden layer's stage costs its overhead (in plain steps) per layer that has it, its
    elementwise operations per unit and row, and the remedies' path once per step."""
    plain = cost.train_step(LAYERS, ROWS)
    units = 4 if stage == "skip" else sum(LAYERS[1:-1])  # the skip: the one 4-wide layer
    layers_with = 1 if stage == "skip" else len(LAYERS) - 2
    extra = Work(STAGE_STEPS["remedies"] + STAGE_STEPS[stage] * layers_with, ROWS * STAGE_OPS[stage] * units)
    assert cost.train_step(LAYERS, ROWS, ALONE[stage]) == plain + extra
    assert extra.steps > STAGE_STEPS["remedies"] and extra.macs > 0


def test_all_three_count_each_stage_and_the_remedies_path_once() -> None:
    plain = cost.train_step(LAYERS, ROWS)
    alone = [cost.train_step(LAYERS, ROWS, r) for r in ALONE.values()]
    together = cost.train_step(LAYERS, ROWS, Remedies(batch_norm=True, dropout=True, skips=1))
    shared = Work(2 * STAGE_STEPS["remedies"], 0)
    total = sum((w + Work(-plain.steps, -plain.macs) for w in alone), plain)
    assert dataclasses.astuple(together + shared) == pytest.approx(dataclasses.astuple(total))


@pytest.mark.parametrize("table, key", [(STAGE_STEPS, k) for k in STAGE_STEPS] + [(STAGE_OPS, k) for k in STAGE_OPS])
def test_every_term_is_counted(table: dict, key: str, monkeypatch) -> None:
    """Dropping one term from the count changes the price of a step that has that stage."""
    everything = Remedies(batch_norm=True, dropout=True, skips=1)
    before = cost.train_step(LAYERS, ROWS, everything)
    monkeypatch.setitem(table, key, 0)
    assert cost.train_step(LAYERS, ROWS, everything) != before


def test_an_epoch_and_a_forward_pass_count_the_remedies_too() -> None:
    everything = Remedies(batch_norm=True, dropout=True, skips=1)
    assert cost.epoch(LAYERS, 100, 20, 10, everything) == (
        cost.train_step(LAYERS, 10, everything) * 10 + cost.forward(LAYERS, 20, everything))
    assert cost.forward(LAYERS, 20, everything).macs > cost.forward(LAYERS, 20).macs
    assert cost.gradient_check(LAYERS, 3, 2, everything).steps > cost.gradient_check(LAYERS, 3, 2).steps
