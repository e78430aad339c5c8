"""Budgets: what one request may cost in seconds of compute and in memory, and what one
session may keep, checked before any of it is spent.

The engine counts the work (:mod:`mlp_engine.cost`: steps and multiply-adds,
bytes of buffers); this module prices it and compares it with the settings
(``MAX_REQUEST_SECONDS``, ``MAX_REQUEST_MB``, ``MAX_SESSION_MB``). Over a
budget is a ``ValueError`` naming the field that asked for the work and the
bound (a 422 through :mod:`server.errors`), raised before the work starts.

The prices are upper estimates on one core of a modest machine, measured
with the engine's own loop: a step costs :data:`STEP_SECONDS` of Python
whatever its size (49,000 steps of batch 1 are seconds of work although
they are few multiply-adds), and BLAS does :data:`MACS_PER_SECOND`.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from mlp_engine import MLP, Trainer, cost

from ..settings import Settings

STEP_SECONDS = 60e-6
"""Python overhead of one engine step (measured: 45-50 us with Adam on a tiny model)."""
MACS_PER_SECOND = 1.0e9
"""Multiply-adds per second of single-threaded float64 BLAS (measured: 2e9 to 9e9)."""
MB = 1024 * 1024
NUMBER_BYTES = 64
"""Memory per number an answer carries: the float64 arrays it comes from (a forward pass keeps
``z`` and ``a``), its JSON text and the copies of it on the way to the socket (measured: live
frames of 19.9 M numbers grew the server by 1.3 GB, 65 bytes a number)."""
NUMBER_SECONDS = 1e-7
"""Encoding one number of an array as JSON (orjson on NumPy arrays: 50-60 ns measured)."""
TEXT_SECONDS = 3e-6
"""Writing one number as Python text (a script's ``repr``, a Plotly figure: 2 us measured)."""


@dataclass(frozen=True)
class Budget:
    """The budgets of one app (from its :class:`~server.settings.Settings`, which holds the defaults)."""

    request_seconds: float
    request_bytes: int
    session_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "Budget":
        return cls(settings.max_request_seconds, int(settings.max_request_mb * MB), int(settings.max_session_mb * MB))


BUDGET: ContextVar[Budget] = ContextVar("BUDGET", default=Budget.from_settings(Settings()))
"""The budget of the app serving the current request (set with the limits, by :class:`server.bounds.fields.LimitsScope`)."""


def seconds(work: cost.Work) -> float:
    """The estimated compute time of ``work``."""
    return work.steps * STEP_SECONDS + work.macs / MACS_PER_SECOND


def epoch_work(trainer: Trainer) -> cost.Work:
    """One whole epoch of ``trainer``, with its test pass and its remedies' work per step."""
    return cost.trainer_epoch(trainer)


def affordable_epochs(trainer: Trainer, budget: Budget | None = None) -> int:
    """How many epochs fit in one request's compute budget (0: not even one)."""
    per = seconds(epoch_work(trainer))
    return int((budget or BUDGET.get()).request_seconds // per) if per > 0 else 1 << 30


def check_seconds(work: cost.Work, field: str, what: str) -> None:
    """Refuse ``work`` over the request budget; ``field`` asked for it, ``what`` says what it is."""
    check_time(seconds(work), field, what)


def check_time(needed: float, field: str, what: str) -> None:
    """Refuse ``needed`` seconds of compute over the request budget."""
    budget = BUDGET.get()
    if needed > budget.request_seconds:
        raise ValueError(f"{field}: {what} is about {needed:.3g} s of compute; one request may take at most "
                         f"{budget.request_seconds:g} s (MLP_PLAYGROUND_MAX_REQUEST_SECONDS)")


def check_epochs(trainer: Trainer, count: int, field: str = "count") -> None:
    """Refuse ``count`` epochs over the request budget, saying how many would fit."""
    budget = BUDGET.get()
    per = seconds(epoch_work(trainer))
    if count * per > budget.request_seconds:
        fit = affordable_epochs(trainer, budget)
        hint = (f"at most {fit} fit" if fit else
                "not even one fits: use a larger optimizer.batch_size, fewer samples or a smaller model, "
                "or step with backward")
        raise ValueError(f"{field}: {count} epochs of this session are about {count * per:.3g} s of compute; "
                         f"one request may take at most {budget.request_seconds:g} s "
                         f"(MLP_PLAYGROUND_MAX_REQUEST_SECONDS): {hint}")


def check_forward(model: MLP, rows: int, field: str, what: str) -> None:
    """Refuse a forward pass of ``model`` over ``rows`` rows (a grid, a split) over the compute
    budget. Its memory is bounded by running it in chunks of rows (:func:`server.payloads.predict`)."""
    check_seconds(cost.forward(model.layers, rows, cost.Remedies.of(model)), field,
                  f"{what} ({rows} rows through {model.layers})")


def check_answer(numbers: int, field: str, what: str, text: bool = False) -> None:
    """Refuse an answer of ``numbers`` numbers over the memory budget, or over the compute
    budget to write them (``text``: as Python text, a script's or a report's)."""
    what = f"{what} ({numbers} numbers)"
    check_request_bytes(numbers * NUMBER_BYTES, field, what)
    check_time(numbers * (TEXT_SECONDS if text else NUMBER_SECONDS), field, what)


def check_request_bytes(nbytes: int, field: str, what: str) -> None:
    """Refuse a request that would allocate more than the request memory budget."""
    budget = BUDGET.get()
    if nbytes > budget.request_bytes:
        raise ValueError(f"{field}: {what} needs about {nbytes / MB:.0f} MB; one request may use at most "
                         f"{budget.request_bytes / MB:.0f} MB (MLP_PLAYGROUND_MAX_REQUEST_MB)")


def session_bytes(trainer: Trainer) -> int:
    """What a session keeps while it trains: its data, its parameters with their gradients,
    optimizer moments and undo snapshots, and its training buffers."""
    model = trainer.model
    data = cost.ITEMSIZE * (trainer.X.size + trainer.y.size + trainer.X_test.size + trainer.y_test.size)
    # Parameters, gradients, Adam's two moments, the gradient buffer, and one copy per undo snapshot
    # (the engine keeps none for models over its undo bound).
    undo = trainer.undo_depth if model.n_params <= trainer.undo_limit else 0
    params = cost.parameter_bytes(model.n_params, 5 + 3 * undo)
    return 2 * data + params + cost.training_bytes(model.layers, trainer.n_train, trainer.X_test.shape[0],
                                                   trainer.batch_size)


def check_session(trainer: Trainer) -> None:
    """Refuse a session (new, imported) that would keep more than the session memory budget."""
    budget = BUDGET.get()
    nbytes = session_bytes(trainer)
    if nbytes > budget.session_bytes:
        raise ValueError(
            f"optimizer.batch_size: a session of {trainer.model.layers} on {trainer.n_train} training rows "
            f"with batch_size {trainer.batch_size} keeps about {nbytes / MB:.0f} MB; one session may keep at "
            f"most {budget.session_bytes / MB:.0f} MB (MLP_PLAYGROUND_MAX_SESSION_MB): use a smaller batch, "
            "fewer samples or a smaller model")
