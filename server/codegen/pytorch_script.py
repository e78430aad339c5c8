"""The PyTorch script: ``torch.nn.Linear`` layers, autograd for the backward pass, and
``torch.optim`` where its update is the engine's formula; by hand, with the reason, where not.

:func:`render` turns a :class:`~.common.Snapshot` into the script's source text.
"""
from __future__ import annotations

import pprint

from mlp_engine.remedies import BN_EPS, BN_MOMENTUM

from .common import (WIDTH, Snapshot, _num, batch_norm_literals, early_stopping_note, header,
                     order_section, output_section, per_layer, schedule_section)
from .data import data_imports, data_section

_HIDDEN = {
    "relu": "torch.relu(z)  # max(0, z); autograd takes 0 as the slope at the kink, as the engine does",
    "leaky_relu": "torch.nn.functional.leaky_relu(z, 0.01)  # max(0.01 z, z)",
    "sigmoid": "torch.sigmoid(z)  # 1 / (1 + exp(-z)); sigma' = a (1 - a)",
    "tanh": "torch.tanh(z)  # sigma' = 1 - a^2",
    "linear": "z",
}

_OUTPUT = {"linear": "z", "sigmoid": "torch.sigmoid(z)", "softmax": "torch.softmax(z, dim=1)"}

_LOSS = {
    "mse": "0.5 * ((yhat - y) ** 2).sum() / m  # (1/m) sum_i 1/2 ||yhat_i - y_i||^2",
    # The value as p = softmax(z) gives it; its gradient is (p - y) / m, the engine's delta.
    "cross_entropy": "-(y * torch.log_softmax(z, dim=1)).sum() / m  # -(1/m) sum y log p",
    # softplus(z) - y z == -[y log p + (1-y) log(1-p)]; logaddexp(0, z) rather than
    # torch's softplus, whose threshold (z > 20 returns z) departs from it by up to 2e-9.
    "binary_cross_entropy": "(torch.logaddexp(torch.zeros_like(z), z) - y * z).sum() / m",
}


def _bn_state(s: Snapshot, prefix: str, state: dict[str, list], what: str) -> list[str]:
    """With batch norm, the optimizer's state of every ``gamma`` and ``beta`` (``<prefix>gamma``, ``<prefix>beta``)."""
    if not s.batch_norm:
        return []
    return [per_layer(f"{prefix}gamma", state["gamma"], f"{what} of batch norm's gamma ..."),
            per_layer(f"{prefix}beta", state["beta"], "... and of its beta.")]


def _paired(prefix: str, s: Snapshot) -> str:
    """The state lists in the order of ``params``: each layer's W and b, then gamma and beta."""
    pairs = f"[x for pair in zip({prefix}W, {prefix}b) for x in pair]"
    return f"{pairs} + {prefix}gamma + {prefix}beta" if s.batch_norm else pairs


def _optimizer(s: Snapshot) -> str:
    o = s.opt
    name, t = o["name"], int(o["t"])
    clip = o.get("clip_norm")
    lines = [f"# ---- The optimizer: {name} (updates applied so far: t = {t}) ----", f"t = {t}"]
    if clip is not None:
        lines.append(f"CLIP_NORM = {_num(clip)}")
    lines.append("params = [p for layer in layers for p in (layer.weight, layer.bias)]" + (
        "\nparams += list(gamma) + list(beta)  # batch norm's, after every W and b as in the engine"
        if s.batch_norm else ""))
    by_hand = False
    if name == "sgd":
        lines.append("# torch.optim.SGD without momentum is gradient descent, theta <- theta - lr g. No weight_decay:")
        lines.append("# the L2 penalty is part of the objective, so dW includes l2 W (what the session")
        lines.append("# reports) and clipping sees it, as in the engine.")
        lines.append("optimizer = torch.optim.SGD(params, lr=1.0)")
    elif name == "momentum" and s.schedule["name"] == "constant":
        mu, nesterov = o["momentum"], o["nesterov"]
        lines.append(f"MU, NESTEROV = {_num(mu)}, {nesterov!r}")
        lines.append("# The engine keeps v <- mu v - lr g, theta <- theta + v (Nesterov: theta + mu v - lr g).")
        lines.append("# torch.optim.SGD keeps buf <- mu buf + g, theta <- theta - lr buf (Nesterov: - lr (g + mu buf)):")
        lines.append("# with a constant lr the two are the same update with buf = -v / lr.")
        lines.append(f"optimizer = torch.optim.SGD(params, lr={_num(s.learning_rate)}, momentum=MU, nesterov=NESTEROV)")
        if o["velocity"] is None:
            lines.append("# No update yet: the velocity starts at zero.")
            lines.append("for p in params:\n    optimizer.state[p]['momentum_buffer'] = torch.zeros_like(p)")
        else:
            lines.append(per_layer("vW", o["velocity"]["W"], "The velocity of every weight, as the session holds it ..."))
            lines.append(per_layer("vb", o["velocity"]["b"], "... and of every bias."))
            lines += _bn_state(s, "v", o["velocity"], "The velocity")
            lines.append(f"for p, v in zip(params, {_paired('v', s)}):")
            lines.append(f"    optimizer.state[p]['momentum_buffer'] = -torch.tensor(v, dtype=TORCH_DTYPE) / {_num(s.learning_rate)}")
    elif name == "momentum":
        by_hand = True
        lines.append(f"MU, NESTEROV = {_num(o['momentum'])}, {o['nesterov']!r}")
        lines.append("# By hand: the engine's velocity v <- mu v - lr g carries the learning rate inside it;")
        lines.append("# torch.optim.SGD's buffer (buf <- mu buf + g, theta <- theta - lr buf) does not, and the")
        lines.append(f"# two part ways as soon as the {s.schedule['name']!r} schedule changes lr.")
        if o["velocity"] is None:
            lines.append("velocity = [torch.zeros_like(p) for p in params]")
        else:
            lines.append(per_layer("vW", o["velocity"]["W"], "The velocity of every weight ..."))
            lines.append(per_layer("vb", o["velocity"]["b"], "... and of every bias."))
            lines += _bn_state(s, "v", o["velocity"], "The velocity")
            lines.append(f"velocity = [torch.tensor(v, dtype=TORCH_DTYPE) for v in {_paired('v', s)}]")
    else:
        by_hand = True
        lines.append(f"BETA1, BETA2, EPSILON = {_num(o['beta1'])}, {_num(o['beta2'])}, {_num(o['epsilon'])}")
        lines.append("# By hand: torch.optim.Adam adds epsilon to sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t);")
        lines.append("# the engine (like scikit-learn) adds it to sqrt(v) itself and folds both bias corrections")
        lines.append("# into the step size. Early on, while sqrt(1 - beta2^t) is small, the updates differ by far")
        lines.append("# more than 1e-10.")
        if o["m"] is None:
            lines.append("m1 = [torch.zeros_like(p) for p in params]\nm2 = [torch.zeros_like(p) for p in params]")
        else:
            lines.append(per_layer("mW", o["m"]["W"], "First moments (mean of g) of the weights ..."))
            lines.append(per_layer("mb", o["m"]["b"], "... and of the biases."))
            lines.append(per_layer("sW", o["v"]["W"], "Second moments (mean of g^2) of the weights ..."))
            lines.append(per_layer("sb", o["v"]["b"], "... and of the biases."))
            lines += _bn_state(s, "m", o["m"], "First moments")
            lines += _bn_state(s, "s", o["v"], "Second moments")
            lines.append(f"m1 = [torch.tensor(x, dtype=TORCH_DTYPE) for x in {_paired('m', s)}]")
            lines.append(f"m2 = [torch.tensor(x, dtype=TORCH_DTYPE) for x in {_paired('s', s)}]")
    lines += ["", "", "def update(lr):", '    """One update of every parameter from its .grad (dW, db of the batch)."""',
              "    global t"]
    if clip is not None:
        lines.append("    # Clipping by the global norm of the whole gradient, by hand:")
        lines.append("    # torch.nn.utils.clip_grad_norm_ scales by max_norm / (norm + 1e-6), not max_norm / norm.")
        lines.append("    with torch.no_grad():")
        lines.append("        total = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in params))")
        lines.append("        if total > CLIP_NORM:")
        lines.append("            for p in params:")
        lines.append("                p.grad.mul_(CLIP_NORM / total)")
    lines.append("    t += 1")
    if not by_hand:
        lines.append("    for group in optimizer.param_groups:")
        lines.append("        group['lr'] = lr" if name == "sgd" else "        assert group['lr'] == lr  # constant")
        lines.append("    optimizer.step()")
    elif name == "momentum":
        lines.append("    with torch.no_grad():")
        lines.append("        for p, v in zip(params, velocity):")
        lines.append("            v.mul_(MU).sub_(lr * p.grad)  # v <- mu v - lr g")
        lines.append("            if NESTEROV:")
        lines.append("                p.add_(MU * v - lr * p.grad)  # theta <- theta + mu v - lr g")
        lines.append("            else:")
        lines.append("                p.add_(v)  # theta <- theta + v")
    else:
        lines.append("    step = lr * math.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)")
        lines.append("    with torch.no_grad():")
        lines.append("        for p, a, s in zip(params, m1, m2):")
        lines.append("            g = p.grad")
        lines.append("            a.mul_(BETA1).add_((1 - BETA1) * g)  # m <- beta1 m + (1 - beta1) g")
        lines.append("            s.mul_(BETA2).add_((1 - BETA2) * g * g)  # v <- beta2 v + (1 - beta2) g^2")
        lines.append("            p.sub_(step * (a / (torch.sqrt(s) + EPSILON)))")
    return "\n".join(lines)


def _hidden(s: Snapshot) -> str:
    """``hidden_<name>(z)`` for every hidden activation used, and ``HIDDEN[l]``, hidden layer ``l``'s."""
    parts = [f'''def hidden_{name}(z):
    """The hidden activation {name}."""
    return {_HIDDEN[name]}
''' for name in dict.fromkeys(s.activations)]
    parts.append(f"HIDDEN = [{', '.join(f'hidden_{n}' for n in s.activations)}]  # hidden layer l's activation")
    return "\n\n".join(parts)


def _forward(s: Snapshot) -> str:
    """``forward(X)``, and with the remedies in force their parts: batch norm, dropout, the skips."""
    if not (any(s.skip) or s.dropout or s.batch_norm):
        return '''def forward(X, masks=None, train=True):
    """a[l] = f(z[l]) through every layer; the last layer's z and a (m, d_out), and no batch statistics."""
    a = X
    for l, layer in enumerate(layers):
        z = layer(a)
        a = output(z) if l == len(layers) - 1 else HIDDEN[l](z)
    return z, a, []'''
    parts = []
    if s.dropout:
        rng_state = pprint.pformat(s.dropout_rng, width=WIDTH - 32).replace("\n", "\n" + " " * 32)
        parts.append(f'''# model.dropout: inverted dropout, p = {_num(s.dropout)} on every hidden layer's output in training,
# a[l] = f(u[l]) * mask / (1 - p). The masks come from the session's own dropout generator (NumPy's
# PCG64, its state copied here), drawn as the session draws them, one step at a time: torch's
# own generator (torch.nn.Dropout) would draw other masks.
P_DROP = {_num(s.dropout)}
drop_rng = np.random.Generator(np.random.PCG64())
drop_rng.bit_generator.state = {rng_state}


def draw_masks(m):
    """Per hidden layer, (m, n) of 0 and 1: kept where rng.random((m, n)) < 1 - p, layer by layer."""
    return [torch.from_numpy((drop_rng.random((m, n)) < 1.0 - P_DROP).astype(DTYPE)) for n in LAYERS[1:-1]]
''')
    if s.batch_norm:
        parts.append(f'''# model.batch_norm: every hidden layer normalises z over the minibatch before its activation,
# z_hat = (z - mean) / sqrt(var + eps), u = gamma z_hat + beta; autograd carries the gradient
# through the batch's mean and variance. Written out rather than torch.nn.BatchNorm1d, which
# is the same formula (eps 1e-5, momentum 0.1, the unbiased variance in the running estimate)
# but refuses a batch of one row, which the session takes (the last batch of an epoch may be one).
BN_EPS, BN_MOMENTUM = {_num(BN_EPS)}, {_num(BN_MOMENTUM)}


def batch_norm(z, l, train, stats):
    """u = gamma[l] z_hat + beta[l] (m, n). Training: the batch's mean and biased variance (appended
    to stats for the running estimates); evaluation: the running estimates."""
    if train:
        mean = z.mean(dim=0)
        var = ((z - mean) ** 2).mean(dim=0)  # biased: divided by m
        stats.append((mean.detach(), var.detach()))
    else:
        mean, var = running_mean[l], running_var[l]
    inv_std = 1.0 / torch.sqrt(var + BN_EPS)
    z_hat = (z - mean) * inv_std
    return gamma[l] * z_hat + beta[l]


def update_running(stats, m):
    """r <- (1 - momentum) r + momentum s, with the batch's mean and its unbiased variance
    var m / (m - 1) (a batch of one has none: the variance estimate stays)."""
    with torch.no_grad():
        for l, (mean, var) in enumerate(stats):
            running_mean[l] = (1.0 - BN_MOMENTUM) * running_mean[l] + BN_MOMENTUM * mean
            if m > 1:
                running_var[l] = (1.0 - BN_MOMENTUM) * running_var[l] + BN_MOMENTUM * (var * (m / (m - 1)))
''')
    if any(s.skip):
        parts.append(f'''# model.residual: hidden layer l adds a[l-1] to its output where l >= 1 and it is as wide as
# the layer below, a[l] = f(u[l]) + a[l-1] (after dropout); autograd carries the gradient back through both.
SKIP = {s.skip!r}
''')
    bn = "\n            u = batch_norm(z, l, train, stats)" if s.batch_norm else ""
    drop = ("\n            if masks is not None:  # dropout: keep, scaled by 1 / (1 - p)"
            "\n                a_new = f * masks[l] / (1.0 - P_DROP)") if s.dropout else ""
    skip = "\n            if SKIP[l]:\n                a_new = a_new + a  # the skip: + a[l-1]" if any(s.skip) else ""
    parts.append(f'''
def forward(X, masks=None, train=True):
    """a[l] through every layer (train=False: evaluation mode); the last layer's z and a (m, d_out),
    and the batch statistics batch norm used."""
    stats = []
    a = X
    for l, layer in enumerate(layers):
        z = layer(a)
        if l == len(layers) - 1:
            a = output(z)
        else:
            u = z{bn}
            f = HIDDEN[l](u)
            a_new = f{drop}{skip}
            a = a_new
    return z, a, stats''')
    return "\n\n".join(parts)


def render(s: Snapshot) -> str:
    """The whole PyTorch script for ``s``."""
    imports = "\n".join(["import hashlib", "import json", "import math", "import os", "import sys", "",
                         "import numpy as np", "import torch", *data_imports(s)])
    bn_model = bn_out = bn_step = ""
    if s.batch_norm:
        bn_model = f"""
{batch_norm_literals(s, ("GAMMA", "BETA", "RUNNING_MEAN", "RUNNING_VAR"))}
gamma = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(g, dtype=TORCH_DTYPE)) for g in GAMMA)
beta = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(g, dtype=TORCH_DTYPE)) for g in BETA)
running_mean = [torch.tensor(r, dtype=TORCH_DTYPE) for r in RUNNING_MEAN]
running_var = [torch.tensor(r, dtype=TORCH_DTYPE) for r in RUNNING_VAR]"""
        bn_out = '''


def bn_now():
    """Batch norm's gamma, beta and running estimates as they stand."""
    return {"gamma": [g.detach().numpy() for g in gamma], "beta": [g.detach().numpy() for g in beta],
            "mean": running_mean, "var": running_var}


def predict(X):
    """The network in evaluation mode: batch norm with the running estimates, no dropout."""
    with torch.no_grad():
        return forward(X, train=False)[1].numpy()'''
        bn_step = """
    update_running(stats, len(rows))  # from this batch's mean and variance
    with torch.no_grad():  # the batch mean cancels a hidden layer's b: the engine takes db = 0 exactly
        for layer in layers[:-1]:
            layer.bias.grad.zero_()"""
    draw = "\n    masks = draw_masks(len(rows))  # this step's dropout masks" if s.dropout else ""
    return f'''{header(s, "PyTorch", "torch, numpy and scikit-learn")}
{imports}

DTYPE = np.{s.dtype}  # the data is built with NumPy, then handed to torch
TORCH_DTYPE = torch.{s.dtype}

{data_section(s)}
X_train, y_train = torch.from_numpy(X_train), torch.from_numpy(y_train)

# ---- The model as it stands: layers {s.layers} ----
# torch.nn.Linear holds weight as (out, in), as the playground's W[l]; it computes
# z = a @ weight.T + bias, the derivation's z_1 = W_1 x + b_1 with samples as rows.
{per_layer("W", s.W, "The parameters as the session holds them: W[l] is (out, in) ...")}
{per_layer("b", s.b, "... and b[l] is (out,).")}
LAYERS = {s.layers}
layers = torch.nn.ModuleList(torch.nn.Linear(n_in, n_out, dtype=TORCH_DTYPE) for n_in, n_out in zip(LAYERS[:-1], LAYERS[1:]))
with torch.no_grad():
    for layer, w, v in zip(layers, W, b):
        layer.weight.copy_(torch.tensor(w, dtype=TORCH_DTYPE))
        layer.bias.copy_(torch.tensor(v, dtype=TORCH_DTYPE)){bn_model}
L2 = {_num(s.l2)}  # the penalty (l2/2) sum_l ||W[l]||^2, on weights only
L1 = {_num(s.l1)}  # the penalty l1 sum_l sum |W[l]|, on weights only; autograd's d|w|/dw is sign(w), 0 at 0


{_hidden(s)}


def output(z):
    """The output activation {s.output_activation}."""
    return {_OUTPUT[s.output_activation]}


{_forward(s)}


def objective(X, y, masks=None):
    """The batch objective: mean loss {s.loss} plus (l2/2) sum ||W||^2 (plus l1 sum |W|), and the batch
    statistics. Autograd's backward of it is the textbook backward pass: delta[L-1] from the loss,
    delta[l-1] = (delta[l] @ W[l]) * sigma'(z[l-1]), dW[l] = delta[l].T @ a[l-1] (+ l2 W[l] + l1 sign(W[l])),
    db[l] = delta[l].sum(0) (and through the remedies in force)."""
    m = X.shape[0]
    z, yhat, stats = forward(X, masks)
    value = {_LOSS[s.loss]}
    if L2:
        value = value + 0.5 * L2 * sum((layer.weight ** 2).sum() for layer in layers)
    if L1:
        value = value + L1 * sum(layer.weight.abs().sum() for layer in layers)
    return value, stats


{_optimizer(s)}


def params_now():
    return [(layer.weight.detach().numpy(), layer.bias.detach().numpy()) for layer in layers]{bn_out}


{order_section(s)}


{schedule_section(s)}

{early_stopping_note(s)}
# ---- Train: the session's next {s.steps} step(s) ----
STEPS = {s.steps}
losses = []
for _ in range(STEPS):
    rows, ends_epoch = next_batch()
    rows = torch.from_numpy(np.asarray(rows))
    for p in params:
        p.grad = None{draw}
    value, stats = objective(X_train[rows], y_train[rows]{", masks" if s.dropout else ""})
    value.backward()  # autograd: every dW[l], db[l] into .grad{bn_step}
    losses.append(value.item())
    last_dW = [layer.weight.grad.detach().numpy().copy() for layer in layers]  # before clipping, as reported
    last_db = [layer.bias.grad.detach().numpy().copy() for layer in layers]
    update(rate_for_update(t + 1))
    if ends_epoch:
        end_epoch()

{output_section(s)}
'''
