"""The multi-layer perceptron: a forward pass that returns its cache and a
backward pass that consumes it, exactly as the textbook writes them, for any depth.

Conventions (``docs/math.md``), said once:

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

The remedies and regularisers are all off by default. Batch norm, dropout and
the residual skip are stages inside a hidden layer, each a forward/backward
pair in :mod:`.remedies`; the one loop of each pass calls the stages a layer
has. ``delta[l]`` stays ``dObjective/dz[l]``. L1 adds ``l1 sum_l sum |W[l]|``
to the objective and ``l1 sign(W[l])`` to ``dW[l]``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .activations import Activation, get_activation
from .init import INITIALIZERS, init_params
from .losses import Loss, check_pair, get_loss
from .params import Params, n_params, n_weights
from .remedies import BN_EPS, BN_MOMENTUM, BatchNorm, Dropout, Skip
from .trace import ForwardCache, Gradients
from .workspace import WORKSPACES_KEPT, Workspace

Array = np.ndarray


DTYPES = {"float64": np.float64, "float32": np.float32}

DROPOUT_BELOW = 1.0
"""``model.dropout`` is in ``[0, DROPOUT_BELOW)``: dropping every unit leaves nothing to scale."""


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
        self.skip = Skip.applies(residual, self.layers)
        self._plain = not (self.dropout or batch_norm or any(self.skip))
        # Per weight layer, the stages its passes run besides z and f (never in the output layer).
        self._bn_at = [batch_norm] * (self.n_layers - 1) + [False]
        self._skip_at = self.skip + [False]
        # Per weight layer, None where its forward pass is z and f only, else its hidden index.
        self._staged = [None if self._plain else l for l in range(self.n_layers - 1)] + [None]
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
        """The forward pass, one loop over the layers: ``z[l]``, then ``f`` or, in a hidden
        layer of a model with remedies, its stages (:meth:`_hidden_forward`).

        The hot path: no checks, no errstate (callers hold it). With a workspace
        (used by the plain network only) every array is written in place. np.dot
        rather than @: on a minibatch's small matrices its call is cheaper."""
        P, none = self.params, self._no_buffers
        if self._plain:
            z_buf, a_buf = (none, none) if ws is None else (ws.z, ws.a)
            fa = norm = None
        else:
            z_buf, a_buf = none, none
            fa, norm = [], []  # f(u) before dropout and skip; batch norm's (u, z_hat, mean, var, inv_std)
        z: list[Array] = []
        a: list[Array] = []
        h = X
        for W, b, f, hidden, z_out, a_out in zip(P.W, P.b, self._f, self._staged, z_buf, a_buf):
            zl = np.dot(h, W.T, out=z_out)  # z[l] = a[l-1] @ W[l].T + b[l]
            np.add(zl, b, out=zl)
            if hidden is None:  # z and f only
                h = zl if f is None else f(zl, out=a_out)  # a[l] = act_l(z[l]); linear: z[l] itself
            else:
                h = self._hidden_forward(hidden, zl, h, f, train, masks, fa, norm)
            z.append(zl)
            a.append(h)
        if fa is None:
            return ForwardCache(X, z, a)
        u, z_hat, mean, var, inv_std = map(list, zip(*norm)) if norm else (None,) * 5
        return ForwardCache(X, z, a, fa, z_hat, u, mean, var, inv_std,
                            None if masks is None else list(masks), train)

    def _hidden_forward(self, l: int, z: Array, a_prev: Array, f, train: bool,
                        masks: Sequence[Array] | None, fa: list[Array], norm: list[tuple[Array, ...]]) -> Array:
        """``a[l]`` of a hidden layer with remedies, from its ``z[l]`` ``(m, n)``: batch norm,
        ``f``, dropout, skip (each where the model has it); records ``f(u)`` in ``fa`` and
        batch norm's ``(u, z_hat, mean, var, inv_std)`` in ``norm``. Fresh arrays."""
        u = z
        if self.batch_norm:
            running = () if train else (self.running_mean[l], self.running_var[l])
            norm.append(BatchNorm.forward(z, self.params.gamma[l], self.params.beta[l], *running))
            u = norm[-1][0]
        out = u if f is None else f(u)
        fa.append(out)
        if masks is not None:
            out = Dropout.forward(out, masks[l], self.dropout)
        if self.skip[l]:
            out = Skip.forward(out, a_prev)
        return out

    def _backward(self, cache: ForwardCache, y: Array, out: Params | None = None,
                  ws: Workspace | None = None) -> Gradients:
        """The backward pass, one loop over the layers, down.

        Layer ``l`` takes ``delta[l]`` to ``dW[l]``, ``db[l]`` and ``delta[l] @ W[l]``
        (plus ``g = dObjective/da[l]`` where its skip handed it on), which is
        ``g = dObjective/da[l-1]``; that goes back through ``f'`` of layer ``l-1`` or,
        with remedies, its stages in reverse (:meth:`_hidden_backward`), giving
        ``delta[l-1]``.

        ``out`` lets the training loop reuse one gradient buffer for every
        step and ``ws`` its delta buffers (the plain network's only; it keeps
        no traces); a public backward() gets fresh arrays."""
        P = self.params
        L = len(P.W)
        grads = out if out is not None else Params(self.layers, np.empty_like(P.flat), self.batch_norm)
        if not self._plain:
            ws = None
        none = self._no_buffers
        d_out, df_out = (none, none) if ws is None else (ws.delta, ws.df)
        inputs = [cache.X, *cache.a[:-1]]  # a[l-1], the input of layer l
        W, dW, db, dfs, staged, bn_at, skip_at = (P.W, grads.W, grads.b, self._df, self._staged,
                                                  self._bn_at, self._skip_at)
        delta: list[Array] = [None] * L  # type: ignore[list-item]
        act_prime: list[Array | None] = [None] * L
        loss, d = self.loss_fn.value_and_delta(cache.z[-1], cache.a[-1], y, self.output_activation)
        # db = 1^T delta, the sum of the rows: through BLAS on the plain path; the remedies'
        # path sums with add.reduce, which rounds differently, and keeps it so that saved
        # runs continue bit for bit.
        ones = None if not self._plain else np.ones(d.shape[0], d.dtype) if ws is None else ws.ones
        g = d  # dObjective/da of the hidden layer above, which its skip hands on
        for l in range(L - 1, -1, -1):
            delta[l] = d
            # dW = delta.T @ a[l-1], the sum over the batch of the outer products delta_i a_i^T.
            np.dot(d.T, inputs[l], out=dW[l])
            if ones is not None:
                np.dot(ones, d, out=db[l])
            elif bn_at[l]:
                BatchNorm.bias_gradient(db[l])
            else:
                np.add.reduce(d, axis=0, out=db[l])
            if l:
                d = np.dot(d, W[l], out=d_out[l - 1])  # back through W.T: dObjective/da[l-1]
                k = l - 1  # the hidden layer below
                if staged[k] is None:  # f' only
                    df = dfs[k]
                    if df is not None:
                        d *= (fp := df(cache.z[k], cache.a[k], out=df_out[k]))
                    else:  # linear's f' is 1: no multiply; a trace still shows the 1
                        fp = None if ws is not None else self.activations[k].df(cache.z[k], cache.a[k])
                    act_prime[k] = fp
                else:
                    if skip_at[l]:
                        d = Skip.backward(d, g)
                    g = d
                    d = self._hidden_backward(k, d, cache, grads, act_prime)
        if self.l2 or self.l1:
            loss += self.penalty()
            self._add_penalty_gradient(grads, ws)
        norms = [math.sqrt(float(np.vdot(gr, gr))) for gr in grads.W]  # ||dW[l]||_F
        return Gradients(delta, grads, norms, float(loss), act_prime)

    def _hidden_backward(self, l: int, g: Array, cache: ForwardCache, grads: Params,
                         act_prime: list[Array | None]) -> Array:
        """``delta[l]`` ``(m, n)`` of a hidden layer with remedies from ``g = dObjective/da[l]``:
        back through dropout, ``f'`` (recorded in ``act_prime[l]``) and batch norm (which
        writes ``dgamma[l]``, ``dbeta[l]``). Fresh arrays; ``g`` is left as it is."""
        d = g if cache.mask is None else Dropout.backward(g, cache.mask[l], self.dropout)
        u = cache.z[l] if cache.u is None else cache.u[l]
        fp = act_prime[l] = self.activations[l].df(u, cache.fa[l])
        if self._df[l] is not None:  # linear's f' is 1: no multiply
            d = d * fp
        if self.batch_norm:
            d = BatchNorm.backward(d, cache.z_hat[l], cache.inv_std[l], self.params.gamma[l],
                                   cache.batch_stats, grads.gamma[l], grads.beta[l])
        return d

    # -- dropout and batch norm's running estimates ------------------------
    def draw_masks(self, rng: np.random.Generator, m: int) -> list[Array] | None:
        """Dropout masks for a batch of ``m`` (:meth:`.remedies.Dropout.draw`): per hidden layer
        ``(m, n)`` of 0 and 1; ``None`` without dropout (nothing is drawn)."""
        if not self.dropout:
            return None
        return Dropout.draw(rng, m, self.layers[1:-1], self.dropout, self._np_dtype)

    def update_running(self, cache: ForwardCache) -> None:
        """Move batch norm's running estimates toward a training pass's batch statistics
        (:meth:`.remedies.BatchNorm.update_running`); nothing outside training."""
        if not self.batch_norm or not cache.batch_stats:
            return
        m = cache.X.shape[0]
        for rm, rv, mu, va in zip(self.running_mean, self.running_var, cache.mean, cache.var):
            BatchNorm.update_running(rm, rv, mu, va, m)

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


# The model's parts live in rooms of their own; callers may import them from here too.
__all__ = ["MLP", "DTYPES", "l1_gradient", "Params", "n_params", "n_weights", "ForwardCache", "Gradients",
           "Workspace", "WORKSPACES_KEPT", "BN_EPS", "BN_MOMENTUM"]
