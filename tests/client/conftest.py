"""Fixtures for the Python client's tests: one embedded server (``Client.local()``) per
module, and the seeds' worked example as a config. Makes this folder's helpers importable."""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlp_playground import Client  # noqa: E402

# The seeds' worked example: x = [1, 2], y = [1], ReLU, linear output, mse, one sample a batch.
WORKED: dict[str, Any] = {
    "dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
    "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear", "loss": "mse",
              "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]]},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 1},
}


@pytest.fixture(scope="module")
def local() -> Iterator[Client]:
    """A client of its own embedded server, memory store."""
    with Client.local() as client:
        yield client


@pytest.fixture
def worked() -> dict[str, Any]:
    return copy.deepcopy(WORKED)
