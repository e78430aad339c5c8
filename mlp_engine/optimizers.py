"""Optimizers: the only code that changes parameters, each owning its state.

``step(params, grads)`` updates ``params.W[l]`` and ``params.b[l]`` in place
from ``grads.dW[l]`` and ``grads.db[l]`` (the L2 term is already in ``dW``).
Parameters and gradients share one flat layout (:class:`~.model.Params`), so
each rule is one vectorised expression over every layer at once, and its
state (velocity, moments) is one vector of the same length.
Optional clipping rescales the whole gradient when its global norm
``sqrt(sum_l ||dW[l]||^2 + ||db[l]||^2)`` exceeds ``clip_norm``.
State (velocities, Adam moments) round-trips through :meth:`state_dict`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .params import Params
from .trace import Gradients

Array = np.ndarray


class Optimizer:
    """Plain gradient descent ``theta <- theta - lr * grad`` (the textbook update)."""

    name = "sgd"

    def __init__(self, learning_rate: float = 0.1, clip_norm: float | None = None) -> None:
        self.learning_rate = _positive(learning_rate, "learning_rate")
        self.clip_norm = None if clip_norm is None else _positive(clip_norm, "clip_norm")
        self.t = 0  # number of updates applied
        self._scratch: Array | None = None  # one work vector, so a step allocates nothing

    def step(self, params: Params, grads: Gradients) -> None:
        """Apply one update in place (a NaN or infinite gradient makes NaN
        parameters, never an exception or a warning)."""
        with np.errstate(all="ignore"):
            self.apply(params.flat, grads.flat)

    def apply(self, theta: Array, g: Array) -> None:
        """:meth:`step` on the flat vectors, without ``np.errstate``: the
        training loop calls this while it holds ``np.errstate`` itself."""
        if self.clip_norm is not None:
            total = _norm(g)
            if total > self.clip_norm:  # NaN compares False: a NaN gradient stays NaN
                g = g * (self.clip_norm / total)
        self.t += 1
        self._update(theta, g)

    def _update(self, theta: Array, g: Array) -> None:
        theta -= self._scaled(g, self.learning_rate)

    def _scaled(self, x: Array, c: float) -> Array:
        """``c * x`` in the scratch vector (valid until the next call)."""
        if self._scratch is None or self._scratch.shape != x.shape or self._scratch.dtype != x.dtype:
            self._scratch = np.empty_like(x)
        return np.multiply(x, c, out=self._scratch)

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and state; arrays are left as arrays (see :mod:`.state`)."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "clip_norm": self.clip_norm, "t": self.t}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.learning_rate = float(state["learning_rate"])
        self.clip_norm = state.get("clip_norm")
        self.t = int(state["t"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate}, clip_norm={self.clip_norm})"


SGD = Optimizer


class Momentum(Optimizer):
    """Heavy-ball momentum ``v <- mu v - lr g; theta <- theta + v``.

    With ``nesterov=True`` the step looks ahead: ``theta <- theta + mu v - lr g``
    (the form scikit-learn's ``SGDOptimizer`` uses).
    """

    name = "momentum"

    def __init__(self, learning_rate: float = 0.1, momentum: float = 0.9,
                 nesterov: bool = False, clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, clip_norm)
        if not (0 <= momentum < 1):
            raise ValueError(f"momentum: must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity: Array | None = None

    def _update(self, theta: Array, g: Array) -> None:
        lr, mu = self.learning_rate, self.momentum
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        v = self.velocity
        v *= mu
        step = self._scaled(g, lr)
        v -= step  # v <- mu v - lr g
        if self.nesterov:
            theta -= step
            theta += self._scaled(v, mu)  # theta <- theta + mu v - lr g
        else:
            theta += v

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "momentum": self.momentum, "nesterov": self.nesterov,
                "velocity": None if self.velocity is None else self.velocity.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.momentum = float(state["momentum"])
        self.nesterov = bool(state["nesterov"])
        self.velocity = _maybe_array(state["velocity"])


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected first and second moments."""

    name = "adam"

    def __init__(self, learning_rate: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, clip_norm: float | None = None) -> None:
        super().__init__(learning_rate, clip_norm)
        for value, field in ((beta1, "beta1"), (beta2, "beta2")):
            if not (0 <= value < 1):
                raise ValueError(f"{field}: must be in [0, 1), got {value!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.epsilon = _positive(epsilon, "epsilon")
        self.m: Array | None = None
        self.v: Array | None = None

    def _update(self, theta: Array, g: Array) -> None:
        b1, b2, t = self.beta1, self.beta2, self.t
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        m, v = self.m, self.v
        m *= b1
        m += self._scaled(g, 1 - b1)  # m <- b1 m + (1 - b1) g
        v *= b2
        s = self._scaled(g, 1 - b2)
        s *= g
        v += s  # v <- b2 v + (1 - b2) g^2
        # Bias correction folded into the step size (the paper's Section 2 note,
        # as scikit-learn does it): theta <- theta - step m / (sqrt(v) + eps).
        step = self.learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= step
        theta -= s

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon,
                "m": None if self.m is None else self.m.copy(),
                "v": None if self.v is None else self.v.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.beta1, self.beta2 = float(state["beta1"]), float(state["beta2"])
        self.epsilon = float(state["epsilon"])
        self.m, self.v = _maybe_array(state["m"]), _maybe_array(state["v"])


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
"""Optimizers, by the name the API accepts."""


def make_optimizer(name: str, learning_rate: float, *, momentum: float = 0.9,
                   nesterov: bool = False, clip_norm: float | None = None,
                   beta1: float = 0.9, beta2: float = 0.999) -> Optimizer:
    """Build an optimizer by name; unknown names list the choices."""
    if name == "sgd":
        return SGD(learning_rate, clip_norm=clip_norm)
    if name == "momentum":
        return Momentum(learning_rate, momentum, nesterov, clip_norm=clip_norm)
    if name == "adam":
        return Adam(learning_rate, beta1, beta2, clip_norm=clip_norm)
    raise ValueError(f"optimizer: unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def _positive(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{field}: must be a finite number > 0, got {value!r}")
    return float(value)


def _norm(g: Array) -> float:
    """The Euclidean norm of ``g``; exact even where the squares overflow."""
    total = math.sqrt(float(np.vdot(g, g)))
    if math.isinf(total):
        scale = float(np.max(np.abs(g)))
        if math.isfinite(scale):  # finite but huge entries: rescale, then square
            g = g / scale
            total = scale * math.sqrt(float(np.vdot(g, g)))
    return total


def _maybe_array(value: Any) -> Array | None:
    return None if value is None else np.array(value)
