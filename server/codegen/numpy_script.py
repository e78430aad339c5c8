"""The NumPy script: the forward and backward passes spelled out as the seeds write them.

:func:`render` turns a :class:`~.common.Snapshot` into the script's source text.
"""
from __future__ import annotations

import pprint

from .common import (WIDTH, Snapshot, _num, early_stopping_note, header,
                     order_section, output_section, per_layer, schedule_section)
from .data import data_imports, data_section

_HIDDEN = {
    "relu": ("max(0, z)", "np.maximum(z, 0.0)", "(z > 0).astype(z.dtype)  # 0 at the kink"),
    "leaky_relu": ("max(0.01 z, z)", "np.maximum(z, z * 0.01)", "np.where(z > 0, 1.0, 0.01).astype(z.dtype)"),
    "sigmoid": ("1 / (1 + exp(-z))", "1.0 / (1.0 + np.exp(-z))", "a - a * a  # a (1 - a)"),
    "tanh": ("tanh(z)", "np.tanh(z)", "1.0 - a * a"),
    "linear": ("z", "z", "np.ones_like(z)"),
}

_OUTPUT = {
    "linear": "z  # a linear output: yhat = z",
    "sigmoid": "1.0 / (1.0 + np.exp(-z))",
    "softmax": "softmax(z)",
}

_LOSS = {
    "mse": '''\
def loss_and_delta(z, yhat, y):
    """Objective (1/m) sum_i 1/2 ||yhat_i - y_i||^2 and the output error delta[L-1] = dObjective/dz,
    (m, d_out): seed 000's Delta = (1/m)(Yhat - Y), times the output's f'(z){f_prime_note}."""
    m = z.shape[0]
    diff = yhat - y
    value = 0.5 * float(np.vdot(diff, diff)) / m
{f_prime}    return value, diff * (1.0 / m)
''',
    "cross_entropy": '''\
def loss_and_delta(z, yhat, y):
    """Objective -(1/m) sum_i sum_j y_ij log p_ij with p = softmax(z); its output error is the
    famous delta[L-1] = (p - y) / m (seed 003: softmax and cross-entropy together)."""
    m = z.shape[0]
    log_p = np.log(yhat)
    if log_p.min() < -690.0:  # some p underflowed: log p = z - logsumexp(z), from the logits
        zmax = z.max(axis=1, keepdims=True)
        log_p = z - (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))
    value = -float(np.vdot(y, log_p)) / m
    return value, (yhat - y) * (1.0 / m)
''',
    "binary_cross_entropy": '''\
def loss_and_delta(z, yhat, y):
    """Objective -(1/m) sum [y log p + (1 - y) log(1 - p)] with p = sigmoid(z), computed as
    softplus(z) - y z so that it stays finite; its output error is delta[L-1] = (p - y) / m."""
    m = z.shape[0]
    value = float(np.logaddexp(0.0, z).sum() - np.vdot(y, z)) / m
    return value, (yhat - y) * (1.0 / m)
''',
}


def _optimizer(s: Snapshot) -> str:
    o = s.opt
    name, t = o["name"], int(o["t"])
    clip = o.get("clip_norm")
    lines = [f"# ---- The optimizer: {name} (updates applied so far: t = {t}) ----", f"t = {t}"]
    if clip is not None:
        lines.append(f"CLIP_NORM = {_num(clip)}")
    if name == "momentum":
        mu, nesterov = o["momentum"], o["nesterov"]
        vel = o["velocity"]
        lines.append(f"MU, NESTEROV = {_num(mu)}, {nesterov!r}")
        if vel is None:
            lines.append("# No update yet: the velocity starts at zero.")
            lines.append("vW = [np.zeros_like(w) for w in W]\nvb = [np.zeros_like(v) for v in b]")
        else:
            lines.append(per_layer("vW", vel["W"], "The velocity of every weight, as the session holds it."))
            lines.append(per_layer("vb", vel["b"], "... and of every bias."))
            lines.append("vW = [np.asarray(v, dtype=DTYPE) for v in vW]\nvb = [np.asarray(v, dtype=DTYPE) for v in vb]")
    elif name == "adam":
        lines.append(f"BETA1, BETA2, EPSILON = {_num(o['beta1'])}, {_num(o['beta2'])}, {_num(o['epsilon'])}")
        if o["m"] is None:
            lines.append("# No update yet: both moments start at zero.")
            lines.append("mW = [np.zeros_like(w) for w in W]\nmb = [np.zeros_like(v) for v in b]")
            lines.append("sW = [np.zeros_like(w) for w in W]\nsb = [np.zeros_like(v) for v in b]")
        else:
            lines.append(per_layer("mW", o["m"]["W"], "First moments (mean of g) of the weights ..."))
            lines.append(per_layer("mb", o["m"]["b"], "... and of the biases."))
            lines.append(per_layer("sW", o["v"]["W"], "Second moments (mean of g^2) of the weights ..."))
            lines.append(per_layer("sb", o["v"]["b"], "... and of the biases."))
            lines.append("mW, mb = [np.asarray(x, dtype=DTYPE) for x in mW], [np.asarray(x, dtype=DTYPE) for x in mb]")
            lines.append("sW, sb = [np.asarray(x, dtype=DTYPE) for x in sW], [np.asarray(x, dtype=DTYPE) for x in sb]")
    lines.append("")
    lines.append("")
    lines.append("def update(gW, gb, lr):")
    lines.append('    """One update of every W[l] and b[l] in place from the gradients gW, gb."""')
    lines.append("    global t")
    if clip is not None:
        lines.append("    # Clipping by the global norm sqrt(sum_l ||dW[l]||^2 + ||db[l]||^2) of the whole gradient.")
        lines.append("    total = math.sqrt(sum(float(np.vdot(g, g)) for g in gW + gb))")
        lines.append("    if total > CLIP_NORM:")
        lines.append("        gW = [g * (CLIP_NORM / total) for g in gW]")
        lines.append("        gb = [g * (CLIP_NORM / total) for g in gb]")
    lines.append("    t += 1")
    if name == "sgd":
        lines.append("    for p, g in zip(W + b, gW + gb):")
        lines.append("        p -= lr * g  # the seeds' update: theta <- theta - alpha dL/dtheta")
    elif name == "momentum":
        lines.append("    for p, g, v in zip(W + b, gW + gb, vW + vb):")
        lines.append("        v *= MU")
        lines.append("        v -= lr * g  # v <- mu v - lr g")
        lines.append("        if NESTEROV:")
        lines.append("            p += MU * v - lr * g  # looking ahead: theta <- theta + mu v - lr g")
        lines.append("        else:")
        lines.append("            p += v  # heavy ball: theta <- theta + v")
    else:
        lines.append("    # Bias correction folded into the step size (Kingma & Ba, section 2):")
        lines.append("    # theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).")
        lines.append("    step = lr * math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)")
        lines.append("    for p, g, m1, m2 in zip(W + b, gW + gb, mW + mb, sW + sb):")
        lines.append("        m1 *= BETA1")
        lines.append("        m1 += (1 - BETA1) * g  # m <- beta1 m + (1 - beta1) g")
        lines.append("        m2 *= BETA2")
        lines.append("        m2 += (1 - BETA2) * g * g  # v <- beta2 v + (1 - beta2) g^2")
        lines.append("        p -= step * (m1 / (np.sqrt(m2) + EPSILON))")
    return "\n".join(lines)


def _hidden(s: Snapshot) -> str:
    """``hidden_<name>(z)`` and ``hidden_<name>_prime(z, a)`` for every hidden activation used,
    and ``HIDDEN[l]`` / ``HIDDEN_PRIME[l]``, hidden layer ``l``'s pair."""
    parts = []
    for name in dict.fromkeys(s.activations):
        formula, f, df = _HIDDEN[name]
        parts.append(f'''def hidden_{name}(z):
    """The hidden activation {name}: {formula}."""
    return {f}


def hidden_{name}_prime(z, a):
    """sigma'(z) of {name}, from the cached z and a = {name}(z) (before any skip is added)."""
    return {df}
''')
    names = ", ".join(f"hidden_{n}" for n in s.activations)
    primes = ", ".join(f"hidden_{n}_prime" for n in s.activations)
    parts.append(f"HIDDEN = [{names}]  # hidden layer l's activation\nHIDDEN_PRIME = [{primes}]")
    return "\n\n".join(parts)


def _passes(s: Snapshot, loss: str, softmax: str) -> str:
    """The activations, the forward pass and the backward pass (with the skips when residual)."""
    out_f = _OUTPUT[s.output_activation]
    head = f'''# ---- The forward pass: z[l] = a[l-1] @ W[l].T + b[l], a[l] = f(z[l]) ----
{_hidden(s)}
{softmax}

def output(z):
    """The output activation {s.output_activation}."""
    return {out_f}

'''
    penalty = '''    if L2:
        value += 0.5 * L2 * sum(float(np.vdot(w, w)) for w in W)
        gW = [g + L2 * w for g, w in zip(gW, W)]  # d/dW of (l2/2)||W||^2 is l2 W
    if L1:
        value += L1 * sum(float(np.abs(w).sum()) for w in W)
        gW = [g + L1 * np.sign(w) for g, w in zip(gW, W)]  # d/dW of l1 |W| is l1 sign(W), sign(0) = 0
    return value, gW, gb'''
    if not (any(s.skip) or s.dropout):
        return head + f'''
def forward(X):
    """Cache every z[l] and a[l], (m, layers[l+1]); a[-1] is the input X (m, d_in)."""
    zs, acts = [], []
    a = X
    for l in range(len(W)):
        z = a @ W[l].T + b[l]  # seed 000: z_1 = W_1 x + b_1, with samples as rows
        a = output(z) if l == len(W) - 1 else HIDDEN[l](z)
        zs.append(z)
        acts.append(a)
    return zs, acts, acts


{loss}

def backward(X, y, zs, fs, acts):
    """The objective and dW[l], db[l] (shaped like W[l], b[l]) of the batch X (m, d_in), y (m, d_out)."""
    value, delta = loss_and_delta(zs[-1], acts[-1], y)
    gW, gb = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        a_prev = X if l == 0 else acts[l - 1]
        gW[l] = delta.T @ a_prev  # seed 000: dL/dW = Delta H^T (outer products summed over the batch)
        gb[l] = delta.sum(axis=0)  # dL/db = the sum of Delta's rows
        if l:
            # The hidden error: delta_1 = (W_2^T delta_2) * sigma'(z_1); as rows, delta @ W.
            delta = (delta @ W[l]) * HIDDEN_PRIME[l - 1](zs[l - 1], acts[l - 1])
{penalty}
'''
    drop = ""
    if s.dropout:
        rng_state = pprint.pformat(s.dropout_rng, width=WIDTH - 32).replace("\n", "\n" + " " * 32)
        drop = f'''
# model.dropout: inverted dropout, p = {_num(s.dropout)} on every hidden layer's output in training,
# a[l] = f(z[l]) * mask / (1 - p), the masks drawn from the session's own dropout generator
# (PCG64, its state copied here; apart from the batch order's), one step at a time.
P_DROP = {_num(s.dropout)}
HIDDEN_WIDTHS = {s.layers[1:-1]!r}
drop_rng = np.random.Generator(np.random.PCG64())
drop_rng.bit_generator.state = {rng_state}


def draw_masks(m):
    """Per hidden layer, (m, n) of 0 and 1: kept where rng.random((m, n)) < 1 - p, layer by layer."""
    return [(drop_rng.random((m, n)) < 1.0 - P_DROP).astype(DTYPE) for n in HIDDEN_WIDTHS]

'''
    fwd_drop = ("\n            if masks is not None:  # dropout: keep, scaled by 1 / (1 - p)\n"
                "                a = f * masks[l] / (1.0 - P_DROP)") if s.dropout else ""
    bwd_drop = ("\n            if masks is not None:  # back through dropout: the same mask and scale\n"
                "                g_in = g_in * masks[l - 1] / (1.0 - P_DROP)") if s.dropout else ""
    return head + f'''{drop}
# model.residual: hidden layer l adds a[l-1] to its output where l >= 1 and it is as wide as
# the layer below, a[l] = f(z[l]) + a[l-1] (after dropout).
SKIP = {s.skip!r}


def forward(X, masks=None):
    """Cache every z[l], f(z[l]) and a[l], (m, layers[l+1]); a[-1] is the input X (m, d_in)."""
    zs, fs, acts = [], [], []
    a = X
    for l in range(len(W)):
        z = a @ W[l].T + b[l]  # seed 000: z_1 = W_1 x + b_1, with samples as rows
        if l == len(W) - 1:
            f = a_new = output(z)
        else:
            f = HIDDEN[l](z)
            a_new = f{fwd_drop.replace("a = f *", "a_new = f *")}
            if SKIP[l]:
                a_new = a_new + a  # the skip: + a[l-1]
        a = a_new
        zs.append(z)
        fs.append(f)
        acts.append(a)
    return zs, fs, acts


{loss}

def backward(X, y, zs, fs, acts, masks=None):
    """The objective and dW[l], db[l] (shaped like W[l], b[l]) of the batch X (m, d_in), y (m, d_out)."""
    value, delta = loss_and_delta(zs[-1], acts[-1], y)
    gW, gb = [None] * len(W), [None] * len(W)
    g = None  # dObjective/da[l] of the layer being passed
    for l in range(len(W) - 1, -1, -1):
        a_prev = X if l == 0 else acts[l - 1]
        gW[l] = delta.T @ a_prev  # seed 000: dL/dW = Delta H^T (outer products summed over the batch)
        gb[l] = delta.sum(axis=0)  # dL/db = the sum of Delta's rows
        if l:
            # dObjective/da[l-1]: back through W[l] (as rows, delta @ W), plus, where layer l
            # added a[l-1], the gradient of a[l] itself, which the skip hands on unchanged.
            g_below = delta @ W[l]
            if l < len(W) - 1 and SKIP[l]:
                g_below = g_below + g
            g = g_below
            g_in = g{bwd_drop}
            # Through sigma' of the layer below, at its f(z) (a[l-1] may include a skip).
            delta = g_in * HIDDEN_PRIME[l - 1](zs[l - 1], fs[l - 1])
{penalty}
'''


def render(s: Snapshot) -> str:
    """The whole NumPy script for ``s``."""
    if s.loss == "mse" and s.output_activation == "sigmoid":
        loss = _LOSS["mse"].format(f_prime_note=" = a (1 - a) for a sigmoid output",
                                   f_prime="    diff = diff * (yhat - yhat * yhat)\n")
    elif s.loss == "mse":
        loss = _LOSS["mse"].format(f_prime_note=" (1 for a linear output)", f_prime="")
    else:
        loss = _LOSS[s.loss]
    imports = "\n".join(["import hashlib", "import json", "import math", "import os", "import sys", "",
                         "import numpy as np", *data_imports(s)])
    softmax = '''

def softmax(z):
    """exp(z_j) / sum_k exp(z_k) per row; subtracting the row max keeps exp finite."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
''' if s.output_activation == "softmax" else ""
    passes = _passes(s, loss, softmax)
    step_lines = ("    masks = draw_masks(Xb.shape[0])  # this step's dropout masks\n"
                  "    zs, fs, acts = forward(Xb, masks)\n"
                  "    value, last_dW, last_db = backward(Xb, yb, zs, fs, acts, masks)") if s.dropout else (
                  "    zs, fs, acts = forward(Xb)\n"
                  "    value, last_dW, last_db = backward(Xb, yb, zs, fs, acts)")
    return f'''{header(s, "NumPy", "numpy and scikit-learn")}
{imports}

DTYPE = np.{s.dtype}

{data_section(s)}

# ---- The model as it stands: layers {s.layers} ----
{per_layer("W", s.W, "W[l] is (out, in): row i holds the weights into unit i of layer l.")}
{per_layer("b", s.b, "b[l] is (out,).")}
W = [np.asarray(w, dtype=DTYPE) for w in W]
b = [np.asarray(v, dtype=DTYPE) for v in b]
L2 = {_num(s.l2)}  # the penalty (l2/2) sum_l ||W[l]||^2, on weights only
L1 = {_num(s.l1)}  # the penalty l1 sum_l sum |W[l]|, on weights only


{passes}

{_optimizer(s)}


def params_now():
    return zip(W, b)


{order_section(s)}


{schedule_section(s)}

{early_stopping_note(s)}
# ---- Train: the session's next {s.steps} step(s) ----
STEPS = {s.steps}
losses = []
for _ in range(STEPS):
    rows, ends_epoch = next_batch()
    Xb, yb = X_train[rows], y_train[rows]
{step_lines}
    losses.append(value)
    update(last_dW, last_db, rate_for_update(t + 1))
    if ends_epoch:
        end_epoch()

{output_section()}
'''
