"""The NumPy script: the forward and backward passes spelled out as the textbook derivation writes them.

:func:`render` turns a :class:`~.common.Snapshot` into the script's source text.
"""
from __future__ import annotations

import pprint

from mlp_engine.remedies import BN_EPS, BN_MOMENTUM

from .common import (WIDTH, Snapshot, _num, batch_norm_literals, early_stopping_note, header,
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
    (m, d_out): the derivation's Delta = (1/m)(Yhat - Y), times the output's f'(z){f_prime_note}."""
    m = z.shape[0]
    diff = yhat - y
    value = 0.5 * float(np.vdot(diff, diff)) / m
{f_prime}    return value, diff * (1.0 / m)
''',
    "cross_entropy": '''\
def loss_and_delta(z, yhat, y):
    """Objective -(1/m) sum_i sum_j y_ij log p_ij with p = softmax(z); its output error is the
    famous delta[L-1] = (p - y) / m (softmax and cross-entropy together)."""
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


def _groups(s: Snapshot) -> list[str]:
    """The parameter groups in the engine's flat layout: every W, every b (then every gamma, every beta)."""
    return ["W", "b", "gamma", "beta"] if s.batch_norm else ["W", "b"]


def _state_lists(s: Snapshot, prefix: str, state: dict[str, list] | None, what: str) -> list[str]:
    """Source for one optimizer state list per group (``<prefix>W``, ``<prefix>b``, ...) and
    ``<prefix>`` itself, every group's arrays in the layout of ``PARAMS``."""
    groups = _groups(s)
    names = [f"{prefix}{g}" for g in groups]
    if state is None:
        return [f"{prefix} = [np.zeros_like(p) for p in PARAMS]"]
    lines = [per_layer(name, state[g], f"{what} of every {g}, as the session holds it.")
             for name, g in zip(names, groups)]
    lines.append(f"{prefix} = [np.asarray(x, dtype=DTYPE) for x in {' + '.join(names)}]")
    return lines


def _optimizer(s: Snapshot) -> str:
    o = s.opt
    name, t = o["name"], int(o["t"])
    clip = o.get("clip_norm")
    lines = [f"# ---- The optimizer: {name} (updates applied so far: t = {t}) ----", f"t = {t}"]
    if clip is not None:
        lines.append(f"CLIP_NORM = {_num(clip)}")
    if name == "momentum":
        lines.append(f"MU, NESTEROV = {_num(o['momentum'])}, {o['nesterov']!r}")
        if o["velocity"] is None:
            lines.append("# No update yet: the velocity starts at zero.")
        lines += _state_lists(s, "velocity", o["velocity"], "The velocity")
    elif name == "adam":
        lines.append(f"BETA1, BETA2, EPSILON = {_num(o['beta1'])}, {_num(o['beta2'])}, {_num(o['epsilon'])}")
        if o["m"] is None:
            lines.append("# No update yet: both moments start at zero.")
        lines += _state_lists(s, "moment1", o["m"], "First moments (mean of g)")
        lines += _state_lists(s, "moment2", o["v"], "Second moments (mean of g^2)")
    lines.append("")
    lines.append("")
    lines.append("def update(grads, lr):")
    lines.append('    """One update of every parameter in PARAMS, in place, from its gradient in grads."""')
    lines.append("    global t")
    if clip is not None:
        lines.append("    # Clipping by the global norm sqrt(sum ||g||^2) of the whole gradient (every parameter's).")
        lines.append("    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))")
        lines.append("    if total > CLIP_NORM:")
        lines.append("        grads = [g * (CLIP_NORM / total) for g in grads]")
    lines.append("    t += 1")
    if name == "sgd":
        lines.append("    for p, g in zip(PARAMS, grads):")
        lines.append("        p -= lr * g  # plain gradient descent: theta <- theta - alpha dL/dtheta")
    elif name == "momentum":
        lines.append("    for p, g, v in zip(PARAMS, grads, velocity):")
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
        lines.append("    for p, g, m1, m2 in zip(PARAMS, grads, moment1, moment2):")
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


_PENALTY = """\
    if L2:
        value += 0.5 * L2 * sum(float(np.vdot(w, w)) for w in W)
        gW = [g + L2 * w for g, w in zip(gW, W)]  # d/dW of (l2/2)||W||^2 is l2 W
    if L1:
        value += L1 * sum(float(np.abs(w).sum()) for w in W)
        gW = [g + L1 * np.sign(w) for g, w in zip(gW, W)]  # d/dW of l1 |W| is l1 sign(W), sign(0) = 0"""


def _plain_passes(loss: str) -> str:
    """The textbook forward and backward passes, no remedy in force."""
    return f"""
def forward(X):
    \"\"\"Cache every z[l] and a[l], (m, layers[l+1]); a[-1] is the input X (m, d_in).\"\"\"
    zs, acts = [], []
    a = X
    for l in range(len(W)):
        z = a @ W[l].T + b[l]  # the derivation's z_1 = W_1 x + b_1, with samples as rows
        a = output(z) if l == len(W) - 1 else HIDDEN[l](z)
        zs.append(z)
        acts.append(a)
    return {{"z": zs, "u": zs, "f": acts, "a": acts}}


{loss}

def backward(X, y, cache):
    \"\"\"The objective and dW[l], db[l] (shaped like W[l], b[l]) of the batch X (m, d_in), y (m, d_out).\"\"\"
    zs, acts = cache["z"], cache["a"]
    value, delta = loss_and_delta(zs[-1], acts[-1], y)
    gW, gb = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        a_prev = X if l == 0 else acts[l - 1]
        gW[l] = delta.T @ a_prev  # the derivation's dL/dW = Delta H^T (outer products summed over the batch)
        gb[l] = delta.sum(axis=0)  # dL/db = the sum of Delta's rows
        if l:
            # The hidden error: delta_1 = (W_2^T delta_2) * sigma'(z_1); as rows, delta @ W.
            delta = (delta @ W[l]) * HIDDEN_PRIME[l - 1](zs[l - 1], acts[l - 1])
{_PENALTY}
    return value, {{"W": gW, "b": gb}}
"""


def _dropout_section(s: Snapshot) -> str:
    rng_state = pprint.pformat(s.dropout_rng, width=WIDTH - 32).replace("\n", "\n" + " " * 32)
    return f"""
# model.dropout: inverted dropout, p = {_num(s.dropout)} on every hidden layer's output in training,
# a[l] = f(u[l]) * mask / (1 - p), the masks drawn from the session's own dropout generator
# (PCG64, its state copied here; apart from the batch order's), one step at a time.
P_DROP = {_num(s.dropout)}
drop_rng = np.random.Generator(np.random.PCG64())
drop_rng.bit_generator.state = {rng_state}


def draw_masks(m):
    \"\"\"Per hidden layer, (m, n) of 0 and 1: kept where rng.random((m, n)) < 1 - p, layer by layer.\"\"\"
    return [(drop_rng.random((m, n)) < 1.0 - P_DROP).astype(DTYPE) for n in LAYERS[1:-1]]
"""


def _batch_norm_section() -> str:
    return f"""
# model.batch_norm: every hidden layer normalises z over the minibatch before its activation,
# z_hat = (z - mean) / sqrt(var + eps), u = gamma z_hat + beta. In training the batch's mean
# and biased variance; in evaluation the running estimates, which each training step moves
# toward the batch's (PyTorch's BatchNorm1d: momentum 0.1, the unbiased variance).
BN_EPS, BN_MOMENTUM = {_num(BN_EPS)}, {_num(BN_MOMENTUM)}


def batch_norm(z, l, train):
    \"\"\"u = gamma[l] z_hat + beta[l] (m, n), and (z_hat, mean, var, inv_std) for the backward pass.\"\"\"
    if train:
        mean = z.mean(axis=0)
        var = ((z - mean) ** 2).mean(axis=0)  # biased: divided by m
    else:
        mean, var = running_mean[l].copy(), running_var[l].copy()
    inv_std = 1.0 / np.sqrt(var + BN_EPS)
    z_hat = (z - mean) * inv_std
    return gamma[l] * z_hat + beta[l], (z_hat, mean, var, inv_std)


def update_running(cache, m):
    \"\"\"r <- (1 - momentum) r + momentum s, with the batch's mean and its unbiased variance
    var m / (m - 1) (a batch of one has none: the variance estimate stays).\"\"\"
    for l, (_, mean, var, _) in enumerate(cache["bn"]):
        running_mean[l] = (1.0 - BN_MOMENTUM) * running_mean[l] + BN_MOMENTUM * mean
        if m > 1:
            running_var[l] = (1.0 - BN_MOMENTUM) * running_var[l] + BN_MOMENTUM * (var * (m / (m - 1)))
"""


def _remedy_passes(s: Snapshot, loss: str) -> str:
    """The forward and backward passes with batch norm, dropout and the skips (those in force)."""
    bn, drop, skip = s.batch_norm, bool(s.dropout), any(s.skip)
    f_bn = ("\n            u, stats = batch_norm(z, l, train)  # z_hat, then u = gamma z_hat + beta"
            "\n            cache[\"bn\"].append(stats)") if bn else ""
    f_drop = ("\n            if masks is not None:  # dropout: keep, scaled by 1 / (1 - p)"
              "\n                a_new = f * masks[l] / (1.0 - P_DROP)") if drop else ""
    f_skip = ("\n            if SKIP[l]:"
              "\n                a_new = a_new + a  # the skip: + a[l-1]") if skip else ""
    b_skip = ("\n            if l < len(W) - 1 and SKIP[l]:  # the skip hands the gradient of a[l] on unchanged"
              "\n                g_below = g_below + g") if skip else ""
    b_drop = ("\n            if masks is not None:  # back through dropout: the same mask and scale"
              "\n                g_in = g_in * masks[l - 1] / (1.0 - P_DROP)") if drop else ""
    if bn:
        b_norm = """
            # Back through batch norm (the batch's statistics depend on every row):
            # dgamma = sum_s du z_hat, dbeta = sum_s du, and with dz_hat = gamma du
            # delta = inv_std (dz_hat - mean_s dz_hat - z_hat mean_s(dz_hat z_hat)).
            z_hat, _, _, inv_std = cache["bn"][l - 1]
            g_gamma[l - 1] = (du * z_hat).sum(axis=0)
            g_beta[l - 1] = du.sum(axis=0)
            dzh = du * gamma[l - 1]
            delta = inv_std * (dzh - dzh.mean(axis=0) - z_hat * (dzh * z_hat).mean(axis=0))"""
        b_db = ("        # With batch norm the batch mean cancels a hidden layer's b: the objective does not\n"
                "        # depend on it, so db is 0 (the column sums of delta would be 0 but for round-off).\n"
                "        gb[l] = delta.sum(axis=0) if l == len(W) - 1 else np.zeros_like(b[l])")
        ret = '{"W": gW, "b": gb, "gamma": g_gamma, "beta": g_beta}'
        g_init = "\n    g_gamma, g_beta = [None] * len(gamma), [None] * len(beta)"
    else:
        b_norm = "\n            delta = du"
        b_db = "        gb[l] = delta.sum(axis=0)  # dL/db = the sum of Delta's rows"
        ret = '{"W": gW, "b": gb}'
        g_init = ""
    parts = [_dropout_section(s) if drop else "", _batch_norm_section() if bn else ""]
    if skip:
        parts.append(f"""
# model.residual: hidden layer l adds a[l-1] to its output where l >= 1 and it is as wide as
# the layer below, a[l] = f(u[l]) + a[l-1] (after dropout).
SKIP = {s.skip!r}
""")
    masks_arg = ", masks=None" if drop else ""
    return "".join(parts) + f"""

def forward(X{masks_arg}, train=True):
    \"\"\"Cache every z[l], u[l] (z[l], or batch norm's gamma z_hat + beta), f(u[l]) and a[l],
    (m, layers[l+1]); a[-1] is the input X (m, d_in). train=False: evaluation mode.\"\"\"
    cache = {{"z": [], "u": [], "f": [], "a": [], "bn": []}}
    a = X
    for l in range(len(W)):
        z = a @ W[l].T + b[l]  # the derivation's z_1 = W_1 x + b_1, with samples as rows
        u = z
        if l == len(W) - 1:
            f = a_new = output(z)
        else:{f_bn}
            f = HIDDEN[l](u)
            a_new = f{f_drop}{f_skip}
        a = a_new
        for key, value in (("z", z), ("u", u), ("f", f), ("a", a)):
            cache[key].append(value)
    return cache


{loss}

def backward(X, y, cache{masks_arg}):
    \"\"\"The objective and its gradients (dW[l], db[l] shaped like W[l], b[l]{', dgamma[l], dbeta[l] like gamma[l]' if bn else ''})
    of the batch X (m, d_in), y (m, d_out).\"\"\"
    zs, us, fs, acts = cache["z"], cache["u"], cache["f"], cache["a"]
    value, delta = loss_and_delta(zs[-1], acts[-1], y)
    gW, gb = [None] * len(W), [None] * len(W){g_init}
    g = None  # dObjective/da[l] of the layer being passed
    for l in range(len(W) - 1, -1, -1):
        a_prev = X if l == 0 else acts[l - 1]
        gW[l] = delta.T @ a_prev  # the derivation's dL/dW = Delta H^T (outer products summed over the batch)
{b_db}
        if l:
            # dObjective/da[l-1]: back through W[l] (as rows, delta @ W).
            g_below = delta @ W[l]{b_skip}
            g = g_below
            g_in = g{b_drop}
            # Through sigma' of the layer below, at its u (a[l-1] may include a skip).
            du = g_in * HIDDEN_PRIME[l - 1](us[l - 1], fs[l - 1]){b_norm}
{_PENALTY}
    return value, {ret}
"""


def _passes(s: Snapshot, loss: str, softmax: str) -> str:
    """The activations, the forward pass and the backward pass (with the remedies in force)."""
    head = f"""# ---- The forward pass: z[l] = a[l-1] @ W[l].T + b[l], a[l] = f(z[l]) ----
{_hidden(s)}
{softmax}

def output(z):
    \"\"\"The output activation {s.output_activation}.\"\"\"
    return {_OUTPUT[s.output_activation]}

"""
    plain = not (any(s.skip) or s.dropout or s.batch_norm)
    return head + (_plain_passes(loss) if plain else _remedy_passes(s, loss))


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
    groups = _groups(s)
    step = ["    masks = draw_masks(Xb.shape[0])  # this step's dropout masks"] if s.dropout else []
    step.append(f"    cache = forward(Xb{', masks' if s.dropout else ''})")
    if s.batch_norm:
        step.append("    update_running(cache, Xb.shape[0])  # from this batch's mean and variance")
    step.append(f"    value, grads = backward(Xb, yb, cache{', masks' if s.dropout else ''})")
    step.append("    last_dW, last_db = grads[\"W\"], grads[\"b\"]")
    step.append(f"    update([g for name in {groups!r} for g in grads[name]], rate_for_update(t + 1))")
    bn_model = bn_out = ""
    if s.batch_norm:
        bn_model = f"""
{batch_norm_literals(s, ("gamma", "beta", "running_mean", "running_var"))}
gamma, beta = [np.asarray(g, dtype=DTYPE) for g in gamma], [np.asarray(g, dtype=DTYPE) for g in beta]
running_mean = [np.asarray(r, dtype=DTYPE) for r in running_mean]
running_var = [np.asarray(r, dtype=DTYPE) for r in running_var]"""
        bn_out = '''


def bn_now():
    """Batch norm's gamma, beta and running estimates as they stand."""
    return {"gamma": gamma, "beta": beta, "mean": running_mean, "var": running_var}


def predict(X):
    """The network in evaluation mode: batch norm with the running estimates, no dropout."""
    return forward(X, train=False)["a"][-1]'''
    newline = "\n"
    return f"""{header(s, "NumPy", "numpy and scikit-learn")}
{imports}

DTYPE = np.{s.dtype}

{data_section(s)}

# ---- The model as it stands: layers {s.layers} ----
LAYERS = {s.layers}
{per_layer("W", s.W, "W[l] is (out, in): row i holds the weights into unit i of layer l.")}
{per_layer("b", s.b, "b[l] is (out,).")}
W = [np.asarray(w, dtype=DTYPE) for w in W]
b = [np.asarray(v, dtype=DTYPE) for v in b]{bn_model}
# Every trained parameter in the engine's order (the optimizer's state follows it).
PARAMS = {" + ".join(groups)}
L2 = {_num(s.l2)}  # the penalty (l2/2) sum_l ||W[l]||^2, on weights only
L1 = {_num(s.l1)}  # the penalty l1 sum_l sum |W[l]|, on weights only


{passes}

{_optimizer(s)}


def params_now():
    return zip(W, b){bn_out}


{order_section(s)}


{schedule_section(s)}

{early_stopping_note(s)}
# ---- Train: the session's next {s.steps} step(s) ----
STEPS = {s.steps}
losses = []
for _ in range(STEPS):
    rows, ends_epoch = next_batch()
    Xb, yb = X_train[rows], y_train[rows]
{newline.join(step)}
    losses.append(value)
    if ends_epoch:
        end_epoch()

{output_section(s)}
"""
