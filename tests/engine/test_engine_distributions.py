"""The trainer's quantile record: bounded on long runs, thinned evenly, exact on undo."""
from __future__ import annotations

import numpy as np

from mlp_engine import make_trainer
from mlp_engine.records import PERCENTILES, Distributions


def test_a_long_record_stays_bounded_and_evenly_thinned():
    d = Distributions(1, limit=10)
    W = [np.arange(6.0).reshape(2, 3)]
    for epoch in range(1, 101):
        d.record(epoch, W, W, [np.ones((4, 2)) * epoch])
        assert len(d.epochs) <= 10 and d.epochs[-1] == epoch
        assert all(len(d.layers[0][k]) == len(d.epochs) for k in ("W", "dW", "a"))
    gaps = np.diff(d.epochs)
    assert (gaps > 0).all() and len(set(gaps[:-1])) == 1, d.epochs  # evenly spaced, then the newest
    assert d.stride == 16 and d.epochs == [16, 32, 48, 64, 80, 96, 100]
    assert d.layers[0]["a"][-1] == [100.0] * 9
    assert d.layers[0]["W"][0] == list(np.percentile(W[0], PERCENTILES))
    assert d.layers[0]["a"][0] == [16.0] * 9  # the kept epochs keep their own numbers


def test_the_trainer_records_each_epoch_and_undo_takes_it_back():
    t = make_trainer({"dataset": {"name": "xor", "n_samples": 40}, "seed": 1})
    t.run_epochs(3)
    assert t.distributions.epochs == [1, 2, 3]
    for l, W in enumerate(t.model.W):
        assert t.distributions.layers[l]["W"][-1] == list(np.percentile(W, PERCENTILES))
    while t.step().epoch_finished is None:
        pass
    assert t.distributions.epochs == [1, 2, 3, 4]
    t.undo()  # the step that finished epoch 4
    assert t.distributions.epochs == [1, 2, 3]


def test_quantiles_are_numpys_percentile_exactly():
    from mlp_engine.records import quantiles
    rng = np.random.default_rng(0)
    for shape in [(1,), (2,), (3, 1), (7, 5), (64, 33), (1000,)]:
        for x in (rng.normal(size=shape), rng.integers(-3, 3, size=shape).astype(float), np.full(shape, 2.5)):
            assert quantiles(x) == list(np.percentile(x, PERCENTILES)), shape
    x = rng.normal(size=10)
    x[3] = np.nan
    assert all(np.isnan(quantiles(x))) and all(np.isnan(np.percentile(x, PERCENTILES)))
    y = np.array([-np.inf, 0.0, 1.0, np.inf])
    with np.errstate(all="ignore"):
        assert np.array_equal(quantiles(y), np.percentile(y, PERCENTILES), equal_nan=True)
