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

The remedies and regularisers (all off by default; then the code runs the
plain path above, untouched). Inside hidden layer ``l`` the order is
``z = a[l-1] W[l]^T + b[l]``, batch norm ``z_hat = (z - mean) / sqrt(var + 1e-5)``,
``u = gamma z_hat + beta``, the activation ``f(u)`` (each hidden layer may
have its own), inverted dropout ``f(u) * mask / (1 - p)``, then the skip
``+ a[l-1]`` when the layer is as wide as the hidden layer below it.
``delta[l]`` stays ``dObjective/dz[l]``. L1 adds ``l1 sum_l sum |W[l]|`` to the
objective and ``l1 sign(W[l])`` to ``dW[l]``.
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

DROPOUT_BELOW = 1.0
"""``model.dropout`` is in ``[0, DROPOUT_BELOW)``: dropping every unit leaves nothing to scale."""
BN_EPS = 1e-5
"""Batch norm's ``eps`` in ``sqrt(var + eps)``, PyTorch's ``BatchNorm1d`` default."""
BN_MOMENTUM = 0.1
"""How far each training step moves the running estimates toward the batch's, as PyTorch."""


@dataclass(slots=True)
class ForwardCache:
    """What the forward pass keeps for the backward pass (and for display).

    ``X`` is ``(m, d_in)``; ``z[l]`` and ``a[l]`` are ``(m, layers[l+1])``.
    ``a[-1]`` in the textbook sense is ``X``; here use :meth:`a_prev`.
    """

    X: Array
    z: list[Array]
    a: list[Array]
    # Only with batch norm, dropout or residual connections, one entry per hidden layer:
    # f(u) before dropout and skip ``(m, n)``; with batch norm ``z_hat`` and ``u``
    # ``(m, n)``, the batch mean and biased variance ``(n,)`` (or the running
    # estimates outside training) and ``1 / sqrt(var + eps)`` ``(n,)``; with dropout
    # the masks ``(m, n)`` of 0 and 1 (None outside training).
    fa: list[Array] | None = None
    z_hat: list[Array] | None = None
    u: list[Array] | None = None
    mean: list[Array] | None = None
    var: list[Array] | None = None
    inv_std: list[Array] | None = None
    mask: list[Array] | None = None
    batch_stats: bool = True
    """Whether batch norm used this batch's statistics (training) or the running estimates."""

    def a_prev(self, l: int) -> Array:
        """The input of weight layer ``l``: ``X`` for ``l = 0``, else ``a[l-1]``."""
        return self.X if l == 0 else self.a[l - 1]

    @property
    def output(self) -> Array:
        """The prediction ``yhat = a[L-1]``, ``(m, d_out)``."""
        return self.a[-1]


def _views(flat: Array, layers: Sequence[int], batch_norm: bool = False
           ) -> tuple[list[Array], list[Array], list[Array], list[Array]]:
    """Split a flat vector into ``W[l]`` ``(out, in)``, ``b[l]`` ``(out,)`` views and,
    with batch norm, every hidden layer's ``gamma`` and ``beta`` ``(out,)``.

    Layout: every ``W`` first, then every ``b`` (then every ``gamma``, every
    ``beta``), so the weights alone (which L2 and L1 penalise) are one
    contiguous slice and an optimizer updates all the parameters with one
    vectorised expression.
    """
    W, b, gamma, beta, pos = [], [], [], [], 0
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        W.append(flat[pos:pos + n_out * n_in].reshape(n_out, n_in))
        pos += n_out * n_in
    for n_out in layers[1:]:
        b.append(flat[pos:pos + n_out])
        pos += n_out
    for target in ((gamma, beta) if batch_norm else ()):
        for n_out in layers[1:-1]:
            target.append(flat[pos:pos + n_out])
            pos += n_out
    return W, b, gamma, beta


def n_params(layers: Sequence[int], batch_norm: bool = False) -> int:
    """How many numbers the parameters hold (``gamma`` and ``beta`` included)."""
    return sum(i * o + o for i, o in zip(layers[:-1], layers[1:])) + (
        2 * sum(layers[1:-1]) if batch_norm else 0)


def n_weights(layers: Sequence[int]) -> int:
    """How many entries all the ``W[l]`` hold together."""
    return sum(i * o for i, o in zip(layers[:-1], layers[1:]))


class Params:
    """Weights and biases: ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)``; with
    batch norm also ``gamma[l]`` and ``beta[l]`` ``(out,)`` of every hidden layer.

    They are views into one flat vector ``flat`` (every ``W``, then every
    ``b``, every ``gamma``, every ``beta``); change them in place or through
    :meth:`MLP.set_params`, never by rebinding ``W[l]``.
    """

    __slots__ = ("layers", "flat", "W", "b", "gamma", "beta", "n_w", "batch_norm")

    def __init__(self, layers: Sequence[int], flat: Array, batch_norm: bool = False) -> None:
        self.layers = list(layers)
        self.flat = flat
        self.batch_norm = bool(batch_norm)
        self.W, self.b, self.gamma, self.beta = _views(flat, self.layers, self.batch_norm)
        self.n_w = n_weights(self.layers)

    @classmethod
    def zeros(cls, layers: Sequence[int], dtype=np.float64, batch_norm: bool = False) -> "Params":
        return cls(layers, np.zeros(n_params(layers, batch_norm), dtype=dtype), batch_norm)

    @classmethod
    def from_arrays(cls, W: Sequence[Array], b: Sequence[Array], dtype=np.float64,
                    batch_norm: bool = False) -> "Params":
        """``W`` and ``b`` as given; with ``batch_norm``, ``gamma = 1`` and ``beta = 0``."""
        layers = [W[0].shape[1]] + [w.shape[0] for w in W]
        p = cls.zeros(layers, dtype, batch_norm)
        for dst, src in zip(p.W + p.b, list(W) + list(b)):
            dst[...] = src
        for g in p.gamma:
            g.fill(1.0)
        return p

    @property
    def weights_flat(self) -> Array:
        """All the weights as one contiguous vector (a view)."""
        return self.flat[: self.n_w]

    def copy(self) -> "Params":
        return Params(self.layers, self.flat.copy(), self.batch_norm)

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
    not made there). With batch norm, ``act_prime[l]`` is ``f'(u[l])`` and
    ``dgamma[l]``, ``dbeta[l]`` ``(out,)`` are the hidden layers' (empty lists
    without it).
    """

    __slots__ = ("delta", "act_prime", "flat", "dW", "db", "dgamma", "dbeta", "grad_norm", "loss")

    def __init__(self, delta: list[Array], grads: Params, grad_norm: list[float], loss: float,
                 act_prime: list[Array | None] | None = None) -> None:
        self.delta = delta
        self.act_prime = act_prime if act_prime is not None else [None] * len(delta)
        self.flat = grads.flat
        self.dW, self.db = grads.W, grads.b
        self.dgamma, self.dbeta = grads.gamma, grads.beta
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


def l1_gradient(l1: float, w: Array) -> Array:
    """The L1 penalty's gradient ``l1 sign(w)``, elementwise, any shape; ``sign(0) = 0``
    (the subgradient that leaves a weight at exactly 0 where the data does not move it)."""
    return l1 * np.sign(w)


class MLP:
    """A fully connected network trained by backpropagation.

    Parameters
    ----------
    layers: ``[d_in, h_1, ..., d_out]``, at least two sizes, all positive.
    activation: hidden activation, a key of :data:`~mlp_engine.activations.ACTIVATIONS`,
        or a list of them, one per hidden layer.
    output_activation: a key of :data:`~mlp_engine.activations.OUTPUT_ACTIVATIONS`.
    loss: a key of :data:`~mlp_engine.losses.LOSSES` that pairs with the output.
    init: a key of :data:`~mlp_engine.init.INITIALIZERS`, used unless ``weights`` is given.
    rng: the generator that draws the initial weights.
    weights, biases: explicit initial parameters (shapes as above; biases default to 0).
    l2: the L2 penalty coefficient on the weights (never on the biases).
    dtype: ``"float64"`` (default, exact) or ``"float32"`` (faster).
    l1: the L1 penalty coefficient on the weights (never on the biases).
    dropout: ``p`` in ``[0, 1)``: inverted dropout on every hidden layer's output in training.
    batch_norm: normalise every hidden layer's pre-activation over the minibatch.
    residual: add ``a[l-1]`` to a hidden layer's output when their widths agree.
    """

    def __init__(
        self,
        layers: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str = "linear",
        loss: str = "mse",
        init: str = "he",
        rng: np.random.Generator | None = None,
        weights: Sequence | None = None,
        biases: Sequence | None = None,
        l2: float = 0.0,
        dtype: str = "float64",
        *,
        l1: float = 0.0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        residual: bool = False,
    ) -> None:
        self.layers = _check_layers(layers)
        self.activations: list[Activation] = _hidden_activations(activation, len(self.layers) - 2)
        # One name when every hidden layer shares it (as given), else the list.
        self.activation_spec: str | list[str] = (
            activation if isinstance(activation, str) else [act.name for act in self.activations])
        self.activation: Activation = (get_activation(activation) if isinstance(activation, str)
                                       else self.activations[0])
        self.output_activation: Activation = get_activation(
            output_activation, output=True, field="output_activation"
        )
        self.loss_fn: Loss = get_loss(loss)
        check_pair(output_activation, loss)
        if dtype not in DTYPES:
            raise ValueError(f"dtype: unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        self.dtype = dtype
        self._np_dtype = DTYPES[dtype]
        self.l2 = _coefficient(l2, "l2")
        self.l1 = _coefficient(l1, "l1")
        if isinstance(dropout, bool) or not (isinstance(dropout, (int, float)) and 0 <= dropout < DROPOUT_BELOW):
            raise ValueError(f"model.dropout: must be a number in [0, {DROPOUT_BELOW:g}), got {dropout!r}")
        self.dropout = float(dropout)
        for flag, name in ((batch_norm, "batch_norm"), (residual, "residual")):
            if not isinstance(flag, bool):
                raise ValueError(f"model.{name}: must be true or false, got {flag!r}")
        self.batch_norm, self.residual = batch_norm, residual
        if not isinstance(init, str) or init not in INITIALIZERS:  # checked even when unused
            raise ValueError(f"init: unknown initialisation {init!r}; choose one of {', '.join(INITIALIZERS)}")
        self.init = init
        if weights is not None:
            self.params = self._explicit_params(weights, biases)
        else:
            if biases is not None:
                raise ValueError("model.biases: give model.weights too, or neither")
            W, b = init_params(self.layers, init, rng or np.random.default_rng(), self._np_dtype)
            self.params = Params.from_arrays(W, b, self._np_dtype, batch_norm)
        # Per layer, the activation's f (None for linear: then a[l] is z[l]),
        # and the hidden layers' f' (None for linear: f' = 1).
        output = None if self.output_activation.name == "linear" else self.output_activation.f
        self._f = [None if act.name == "linear" else act.f for act in self.activations] + [output]
        self._df = [None if act.name == "linear" else act.df for act in self.activations]
        # Hidden layer l (l >= 1) adds a[l-1] when residual and as wide as it.
        self.skip = [residual and l >= 1 and self.layers[l + 1] == self.layers[l]
                     for l in range(self.n_layers - 1)]
        self._plain = not (self.dropout or batch_norm or any(self.skip))
        # Batch norm's running estimates of each hidden layer's mean and (unbiased) variance.
        hidden = self.layers[1:-1] if batch_norm else []
        self.running_mean: list[Array] = [np.zeros(n, self._np_dtype) for n in hidden]
        self.running_var: list[Array] = [np.ones(n, self._np_dtype) for n in hidden]
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
    def gamma(self) -> list[Array]:
        """Batch norm's scale of every hidden layer ``(out,)`` (empty without batch norm)."""
        return self.params.gamma

    @property
    def beta(self) -> list[Array]:
        """Batch norm's shift of every hidden layer ``(out,)`` (empty without batch norm)."""
        return self.params.beta

    @property
    def n_layers(self) -> int:
        """``L``, the number of weight layers."""
        return len(self.layers) - 1

    @property
    def n_params(self) -> int:
        return self.params.flat.size

    def _explicit_params(self, weights: Sequence, biases: Sequence | None, finite: bool = True,
                         gamma: Sequence | None = None, beta: Sequence | None = None) -> Params:
        L = self.n_layers
        if not isinstance(weights, (list, tuple)) or len(weights) != L:
            raise ValueError(f"model.weights: expected {L} matrices for layers {self.layers}")
        if biases is not None and (not isinstance(biases, (list, tuple)) or len(biases) != L):
            raise ValueError(f"model.biases: expected {L} vectors for layers {self.layers}")
        params = Params.zeros(self.layers, self._np_dtype, self.batch_norm)
        for l in range(L):
            shape = (self.layers[l + 1], self.layers[l])
            params.W[l][...] = _as_array(weights[l], shape, f"model.weights[{l}]", finite)
            if biases is not None:
                params.b[l][...] = _as_array(biases[l], (shape[0],), f"model.biases[{l}]", finite)
        for g in params.gamma:
            g.fill(1.0)
        for name, given, views in (("gamma", gamma, params.gamma), ("beta", beta, params.beta)):
            if given is not None:
                for l, dst in enumerate(views):
                    dst[...] = _as_array(given[l], dst.shape, f"params.{name}[{l}]", finite)
        return params

    def set_params(self, W: Sequence, b: Sequence, *, finite: bool = True,
                   gamma: Sequence | None = None, beta: Sequence | None = None) -> None:
        """Replace the parameters (shapes checked), e.g. when loading a state.

        ``finite=False`` accepts NaN and infinity too: a saved state of a
        diverged run loads back as it was. ``gamma`` and ``beta`` (batch norm)
        default to 1 and 0.
        """
        self.params.flat[...] = self._explicit_params(W, b, finite, gamma, beta).flat

    # -- the two passes -----------------------------------------------------
    def forward(self, X: Array, *, train: bool = False, masks: Sequence[Array] | None = None) -> ForwardCache:
        """Run ``X`` ``(m, d_in)`` through the network, caching ``z`` and ``a``.

        A single sample may be given as a vector ``(d_in,)``; it is treated as
        a batch of one. ``train=True`` is a training step's pass: batch norm
        uses the batch's statistics (not the running estimates, which it leaves
        as they are). ``masks`` (one ``(m, n)`` array of 0 and 1 per hidden
        layer, see :meth:`draw_masks`) applies dropout; without them no unit
        is dropped, as outside training.
        """
        X = self._as_batch(X, self.layers[0], "X")
        masks = self._check_masks(masks, X.shape[0])
        with np.errstate(all="ignore"):  # divergence is reported, never raised
            return self._forward(X, None, train, masks)

    def backward(self, cache: ForwardCache, y: Array) -> Gradients:
        """Carry the output error back through the network.

        ``y`` is ``(m, d_out)`` (a vector is one sample). Returns ``delta``,
        ``dW``, ``db`` per layer, the gradient norm per layer and the batch
        objective, all computed with the parameters the cache was made with
        (and its masks and batch statistics).
        """
        y = self._as_batch(y, self.layers[-1], "y")
        if y.shape[0] != cache.X.shape[0]:
            raise ValueError(f"y: {y.shape[0]} rows for {cache.X.shape[0]} samples of X")
        with np.errstate(all="ignore"):
            return self._backward(cache, y)

    def _forward(self, X: Array, ws: Workspace | None = None, train: bool = False,
                 masks: Sequence[Array] | None = None) -> ForwardCache:
        # The hot path: no checks, no errstate (callers hold it). With a
        # workspace every array is written in place. np.dot rather than @:
        # on a minibatch's small matrices its call is cheaper.
        if not self._plain:
            return self._forward_remedies(X, train, masks)
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

    def _forward_remedies(self, X: Array, train: bool, masks: Sequence[Array] | None) -> ForwardCache:
        """The forward pass with batch norm, dropout or skips (fresh arrays, no workspace).

        Per hidden layer: ``z``, batch norm (``z_hat``, ``u``), ``f(u)``,
        dropout ``f(u) * mask / (1 - p)``, skip ``+ a[l-1]``."""
        L = self.n_layers
        P = self.params
        z, a, fa, z_hat, u, mean, var, inv_std = [], [], [], [], [], [], [], []
        h = X
        for l in range(L):
            zl = np.dot(h, P.W[l].T)
            zl += P.b[l]
            f = self._f[l]
            if l == L - 1:
                z.append(zl)
                a.append(zl if f is None else f(zl))
                break
            ul = zl
            if self.batch_norm:
                if train:  # the batch's mean and biased variance, as BatchNorm1d in training mode
                    mu = zl.mean(axis=0)
                    va = ((zl - mu) ** 2).mean(axis=0)
                else:
                    mu, va = self.running_mean[l].copy(), self.running_var[l].copy()
                inv = 1.0 / np.sqrt(va + BN_EPS)
                zh = (zl - mu) * inv
                ul = P.gamma[l] * zh + P.beta[l]
                z_hat.append(zh)
                u.append(ul)
                mean.append(mu)
                var.append(va)
                inv_std.append(inv)
            fl = ul if f is None else f(ul)
            out = fl
            if masks is not None:
                out = fl * masks[l] / (1.0 - self.dropout)
            if self.skip[l]:
                out = out + h
            z.append(zl)
            fa.append(fl)
            a.append(out)
            h = out
        bn = self.batch_norm
        return ForwardCache(X, z, a, fa, z_hat if bn else None, u if bn else None, mean if bn else None,
                            var if bn else None, inv_std if bn else None,
                            None if masks is None else list(masks), train)

    def _backward(self, cache: ForwardCache, y: Array, out: Params | None = None,
                  ws: Workspace | None = None) -> Gradients:
        # ``out`` lets the training loop reuse one gradient buffer for every
        # step and ``ws`` its delta buffers (it keeps no traces); a public
        # backward() gets fresh arrays.
        if not self._plain:
            return self._backward_remedies(cache, y, out)
        L = len(self.layers) - 1
        W = self.params.W
        grads = out if out is not None else Params(self.layers, np.empty_like(self.params.flat))
        d_out, df_out = (self._no_buffers, self._no_buffers) if ws is None else (ws.delta, ws.df)
        inputs = [cache.X, *cache.a[:-1]]  # a[l-1], the input of layer l
        delta: list[Array] = [None] * L  # type: ignore[list-item]
        act_prime: list[Array | None] = [None] * L
        loss, d = self.loss_fn.value_and_delta(cache.z[-1], cache.a[-1], y, self.output_activation)
        ones = np.ones(d.shape[0], dtype=d.dtype) if ws is None else ws.ones
        dfs = self._df
        for l in range(L - 1, -1, -1):
            delta[l] = d
            # dW = delta.T @ a[l-1], the sum over the batch of the outer
            # products delta_i a_i^T; db = 1^T delta, the sum of the rows.
            np.dot(d.T, inputs[l], out=grads.W[l])
            np.dot(ones, d, out=grads.b[l])
            if l:
                # Back through W.T, then through sigma' of the layer below.
                d = np.dot(d, W[l], out=d_out[l - 1])
                df = dfs[l - 1]
                if df is not None:  # linear's f' is 1: the hot path skips the multiply
                    d *= (fp := df(cache.z[l - 1], inputs[l], out=df_out[l - 1]))
                elif ws is None:  # a trace still shows the 1 it multiplied by
                    fp = self.activations[l - 1].df(cache.z[l - 1], inputs[l])
                else:
                    fp = None
                act_prime[l - 1] = fp
        if self.l2 or self.l1:
            loss += self.penalty()
            self._add_penalty_gradient(grads, ws)
        norms = [math.sqrt(float(np.vdot(g, g))) for g in grads.W]  # ||dW[l]||_F
        return Gradients(delta, grads, norms, float(loss), act_prime)

    def _backward_remedies(self, cache: ForwardCache, y: Array, out: Params | None = None) -> Gradients:
        """The backward pass through skips, dropout and batch norm (see :meth:`_forward_remedies`).

        ``g = dObjective/da[l]`` arrives from above; through dropout and the
        activation ``du = g * mask / (1 - p) * f'(u)``; through batch norm
        ``dgamma = sum_i du z_hat``, ``dbeta = sum_i du`` and, with the batch's
        statistics, ``delta = inv_std (dz_hat - mean_i dz_hat - z_hat mean_i(dz_hat z_hat))``
        for ``dz_hat = gamma du`` (with the running estimates, constants:
        ``delta = inv_std dz_hat``), and ``db = 0`` exactly (the batch mean cancels
        ``b``); the skip hands ``g`` on to ``a[l-1]``."""
        L = self.n_layers
        P = self.params
        grads = out if out is not None else Params(self.layers, np.empty_like(P.flat), self.batch_norm)
        inputs = [cache.X, *cache.a[:-1]]
        delta: list[Array] = [None] * L  # type: ignore[list-item]
        act_prime: list[Array | None] = [None] * L
        loss, d = self.loss_fn.value_and_delta(cache.z[-1], cache.a[-1], y, self.output_activation)
        g = d
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                g = d  # dObjective/da[l]
                du = g
                if cache.mask is not None:
                    du = du * cache.mask[l] / (1.0 - self.dropout)
                ul = cache.u[l] if self.batch_norm else cache.z[l]
                fp = self.activations[l].df(ul, cache.fa[l])
                du = du * fp
                act_prime[l] = fp
                if self.batch_norm:
                    zh = cache.z_hat[l]
                    grads.gamma[l][...] = (du * zh).sum(axis=0)
                    grads.beta[l][...] = du.sum(axis=0)
                    dzh = du * P.gamma[l]
                    if cache.batch_stats:
                        d = cache.inv_std[l] * (dzh - dzh.mean(axis=0) - zh * (dzh * zh).mean(axis=0))
                    else:
                        d = cache.inv_std[l] * dzh
                else:
                    d = du
            delta[l] = d
            np.dot(d.T, inputs[l], out=grads.W[l])
            if self.batch_norm and l < L - 1:
                # The batch mean cancels b[l]: the objective does not depend on it, and
                # delta's column sums are 0 but for round-off, which would only jitter b.
                grads.b[l].fill(0.0)
            else:
                grads.b[l][...] = d.sum(axis=0)
            if l:
                d = np.dot(d, P.W[l])
                if l < L - 1 and self.skip[l]:
                    d = d + g
        if self.l2 or self.l1:
            loss += self.penalty()
            self._add_penalty_gradient(grads)
        norms = [math.sqrt(float(np.vdot(gr, gr))) for gr in grads.W]
        return Gradients(delta, grads, norms, float(loss), act_prime)

    # -- dropout and batch norm's running estimates ------------------------
    def draw_masks(self, rng: np.random.Generator, m: int) -> list[Array] | None:
        """Dropout masks for a batch of ``m``: per hidden layer ``(m, n)`` of 0 and 1,
        ``rng.random((m, n)) < 1 - p`` (keep probability ``1 - p``), layer by layer;
        ``None`` without dropout (nothing is drawn)."""
        if not self.dropout:
            return None
        keep = 1.0 - self.dropout
        return [(rng.random((m, n)) < keep).astype(self._np_dtype) for n in self.layers[1:-1]]

    def update_running(self, cache: ForwardCache) -> None:
        """Move batch norm's running estimates toward a training pass's batch statistics,
        as PyTorch: ``r <- (1 - 0.1) r + 0.1 s`` with the batch mean and the unbiased
        variance ``var * m / (m - 1)`` (a batch of one has none: the variance stays)."""
        if not self.batch_norm or not cache.batch_stats:
            return
        m = cache.X.shape[0]
        keep = 1.0 - BN_MOMENTUM
        for l, (mu, va) in enumerate(zip(cache.mean, cache.var)):
            rm, rv = self.running_mean[l], self.running_var[l]
            rm[...] = keep * rm + BN_MOMENTUM * mu
            if m > 1:
                rv[...] = keep * rv + BN_MOMENTUM * (va * (m / (m - 1)))

    def _check_masks(self, masks: Sequence[Array] | None, m: int) -> list[Array] | None:
        """Masks as given to :meth:`forward`: one ``(m, n)`` array of 0 and 1 per hidden layer."""
        if masks is None:
            return None
        hidden = self.layers[1:-1]
        if not self.dropout:
            raise ValueError("masks: this model has no dropout (model.dropout is 0)")
        if not isinstance(masks, (list, tuple)) or len(masks) != len(hidden):
            raise ValueError(f"masks: expected {len(hidden)} masks, one per hidden layer")
        out = []
        for l, (mask, n) in enumerate(zip(masks, hidden)):
            arr = _as_array(mask, (m, n), f"masks[{l}]")
            if not np.isin(arr, (0.0, 1.0)).all():
                raise ValueError(f"masks[{l}]: must hold 0 and 1 only")
            out.append(arr.astype(self._np_dtype))
        return out

    def running_state(self) -> dict[str, list[Array]]:
        """Copies of batch norm's running estimates, ``{"mean": [...], "var": [...]}`` per hidden layer."""
        return {"mean": [r.copy() for r in self.running_mean], "var": [r.copy() for r in self.running_var]}

    def load_running(self, state: dict[str, Sequence[Array]]) -> None:
        """Restore :meth:`running_state` output (checked shapes, see :mod:`.state_check`)."""
        for dst, src in zip(self.running_mean + self.running_var, list(state["mean"]) + list(state["var"])):
            dst[...] = src

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

    def objective(self, X: Array, y: Array, *, train: bool = False,
                  masks: Sequence[Array] | None = None) -> float:
        """The batch objective (mean loss + penalties) at the current parameters
        (``train`` and ``masks`` as in :meth:`forward`)."""
        X = self._as_batch(X, self.layers[0], "X")
        y = self._as_batch(y, self.layers[-1], "y")
        masks = self._check_masks(masks, X.shape[0])
        with np.errstate(all="ignore"):
            return self._objective(X, y, None, train, masks)

    def _objective(self, X: Array, y: Array, ws: Workspace | None = None, train: bool = False,
                   masks: Sequence[Array] | None = None) -> float:
        cache = self._forward(X, ws, train, masks)
        loss = self.loss_fn.value(cache.z[-1], cache.a[-1], y, self.output_activation)
        return float(loss + self.penalty())

    def penalty(self) -> float:
        """The penalty terms of the objective, ``(l2/2) sum_l ||W[l]||_F^2 + l1 sum_l sum |W[l]|``
        (biases, ``gamma`` and ``beta`` are not penalised)."""
        if not (self.l2 or self.l1):
            return 0.0
        w = self.params.weights_flat
        l2 = 0.5 * self.l2 * float(np.vdot(w, w)) if self.l2 else 0.0
        return l2 + self.l1 * float(np.abs(w).sum()) if self.l1 else l2

    def _add_penalty_gradient(self, grads: Params, ws: Workspace | None = None) -> None:
        """Add the penalties' gradient ``l2 W[l] + l1 sign(W[l])`` (``sign(0) = 0``) to every
        ``dW[l]`` in ``grads``: one expression over all the weights, a contiguous slice."""
        if self.l2:
            grads.weights_flat[...] += np.multiply(self.params.weights_flat, self.l2,
                                                   out=None if ws is None else ws.sq)
        if self.l1:
            grads.weights_flat[...] += l1_gradient(self.l1, self.params.weights_flat)

    def config(self) -> dict:
        """The constructor arguments (without parameters), JSON-safe."""
        return {
            "layers": list(self.layers),
            "activation": self.activation_spec,
            "output_activation": self.output_activation.name,
            "loss": self.loss_fn.name,
            "init": self.init,
            "l2": self.l2,
            "dtype": self.dtype,
            "l1": self.l1,
            "dropout": self.dropout,
            "batch_norm": self.batch_norm,
            "residual": self.residual,
        }

    def options(self) -> dict[str, object]:
        """The keyword arguments that rebuild this network's function (not its parameters)."""
        return {"l1": self.l1, "dropout": self.dropout, "batch_norm": self.batch_norm,
                "residual": self.residual}

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
            f"MLP(layers={self.layers}, activation={self.activation_spec!r}, "
            f"output_activation={self.output_activation.name!r}, loss={self.loss_fn.name!r}, "
            f"l2={self.l2}, dtype={self.dtype!r})"
        )


def _coefficient(value: float, field: str) -> float:
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{field}: must be a finite number >= 0, got {value!r}")
    return float(value)


def _hidden_activations(activation: str | Sequence[str], n_hidden: int) -> list[Activation]:
    """One activation per hidden layer, from one name or a list of ``n_hidden`` names."""
    if isinstance(activation, str):
        return [get_activation(activation)] * n_hidden
    if not isinstance(activation, (list, tuple)) or not activation:
        raise ValueError(f"model.activation: one name, or a list of one name per hidden layer; got {activation!r}")
    if len(activation) != n_hidden:
        raise ValueError(f"model.activation: a list needs one name per hidden layer ({n_hidden}), "
                         f"got {len(activation)}")
    return [get_activation(name, field=f"model.activation[{i}]") for i, name in enumerate(activation)]


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
