"""Learning-rate schedules, named as scikit-learn names them, and early stopping.

A schedule maps the base learning rate ``lr0`` (``optimizer.learning_rate``
of the config) and the trainer's progress to the rate of the next update:

* ``constant``: ``lr0``, untouched (the trainer never sets the rate, so a
  rate changed while training, e.g. by live play, stays as set);
* ``step``: ``lr0 * gamma ** (epoch // step_size)``, ``epoch`` the epochs
  completed: the rate drops by ``gamma`` every ``step_size`` epochs;
* ``invscaling``: ``lr0 / t ** power_t`` with ``t`` the update count, the
  update about to be made included (``t = 1`` for the first), so the first
  update uses ``lr0``.

:class:`EarlyStopping` watches the test loss once per epoch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SCHEDULES = ("constant", "step", "invscaling")

MIN_STEP_SIZE = 1
"""``step``: the fewest epochs between two drops."""
MAX_GAMMA = 1.0
"""``step``: the largest factor per drop (``gamma`` is in ``(0, MAX_GAMMA]``: 1 never drops)."""
MAX_POWER_T = 10.0
"""``invscaling``: the largest ``power_t`` (``[0, MAX_POWER_T]``; beyond, the rate is gone after a few updates)."""


@dataclass(frozen=True)
class Schedule:
    """One of :data:`SCHEDULES` with its parameters."""

    name: str = "constant"
    step_size: int = 10
    gamma: float = 0.5
    power_t: float = 0.5

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> "Schedule":
        """Build and check ``optimizer.schedule``; errors name the field."""
        cfg = dict(cfg or {})
        field = "optimizer.schedule"
        name = cfg.pop("name", "constant")
        if name not in SCHEDULES:
            raise ValueError(f"{field}.name: unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
        unknown = set(cfg) - {"step_size", "gamma", "power_t"}
        if unknown:
            raise ValueError(f"{field}: unknown field {sorted(unknown)[0]!r}")
        s = cls(name, **cfg)
        if isinstance(s.step_size, bool) or not isinstance(s.step_size, int) or s.step_size < MIN_STEP_SIZE:
            raise ValueError(f"{field}.step_size: must be a whole number of epochs >= {MIN_STEP_SIZE}, "
                             f"got {s.step_size!r}")
        if not (_number(s.gamma) and 0 < s.gamma <= MAX_GAMMA):
            raise ValueError(f"{field}.gamma: must be in (0, {MAX_GAMMA:g}], got {s.gamma!r}")
        if not (_number(s.power_t) and 0 <= s.power_t <= MAX_POWER_T):
            raise ValueError(f"{field}.power_t: must be in [0, {MAX_POWER_T:g}], got {s.power_t!r}")
        return s

    def as_config(self) -> dict[str, Any]:
        """The resolved ``optimizer.schedule`` (only the fields this schedule reads)."""
        if self.name == "step":
            return {"name": "step", "step_size": self.step_size, "gamma": float(self.gamma)}
        if self.name == "invscaling":
            return {"name": "invscaling", "power_t": float(self.power_t)}
        return {"name": "constant"}

    @property
    def per_update(self) -> bool:
        """Whether the rate changes with every update (not only between epochs)."""
        return self.name == "invscaling"

    def rate(self, lr0: float, epoch: int, t: int) -> float:
        """The rate of an update made after ``epoch`` epochs, as update number ``t`` (1-based)."""
        if self.name == "step":
            return lr0 * self.gamma ** (epoch // self.step_size)
        if self.name == "invscaling":
            return lr0 / max(t, 1) ** self.power_t
        return lr0


@dataclass
class EarlyStopping:
    """Stop when the test loss has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row (a non-finite loss is no improvement)."""

    patience: int
    min_delta: float = 0.0
    best: float = math.inf
    bad_epochs: int = 0
    stopped_epoch: int | None = None

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> "EarlyStopping | None":
        if cfg is None:
            return None
        field = "optimizer.early_stopping"
        if not isinstance(cfg, dict) or set(cfg) - {"patience", "min_delta"} or "patience" not in cfg:
            raise ValueError(f"{field}: must be {{\"patience\": int >= 1, \"min_delta\": float >= 0}} or null")
        patience, min_delta = cfg["patience"], cfg.get("min_delta", 0.0)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"{field}.patience: must be a whole number of epochs >= 1, got {patience!r}")
        if not (_number(min_delta) and min_delta >= 0):
            raise ValueError(f"{field}.min_delta: must be a finite number >= 0, got {min_delta!r}")
        return cls(patience, float(min_delta))

    def as_config(self) -> dict[str, Any]:
        return {"patience": self.patience, "min_delta": self.min_delta}

    @property
    def stopped(self) -> bool:
        return self.stopped_epoch is not None

    def update(self, epoch: int, test_loss: float | None) -> bool:
        """Record epoch ``epoch``'s test loss; whether training should stop now."""
        if test_loss is not None and math.isfinite(test_loss) and test_loss < self.best - self.min_delta:
            self.best, self.bad_epochs = test_loss, 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs >= self.patience and self.stopped_epoch is None:
            self.stopped_epoch = epoch
        return self.stopped

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_epochs": self.bad_epochs, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, s: dict[str, Any]) -> None:
        self.best, self.bad_epochs = float(s["best"]), int(s["bad_epochs"])
        self.stopped_epoch = None if s["stopped_epoch"] is None else int(s["stopped_epoch"])


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
