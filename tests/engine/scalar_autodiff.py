"""A tiny scalar reverse-mode autodiff (micrograd-style), the tests' independent oracle.

Every number is a :class:`Value` that remembers how it was made; ``backward()``
walks the graph in reverse topological order and applies each operation's
local derivative. It shares no code with ``mlp_engine``: the network, the
losses and the L2 term are built here from scalars, straight from
CONTRACT.md's definitions, so agreement with the engine to 1e-10 checks the
engine's vectorised backward pass against plain calculus.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence


class Value:
    """A scalar and its gradient ``dOutput/dself`` (filled by :meth:`backward`)."""

    __slots__ = ("data", "grad", "_parents", "_backward")

    def __init__(self, data: float, parents: tuple["Value", ...] = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward: Callable[[], None] = lambda: None

    # -- arithmetic: each forward rule with its backward rule beside it ----------
    def __add__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def backward() -> None:
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other: "Value | float") -> "Value":
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __neg__(self) -> "Value":
        return self * -1.0

    def __sub__(self, other: "Value | float") -> "Value":
        return self + (-other if isinstance(other, Value) else Value(-other))

    def __rsub__(self, other: float) -> "Value":
        return Value(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def exp(self) -> "Value":
        out = Value(math.exp(self.data), (self,))

        def backward() -> None:
            self.grad += out.data * out.grad
        out._backward = backward
        return out

    def log(self) -> "Value":
        out = Value(math.log(self.data), (self,))

        def backward() -> None:
            self.grad += out.grad / self.data
        out._backward = backward
        return out

    def square(self) -> "Value":
        out = Value(self.data * self.data, (self,))

        def backward() -> None:
            self.grad += 2.0 * self.data * out.grad
        out._backward = backward
        return out

    def rsqrt(self) -> "Value":
        """``1 / sqrt(x)``; its derivative is ``-1/2 x^(-3/2)``."""
        out = Value(1.0 / math.sqrt(self.data), (self,))

        def backward() -> None:
            self.grad += -0.5 * out.data / self.data * out.grad
        out._backward = backward
        return out

    def abs(self) -> "Value":
        """``|x|``; its derivative is ``sign(x)``, 0 at 0."""
        out = Value(abs(self.data), (self,))

        def backward() -> None:
            self.grad += (1.0 if self.data > 0 else -1.0 if self.data < 0 else 0.0) * out.grad
        out._backward = backward
        return out

    def relu(self) -> "Value":
        return self.leaky(0.0)

    def leaky(self, slope: float) -> "Value":
        out = Value(self.data if self.data > 0 else slope * self.data, (self,))

        def backward() -> None:
            self.grad += (1.0 if self.data > 0 else slope) * out.grad
        out._backward = backward
        return out

    def tanh(self) -> "Value":
        out = Value(math.tanh(self.data), (self,))

        def backward() -> None:
            self.grad += (1.0 - out.data**2) * out.grad
        out._backward = backward
        return out

    def sigmoid(self) -> "Value":
        out = Value(1.0 / (1.0 + math.exp(-self.data)), (self,))

        def backward() -> None:
            self.grad += out.data * (1.0 - out.data) * out.grad
        out._backward = backward
        return out

    # -- reverse mode ------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every value this one depends on (``self.grad = 1``)."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # iterative post-order DFS: deep graphs need no recursion
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"


def total(values: Iterable[Value | float]) -> Value:
    out: Value | float = 0.0
    for v in values:
        out = v + out if isinstance(v, Value) else out + v
    return out if isinstance(out, Value) else Value(out)


HIDDEN: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "leaky_relu": lambda v: v.leaky(0.01),
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "linear": lambda v: v,
}


def per_sample_loss(z: list[Value], y: Sequence[float], output_activation: str, loss: str) -> tuple[list[Value], Value]:
    """The output activation ``a`` of one sample and its loss (CONTRACT.md)."""
    if output_activation == "softmax":
        # log p_j = z_j - log sum_k exp(z_k - c) - c; c (a constant) keeps exp finite.
        c = max(v.data for v in z)
        log_norm = total((v - c).exp() for v in z).log() + c
        log_p = [v - log_norm for v in z]
        a = [lp.exp() for lp in log_p]
        assert loss == "cross_entropy"
        return a, -total(yj * lp for yj, lp in zip(y, log_p))
    a = [v.sigmoid() for v in z] if output_activation == "sigmoid" else list(z)
    if loss == "mse":
        return a, 0.5 * total((aj - yj).square() for aj, yj in zip(a, y))
    assert loss == "binary_cross_entropy" and output_activation == "sigmoid"
    return a, -total(yj * aj.log() + (1.0 - yj) * (1.0 - aj).log() for aj, yj in zip(a, y))


class ScalarMLP:
    """The contract's MLP built from scalars: ``W[l][i][k]`` is ``(out, in)``.

    The remedies as the contract's issue words them, per hidden layer ``l``:
    ``z``, batch norm over the batch (``z_hat = (z - mean) / sqrt(var + 1e-5)``
    with the biased variance, ``u = gamma z_hat + beta``), ``f_l(u)``, dropout
    ``* mask / (1 - p)`` with the given masks, then ``+ a[l-1]`` when the widths
    agree and ``l >= 1``; L1 adds ``l1 sum |W|``. ``activation`` is one name or
    one per hidden layer.
    """

    def __init__(self, W: Sequence, b: Sequence, activation: str | Sequence[str], output_activation: str,
                 loss: str, l2: float = 0.0, *, l1: float = 0.0, dropout: float = 0.0,
                 masks: Sequence | None = None, batch_norm: bool = False, gamma: Sequence | None = None,
                 beta: Sequence | None = None, residual: bool = False) -> None:
        self.W = [[[Value(x) for x in row] for row in w] for w in W]
        self.b = [[Value(x) for x in v] for v in b]
        n_hidden = len(W) - 1
        self.activations = [activation] * n_hidden if isinstance(activation, str) else list(activation)
        self.output_activation, self.loss, self.l2, self.l1 = output_activation, loss, l2, l1
        self.dropout, self.masks, self.batch_norm, self.residual = dropout, masks, batch_norm, residual
        widths = [len(w) for w in W[:-1]]
        self.gamma = [[Value(x) for x in (gamma[l] if gamma else [1.0] * n)] for l, n in enumerate(widths)]
        self.beta = [[Value(x) for x in (beta[l] if beta else [0.0] * n)] for l, n in enumerate(widths)]

    def objective(self, X: Sequence[Sequence[float]], Y: Sequence[Sequence[float]]):
        """Batch-mean loss plus ``(l2/2) sum ||W||^2 + l1 sum |W|``; also every ``z``
        and ``a`` as ``[layer][sample][unit]`` Values (their ``grad`` is ``delta``
        after backward), and per hidden layer ``z_hat`` and ``u`` (batch norm)."""
        L = len(self.W)
        m = len(X)
        zs: list[list[list[Value]]] = []
        as_: list[list[list[Value]]] = []
        self.z_hat: list[list[list[Value]]] = []
        self.u: list[list[list[Value]]] = []
        H: list[list[Value | float]] = [list(x) for x in X]
        losses = []
        for l in range(L):
            Z = [[total([bi] + [w * hk for w, hk in zip(row, h)]) for row, bi in zip(self.W[l], self.b[l])]
                 for h in H]
            zs.append(Z)
            if l == L - 1:
                A = []
                for z, y in zip(Z, Y):
                    a, sample_loss = per_sample_loss(z, y, self.output_activation, self.loss)
                    A.append(a)
                    losses.append(sample_loss)
                as_.append(A)
                break
            U = Z
            if self.batch_norm:
                n = len(Z[0])
                mean = [total(Z[i][j] for i in range(m)) * (1.0 / m) for j in range(n)]
                var = [total((Z[i][j] - mean[j]).square() for i in range(m)) * (1.0 / m) for j in range(n)]
                inv = [(v + 1e-5).rsqrt() for v in var]
                Zh = [[(Z[i][j] - mean[j]) * inv[j] for j in range(n)] for i in range(m)]
                U = [[self.gamma[l][j] * Zh[i][j] + self.beta[l][j] for j in range(n)] for i in range(m)]
                self.z_hat.append(Zh)
                self.u.append(U)
            A = [[HIDDEN[self.activations[l]](v) for v in row] for row in U]
            if self.masks is not None:
                A = [[v * (self.masks[l][i][j] / (1.0 - self.dropout)) for j, v in enumerate(row)]
                     for i, row in enumerate(A)]
            if self.residual and l >= 1 and len(A[0]) == len(H[0]):
                A = [[v + hk for v, hk in zip(row, h)] for row, h in zip(A, H)]
            as_.append(A)
            H = A
        J = total(losses) * (1.0 / len(losses))
        if self.l2:
            J = J + 0.5 * self.l2 * total(w.square() for layer in self.W for row in layer for w in row)
        if self.l1:
            J = J + self.l1 * total(w.abs() for layer in self.W for row in layer for w in row)
        return J, zs, as_
