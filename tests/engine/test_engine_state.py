"""The JSON-safe encoding of training state: exact floats, non-finite numbers,
dtypes and 128-bit RNG integers survive ``json.dumps`` / ``json.loads``."""
from __future__ import annotations

import json
import math

import numpy as np

from mlp_engine.state import decode, encode


def round_trip(obj):
    return decode(json.loads(json.dumps(encode(obj), allow_nan=False)))


def test_arrays_come_back_bit_for_bit_with_their_dtype_and_shape() -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5).astype(np.float32),
              np.arange(6, dtype=np.int64).reshape(2, 3), np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
              np.zeros((0, 2))]
    for a in arrays:
        b = round_trip(a)
        assert b.dtype == a.dtype and b.shape == a.shape
        np.testing.assert_array_equal(b.view(np.uint8), a.view(np.uint8))  # the same bits


def test_scalars_big_ints_and_nesting() -> None:
    state = np.random.default_rng(123).bit_generator.state
    assert round_trip(state) == state
    obj = {"a": (1, 2.5, float("nan")), "b": [np.float64(0.1), np.int64(7), np.bool_(True), None, "x"],
           "c": 2**64 + 1, "d": -(2**60)}
    back = round_trip(obj)
    assert back["a"][:2] == [1, 2.5] and math.isnan(back["a"][2])
    assert back["b"] == [0.1, 7, True, None, "x"] and back["c"] == 2**64 + 1 and back["d"] == -(2**60)
    assert json.loads(json.dumps(encode(float("inf")))) == "Infinity"
