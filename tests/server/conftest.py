"""Shared fixtures for the server tests: the worked example and a real uvicorn process
(``client`` and ``new_session`` come from tests/conftest.py)."""
from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

import launch

# The worked example of docs/math.md: x = [1, 2], y = [1], ReLU, linear output, mse.
WORKED_CONFIG: dict[str, Any] = {
    "dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
    "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear", "loss": "mse",
              "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]]},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 1},
}


@pytest.fixture
def worked_config() -> dict[str, Any]:
    return copy.deepcopy(WORKED_CONFIG)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The URL of a real uvicorn process serving the app on a free port."""
    with launch.running() as url:
        yield url
