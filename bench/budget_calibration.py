"""The budget's price of an epoch against its measured time, with and without the remedies.

For the plain network, batch norm, dropout and the residual skip alone, and all
three together, it trains one epoch and prints the price the engine's count
gives (:func:`mlp_engine.cost.trainer_epoch` priced by :func:`server.budget.seconds`),
the measured seconds, and ``price / measured``. The measure is the process's
CPU time (the price is seconds of compute; on a shared machine wall time also
counts the waits for a core), the median of ``--repeats`` epochs. It also
prints the stages' overhead per step, counted and measured, in plain steps
(:data:`mlp_engine.cost.STAGE_STEPS`, derived from the batch-1 workload, where
the multiply-adds are nothing).

Workloads: (a) the deep narrow network of the attack, moons with 20,000 samples,
layers ``[2, 1, 1, 1, 1, 1, 1, 1, 1]``, Adam, batch 1; (b) a wider one,
``[2, 32, 32, 32, 32, 1]``, batch 64, where the elementwise work counts, for context: its
plain price is set by the server's ``MACS_PER_SECOND``, a floor well below what BLAS
does on these matrices, so it overprices on the safe side.
Usage: ``python bench/budget_calibration.py [--repeats 3] [--samples 20000]``. The last
line is ``max_price_ratio=... min_price_ratio=...`` over (a): the budget keeps the price
within a factor of 2 of the measure when both are in ``[0.5, 2]``.
"""
from __future__ import annotations

import argparse
import statistics
import time

from _common import final_line, print_table
from mlp_engine import Trainer, cost, make_trainer
from server import budget

REMEDIES = {
    "plain": {},
    "batch norm": {"batch_norm": True},
    "dropout 0.2": {"dropout": 0.2},
    "residual": {"residual": True},
    "all three": {"batch_norm": True, "dropout": 0.2, "residual": True},
}

SHAPES = {
    "(a) [2, 1, 1, 1, 1, 1, 1, 1, 1] batch 1": ([2, 1, 1, 1, 1, 1, 1, 1, 1], 1, True),
    "(b) [2, 32, 32, 32, 32, 1] batch 64 (context)": ([2, 32, 32, 32, 32, 1], 64, False),
}
"""Title: layers, batch size, and whether its ratios are held to the factor of 2."""


def trainer(layers: list[int], batch: int, samples: int, remedies: dict) -> Trainer:
    return make_trainer({"dataset": {"name": "moons", "n_samples": samples}, "seed": 0,
                         "model": {"layers": layers, **remedies},
                         "optimizer": {"name": "adam", "batch_size": batch}})


def cpu_seconds(t: Trainer, repeats: int) -> float:
    """The median CPU time of ``repeats`` epochs (after one to warm up)."""
    t.run_epochs(1)
    times = []
    for _ in range(repeats):
        c0 = time.process_time()
        t.run_epochs(1)
        times.append(time.process_time() - c0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=20000)
    args = parser.parse_args()
    ratios = []
    for title, (layers, batch, checked) in SHAPES.items():
        rows, per_step = [], {}
        for name, remedies in REMEDIES.items():
            t = trainer(layers, batch, args.samples, remedies)
            work = cost.trainer_epoch(t)
            price, measured = budget.seconds(work), cpu_seconds(t, args.repeats)
            if checked:
                ratios.append(price / measured)
            per_step[name] = (work, measured / t.steps_per_epoch)
            rows.append([name, work.steps / t.steps_per_epoch, work.macs, price, measured, price / measured])
        print_table(f"{title}, moons {args.samples} samples, Adam ({t.steps_per_epoch} steps an epoch)",
                    ["remedies", "counted steps/step", "counted macs", "price s", "measured CPU s",
                     "price / measured"], rows)
        if batch == 1:
            plain = per_step["plain"][1]
            steps = t.steps_per_epoch
            print("\n  overhead per step beyond the plain step's, in plain steps "
                  f"(a plain step measured {plain * 1e6:.1f} us; priced {budget.STEP_SECONDS * 1e6:.0f} us):")
            for name, (work, seconds) in per_step.items():
                if name != "plain":
                    print(f"  {name:12s} counted {work.steps / steps - 1:.2f}  "
                          f"measured {(seconds - plain) / budget.STEP_SECONDS:.2f}")
    print()
    final_line(max_price_ratio=max(ratios), min_price_ratio=min(ratios))


if __name__ == "__main__":
    main()
