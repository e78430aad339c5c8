"""Seed 003's experiment, reduced to 10 epochs (the full 100 are bench/seed_california.py).

``[8, 20, 10, 1]``, sigmoid hidden, linear output, SGD lr 0.1, batch 32,
N(0, n_in^-0.5) weights, standardised X and y, the 80/20 split with
random_state=42. The seed's full run reaches a test MSE of 0.32 in original
units and linear regression 0.56; after 10 epochs this engine is near 0.42.
"""
from __future__ import annotations

import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error

from mlp_engine import load_dataset, make_trainer

SEED_003 = {"dataset": {"name": "california_housing", "seed": 42},
            "model": {"layers": [8, 20, 10, 1], "activation": "sigmoid", "output_activation": "linear",
                      "loss": "mse", "init": "normal"},
            "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 32},
            "seed": 0}


def test_ten_epochs_of_seed_003_beat_linear_regression() -> None:
    data = load_dataset("california_housing", seed=42)
    trainer = make_trainer(SEED_003, data=data)
    records = trainer.run_epochs(10)
    y_true = data.to_original_units(data.y_test)
    mse = mean_squared_error(y_true, data.to_original_units(trainer.model.predict(data.X_test)))
    linear = mean_squared_error(y_true, data.to_original_units(
        LinearRegression().fit(data.X_train, data.y_train).predict(data.X_test)))
    assert linear > 0.5
    assert mse < 0.45 and mse < linear - 0.1
    # The recorded test loss is the same quantity in standardised units, halved (1/2 sum).
    assert records[-1].test_loss == pytest.approx(mse / data.y_std[0] ** 2 / 2, rel=1e-10)
    assert all(a > b for a, b in zip(trainer.history.train_loss[:3], trainer.history.train_loss[1:4]))
