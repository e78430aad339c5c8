"""What the benchmarks share: paths, the reference write-up's baseline class, timing, tables.

Benchmarks print ratios measured side by side in one run (never absolute
targets in tests). Run them from anywhere: ``python bench/<name>.py``.
"""
from __future__ import annotations

import importlib.util
import statistics
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script without installing the package
    sys.path.insert(0, str(ROOT))

SEED_NN_PATH = ROOT.parent / "shared" / "baselines" / "seed_nn.py"
"""The California-housing write-up's own ``NN`` class; a baseline, read at run time, not part of the project."""


def load_seed_nn() -> type:
    """Import the California-housing write-up's ``NN`` class from ``../shared/baselines/seed_nn.py``."""
    if not SEED_NN_PATH.is_file():
        raise SystemExit(f"the California-housing write-up's NN class not found at {SEED_NN_PATH} (../shared/baselines/ "
                         "beside the project root)")
    spec = importlib.util.spec_from_file_location("seed_nn", SEED_NN_PATH)
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.NN


def try_import_torch() -> ModuleType | None:
    """PyTorch when it is installed (it is optional: never installed for the benches)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def silence_convergence_warnings() -> None:
    """scikit-learn warns when it stops after ``max_iter`` epochs; here that is the plan."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def median_seconds_interleaved(fns: dict[str, Callable[[], object]], repeats: int = 5,
                               warmup: int = 1, calls: int = 1) -> dict[str, float]:
    """Seconds per call of each ``fn()``: the median of ``repeats`` samples, each
    timing ``calls`` calls in a row (more calls per sample steady a short task).
    Samples are taken in rounds, one of each contender per round, so that a
    change in the machine's load touches every contender alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - t0) / calls)
    return {name: statistics.median(ts) for name, ts in times.items()}


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain fixed-width table; floats get 4 significant digits."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


def final_line(**values: float | str) -> str:
    """The one machine-readable last line: ``key=value`` pairs."""
    line = " ".join(f"{k}={_fmt(v)}" for k, v in values.items())
    print(line)
    return line


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
