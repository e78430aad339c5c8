"""The multi-layer perceptron: a forward pass that returns its cache and a
backward pass that consumes it, exactly as the textbook (``../shared/seeds``)
writes them, for any depth.

Conventions (``../shared/CONTRACT.md``), said once:

* ``layers = [d_in, h_1, ..., d_out]``; weight layers are ``l = 0 .. L-1``.
* ``W[l]`` is ``(layers[l+1], layers[l])`` (out x in), ``b[l]`` is ``(layers[l+1],)``.
* Samples are rows: ``X`` is ``(m, d_in)``; ``z[l]``, ``a[l]`` and ``delta[l]``
  are ``(m, layers[l+1])``; ``a[-1]`` means ``X``.
* Forward: ``z[l] = a[l-1] @ W[l].T + b[l]``, ``a[l] = act_l(z[l])``.
* Objective: batch mean of the per-sample loss ``+ (l2/2) sum_l ||W[l]||_F^2``.
* Backward: ``delta[L-1]`` from the loss; then
  ``delta[l-1] = (delta[l] @ W[l]) * act'(z[l-1])`` (the error goes back through
  ``W.T``: with samples as rows, ``(W.T @ delta.T).T == delta @ W``);
  ``dW[l] = delta[l].T @ a[l-1] + l2 W[l]`` (a sum of outer products over the
  batch) and ``db[l] = delta[l].sum(axis=0)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .activations import Activation, get_activation
from .init import INITIALIZERS, init_params
from .losses import Loss, check_pair, get_loss

Array = np.ndarray


DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(slots=True)
class ForwardCache:
    """What the forward pass keeps for the backward pass (and for display).

    ``X`` is ``(m, d_in)``; ``z[l]`` and ``a[l]`` are ``(m, layers[l+1])``.
    ``a[-1]`` in the textbook sense is ``X``; here use :meth:`a_prev`.
    """

    X: Array
    z: list[Array]
    a: list[Array]

    def a_prev(self, l: int) -> Array:
        """The input of weight layer ``l``: ``X`` for ``l = 0``, else ``a[l-1]``."""
        return self.X if l == 0 else self.a[l - 1]

    @property
    def output(self) -> Array:
        """The prediction ``yhat = a[L-1]``, ``(m, d_out)``."""
        return self.a[-1]


def _views(flat: Array, layers: Sequence[int]) -> tuple[list[Array], list[Array]]:
    """Split a flat vector into ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)`` views.

    Layout: every ``W`` first, then every ``b``, so the weights alone (which
    L2 penalises) are one contiguous slice and an optimizer updates all the
    parameters with one vectorised expression.
    """
    W, b, pos = [], [], 0
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        W.append(flat[pos:pos + n_out * n_in].reshape(n_out, n_in))
        pos += n_out * n_in
    for n_out in layers[1:]:
        b.append(flat[pos:pos + n_out])
        pos += n_out
    return W, b


def n_weights(layers: Sequence[int]) -> int:
    """How many entries all the ``W[l]`` hold together."""
    return sum(i * o for i, o in zip(layers[:-1], layers[1:]))


class Params:
    """Weights and biases: ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)``.

    They are views into one flat vector ``flat`` (every ``W``, then every
    ``b``); change them in place or through :meth:`MLP.set_params`, never by
    rebinding ``W[l]``.
    """

    __slots__ = ("layers", "flat", "W", "b", "n_w")

    def __init__(self, layers: Sequence[int], flat: Array) -> None:
        self.layers = list(layers)
        self.flat = flat
        self.W, self.b = _views(flat, self.layers)
        self.n_w = n_weights(self.layers)

    @classmethod
    def zeros(cls, layers: Sequence[int], dtype=np.float64) -> "Params":
        n = sum(i * o + o for i, o in zip(layers[:-1], layers[1:]))
        return cls(layers, np.zeros(n, dtype=dtype))

    @classmethod
    def from_arrays(cls, W: Sequence[Array], b: Sequence[Array], dtype=np.float64) -> "Params":
        layers = [W[0].shape[1]] + [w.shape[0] for w in W]
        p = cls.zeros(layers, dtype)
        for dst, src in zip(p.W + p.b, list(W) + list(b)):
            dst[...] = src
        return p

    @property
    def weights_flat(self) -> Array:
        """All the weights as one contiguous vector (a view)."""
        return self.flat[: self.n_w]

    def copy(self) -> "Params":
        return Params(self.layers, self.flat.copy())

    def __repr__(self) -> str:
        return f"Params(layers={self.layers}, n={self.flat.size})"


class Gradients:
    """The backward pass of one batch: per layer ``delta``, ``dW``, ``db``.

    ``delta[l]`` is ``(m, layers[l+1])``; ``dW[l]`` is shaped like ``W[l]`` and
    ``db[l]`` like ``b[l]`` (views into ``flat``, laid out as in
    :class:`Params`). ``grad_norm[l]`` is ``||dW[l]||_F``. ``loss`` is the
    batch objective (mean loss plus the L2 term) at the parameters used.
    ``act_prime[l]`` is ``act'(z[l])`` ``(m, layers[l+1])``, the factor that
    ``delta[l]`` was multiplied by on its way back, for every hidden layer;
    ``None`` for the output layer, whose delta comes from the loss.
    :meth:`MLP.backward` and a trainer's ``step`` hand back arrays of their
    own; inside the training loop they are its workspace's, overwritten by
    the next step (and a linear hidden layer's ``act_prime``, all ones, is
    not made there).
    """

    __slots__ = ("delta", "act_prime", "flat", "dW", "db", "grad_norm", "loss")

    def __init__(self, delta: list[Array], grads: Params, grad_norm: list[float], loss: float,
                 act_prime: list[Array | None] | None = None) -> None:
        self.delta = delta
        self.act_prime = act_prime if act_prime is not None else [None] * len(delta)
        self.flat = grads.flat
        self.dW, self.db = grads.W, grads.b
        self.grad_norm = grad_norm
        self.loss = loss

    @property
    def finite(self) -> bool:
        """False when the loss or any gradient is NaN or infinite (divergence)."""
        return math.isfinite(self.loss) and all(math.isfinite(n) for n in self.grad_norm)

    def __repr__(self) -> str:
        return f"Gradients(loss={self.loss!r}, grad_norm={self.grad_norm!r})"


WORKSPACES_KEPT = 3
"""Workspaces an :class:`MLP` caches (see :meth:`MLP.workspace`)."""


class Workspace:
    """Preallocated arrays for batches of exactly ``m`` rows, reused step after step.

    With one, the training loop writes every ``z[l]``, ``a[l]`` and
    ``delta[l]`` in place instead of allocating: on small batches each new
    array adds to NumPy's per-call cost, and on large ones a fresh array
    costs page faults on first touch. Anything handed back to a caller who
    may keep it (:meth:`MLP.forward`, :meth:`MLP.backward`, a trainer's
    ``step``) is computed without one.
    """

    __slots__ = ("m", "X", "y", "z", "a", "delta", "df", "ones", "sq")

    def __init__(self, layers: Sequence[int], m: int, dtype=np.float64, backward: bool = True) -> None:
        self.m = m
        # A minibatch gathered from a large training set (the trainer fills them).
        self.X = np.empty((m, layers[0]), dtype) if backward else None
        self.y = np.empty((m, layers[-1]), dtype) if backward else None
        shapes = [(m, n) for n in layers[1:]]
        self.z = [np.empty(s, dtype) for s in shapes]
        self.a = [np.empty(s, dtype) for s in shapes]
        # delta[L-1] comes from the loss; delta[l] and f'(z[l]) for the rest.
        self.delta = [np.empty(s, dtype) for s in shapes[:-1]] if backward else []
        self.df = [np.empty(s, dtype) for s in shapes[:-1]] if backward else []
        self.ones = np.ones(m, dtype)
        self.sq = np.empty(n_weights(layers), dtype) if backward else None

    def __repr__(self) -> str:
        return f"Workspace(m={self.m}, layers={[a.shape[1] for a in self.a]})"


class MLP:
    """A fully connected network trained by backpropagation.

    Parameters
    ----------
    layers: ``[d_in, h_1, ..., d_out]``, at least two sizes, all positive.
    activation: hidden activation, a key of :data:`~mlp_engine.activations.ACTIVATIONS`.
    output_activation: a key of :data:`~mlp_engine.activations.OUTPUT_ACTIVATIONS`.
    loss: a key of :data:`~mlp_engine.losses.LOSSES` that pairs with the output.
    init: a key of :data:`~mlp_engine.init.INITIALIZERS`, used unless ``weights`` is given.
    rng: the generator that draws the initial weights.
    weights, biases: explicit initial parameters (shapes as above; biases default to 0).
    l2: the L2 penalty coefficient on the weights (never on the biases).
    dtype: ``"float64"`` (default, exact) or ``"float32"`` (faster).
    """

    def __init__(
        self,
        layers: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        loss: str = "mse",
        init: str = "he",
        rng: np.random.Generator | None = None,
        weights: Sequence | None = None,
        biases: Sequence | None = None,
        l2: float = 0.0,
        dtype: str = "float64",
    ) -> None:
        self.layers = _check_layers(layers)
        self.activation: Activation = get_activation(activation)
        self.output_activation: Activation = get_activation(
            output_activation, output=True, field="output_activation"
        )
        self.loss_fn: Loss = get_loss(loss)
        check_pair(output_activation, loss)
        if dtype not in DTYPES:
            raise ValueError(f"dtype: unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        self.dtype = dtype
        self._np_dtype = DTYPES[dtype]
        if isinstance(l2, bool) or not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
            raise ValueError(f"l2: must be a finite number >= 0, got {l2!r}")
        self.l2 = float(l2)
        if not isinstance(init, str) or init not in INITIALIZERS:  # checked even when unused
            raise ValueError(f"init: unknown initialisation {init!r}; choose one of {', '.join(INITIALIZERS)}")
        self.init = init
        if weights is not None:
            self.params = self._explicit_params(weights, biases)
        else:
            if biases is not None:
                raise ValueError("model.biases: give model.weights too, or neither")
            W, b = init_params(self.layers, init, rng or np.random.default_rng(), self._np_dtype)
            self.params = Params.from_arrays(W, b, self._np_dtype)
        # Per layer, the activation's f (None for linear: then a[l] is z[l]),
        # and the hidden layers' f' (None for linear: f' = 1).
        hidden = None if self.activation.name == "linear" else self.activation.f
        output = None if self.output_activation.name == "linear" else self.output_activation.f
        self._f = [hidden] * (self.n_layers - 1) + [output]
        self._df_hidden = None if self.activation.name == "linear" else self.activation.df
        self._no_buffers: list[None] = [None] * self.n_layers
        self._workspaces: dict[tuple[int, bool], Workspace] = {}

    # -- parameters ---------------------------------------------------------
    @property
    def W(self) -> list[Array]:
        return self.params.W

    @property
    def b(self) -> list[Array]:
        return self.params.b

    @property
    def n_layers(self) -> int:
        """``L``, the number of weight layers."""
        return len(self.layers) - 1

    @property
    def n_params(self) -> int:
        return self.params.flat.size

    def _explicit_params(self, weights: Sequence, biases: Sequence | None, finite: bool = True) -> Params:
        L = self.n_layers
        if not isinstance(weights, (list, tuple)) or len(weights) != L:
            raise ValueError(f"model.weights: expected {L} matrices for layers {self.layers}")
        if biases is not None and (not isinstance(biases, (list, tuple)) or len(biases) != L):
            raise ValueError(f"model.biases: expected {L} vectors for layers {self.layers}")
        params = Params.zeros(self.layers, self._np_dtype)
        for l in range(L):
            shape = (self.layers[l + 1], self.layers[l])
            params.W[l][...] = _as_array(weights[l], shape, f"model.weights[{l}]", finite)
            if biases is not None:
                params.b[l][...] = _as_array(biases[l], (shape[0],), f"model.biases[{l}]", finite)
        return params

    def set_params(self, W: Sequence, b: Sequence, *, finite: bool = True) -> None:
        """Replace the parameters (shapes checked), e.g. when loading a state.

        ``finite=False`` accepts NaN and infinity too: a saved state of a
        diverged run loads back as it was.
        """
        self.params.flat[...] = self._explicit_params(W, b, finite).flat

    # -- the two passes -----------------------------------------------------
    def forward(self, X: Array) -> ForwardCache:
        """Run ``X`` ``(m, d_in)`` through the network, caching ``z`` and ``a``.

        A single sample may be given as a vector ``(d_in,)``; it is treated as
        a batch of one.
        """
        X = self._as_batch(X, self.layers[0], "X")
        with np.errstate(all="ignore"):  # divergence is reported, never raised
            return self._forward(X)

    def backward(self, cache: ForwardCache, y: Array) -> Gradients:
        """Carry the output error back through the network.

        ``y`` is ``(m, d_out)`` (a vector is one sample). Returns ``delta``,
        ``dW``, ``db`` per layer, the gradient norm per layer and the batch
        objective, all computed with the parameters the cache was made with.
        """
        y = self._as_batch(y, self.layers[-1], "y")
        if y.shape[0] != cache.X.shape[0]:
            raise ValueError(f"y: {y.shape[0]} rows for {cache.X.shape[0]} samples of X")
        with np.errstate(all="ignore"):
            return self._backward(cache, y)

    def _forward(self, X: Array, ws: Workspace | None = None) -> ForwardCache:
        # The hot path: no checks, no errstate (callers hold it). With a
        # workspace every array is written in place. np.dot rather than @:
        # on a minibatch's small matrices its call is cheaper.
        no_ws = self._no_buffers
        z: list[Array] = []
        a: list[Array] = []
        h = X
        for W, b, f, z_out, a_out in zip(self.params.W, self.params.b, self._f,
                                         no_ws if ws is None else ws.z, no_ws if ws is None else ws.a):
            zl = np.dot(h, W.T, out=z_out)  # z[l] = a[l-1] @ W[l].T + b[l]
            np.add(zl, b, out=zl)
            h = zl if f is None else f(zl, out=a_out)  # a[l] = act_l(z[l]); linear: z[l] itself
            z.append(zl)
            a.append(h)
        return ForwardCache(X, z, a)

    def _backward(self, cache: ForwardCache, y: Array, out: Params | None = None,
                  ws: Workspace | None = None) -> Gradients:
        # ``out`` lets the training loop reuse one gradient buffer for every
        # step and ``ws`` its delta buffers (it keeps no traces); a public
        # backward() gets fresh arrays.
        L = len(self.layers) - 1
        W = self.params.W
        grads = out if out is not None else Params(self.layers, np.empty_like(self.params.flat))
        d_out, df_out = (self._no_buffers, self._no_buffers) if ws is None else (ws.delta, ws.df)
        inputs = [cache.X, *cache.a[:-1]]  # a[l-1], the input of layer l
        delta: list[Array] = [None] * L  # type: ignore[list-item]
        act_prime: list[Array | None] = [None] * L
        loss, d = self.loss_fn.value_and_delta(cache.z[-1], cache.a[-1], y, self.output_activation)
        ones = np.ones(d.shape[0], dtype=d.dtype) if ws is None else ws.ones
        df = self._df_hidden
        for l in range(L - 1, -1, -1):
            delta[l] = d
            # dW = delta.T @ a[l-1], the sum over the batch of the outer
            # products delta_i a_i^T; db = 1^T delta, the sum of the rows.
            np.dot(d.T, inputs[l], out=grads.W[l])
            np.dot(ones, d, out=grads.b[l])
            if l:
                # Back through W.T, then through sigma' of the layer below.
                d = np.dot(d, W[l], out=d_out[l - 1])
                if df is not None:  # linear's f' is 1: the hot path skips the multiply
                    d *= (fp := df(cache.z[l - 1], inputs[l], out=df_out[l - 1]))
                elif ws is None:  # a trace still shows the 1 it multiplied by
                    fp = self.activation.df(cache.z[l - 1], inputs[l])
                else:
                    fp = None
                act_prime[l - 1] = fp
        if self.l2:
            loss += self.penalty()
            self._add_penalty_gradient(grads, ws)
        norms = [math.sqrt(float(np.vdot(g, g))) for g in grads.W]  # ||dW[l]||_F
        return Gradients(delta, grads, norms, float(loss), act_prime)

    def workspace(self, m: int, backward: bool = True) -> Workspace:
        """The (cached) :class:`Workspace` for batches of ``m`` rows."""
        key = (m, backward)
        ws = self._workspaces.pop(key, None)
        if ws is None:
            ws = Workspace(self.layers, m, self._np_dtype, backward)
            # Training needs three (a full batch, the last partial one, the test pass): keep the
            # most recently used three, so odd batch sizes asked for once are not kept for good.
            while len(self._workspaces) >= WORKSPACES_KEPT:
                del self._workspaces[next(iter(self._workspaces))]
        self._workspaces[key] = ws  # last: the most recently used
        return ws

    # -- conveniences -------------------------------------------------------
    def predict(self, X: Array) -> Array:
        """The network's output ``(m, d_out)`` for ``X`` ``(m, d_in)``."""
        return self.forward(X).output

    def objective(self, X: Array, y: Array) -> float:
        """The batch objective (mean loss + L2 term) at the current parameters."""
        X = self._as_batch(X, self.layers[0], "X")
        y = self._as_batch(y, self.layers[-1], "y")
        with np.errstate(all="ignore"):
            return self._objective(X, y)

    def _objective(self, X: Array, y: Array, ws: Workspace | None = None) -> float:
        cache = self._forward(X, ws)
        loss = self.loss_fn.value(cache.z[-1], cache.a[-1], y, self.output_activation)
        return float(loss + self.penalty())

    def penalty(self) -> float:
        """The L2 term of the objective, ``(l2/2) sum_l ||W[l]||_F^2`` (biases are not penalised)."""
        if not self.l2:
            return 0.0
        w = self.params.weights_flat
        return 0.5 * self.l2 * float(np.vdot(w, w))

    def _add_penalty_gradient(self, grads: Params, ws: Workspace | None = None) -> None:
        """Add the penalty's gradient ``l2 W[l]`` to every ``dW[l]`` in ``grads``:
        one expression over all the weights, a contiguous slice."""
        if self.l2:
            grads.weights_flat[...] += np.multiply(self.params.weights_flat, self.l2,
                                                   out=None if ws is None else ws.sq)

    def config(self) -> dict:
        """The constructor arguments (without parameters), JSON-safe."""
        return {
            "layers": list(self.layers),
            "activation": self.activation.name,
            "output_activation": self.output_activation.name,
            "loss": self.loss_fn.name,
            "init": self.init,
            "l2": self.l2,
            "dtype": self.dtype,
        }

    def _as_batch(self, X: Array, width: int, name: str) -> Array:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != width:
            raise ValueError(f"{name}: expected shape (m, {width}), got {X.shape}")
        if X.dtype != self._np_dtype:
            X = X.astype(self._np_dtype)
        return X

    def __repr__(self) -> str:
        return (
            f"MLP(layers={self.layers}, activation={self.activation.name!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss_fn.name!r}, "
            f"l2={self.l2}, dtype={self.dtype!r})"
        )


def _check_layers(layers: Sequence[int]) -> list[int]:
    try:
        out = [int(n) for n in layers]
    except (TypeError, ValueError):
        raise ValueError(f"layers: must be a list of positive integers, got {layers!r}") from None
    if len(out) < 2:
        raise ValueError(f"layers: need at least [d_in, d_out], got {out}")
    if any(n < 1 for n in out) or any(n != v for n, v in zip(out, layers)):
        raise ValueError(f"layers: every size must be a positive integer, got {list(layers)}")
    return out


def _as_array(value, shape: tuple[int, ...], name: str, finite: bool = True) -> Array:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be numbers of shape {shape}") from None
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite numbers (no NaN or infinity)")
    return arr
