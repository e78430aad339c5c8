"""One training session on the server, driven from Python: every call is one request, so
the page showing the same session (:meth:`Session.show`) and this object always agree."""
from __future__ import annotations

from typing import Any, Iterator, Literal, Sequence

import numpy as np
import plotly.graph_objects as go

from .arrays import array
from .records import Frame, Gradcheck, History, Params, Trace
from .transport import Transport


class Session:
    """A session on the server (``POST /api/sessions`` made it, or a lesson, a fork or an
    import). ``id`` names it; ``url`` is the page opened on it. Reading ``config``, ``epoch``,
    ``step_count``, ``params`` or ``history`` asks the server, so a step taken on the page is
    seen here at once. Arrays are float64 NumPy, shaped as in :mod:`mlp_playground.records`.
    Made by a :class:`~mlp_playground.Client` (``client.session(...)``, ``client.open(id)``)."""

    def __init__(self, server: Transport, state: dict[str, Any]) -> None:
        self.server = server
        self.id: str = state["id"]
        self.label: str | None = None  # a lesson's name for this run

    # -- where it stands ---------------------------------------------------
    @property
    def _path(self) -> str:
        return f"api/sessions/{self.id}"

    @property
    def url(self) -> str:
        """The page's link that opens this very session (not a copy of it)."""
        return f"{self.server.base_url}#session={self.id}"

    def state(self, *include: Literal["params", "history", "config"]) -> dict[str, Any]:
        """``GET /api/sessions/{id}``: the ``SessionState`` as JSON, with the parts named in
        ``include`` in full (none: the scalars and the config, the params and the config's
        arrays, inline data and preset weights, only summarised)."""
        params: dict[str, Any] = {"include": list(include) or ["params"],
                                  "max_elements": self.server.max_elements if include else 0}
        return self.server.request("GET", self._path, params=params)

    @property
    def config(self) -> dict[str, Any]:
        """The complete resolved ``SessionConfig``, its arrays (inline data, preset weights) whole."""
        return self.state("config")["config"]

    @property
    def epoch(self) -> int:
        """Whole epochs trained."""
        return self.state()["epoch"]

    @property
    def step_count(self) -> int:
        """Training steps (minibatch updates) taken."""
        return self.state()["step"]

    @property
    def layers(self) -> list[int]:
        """``[d_in, h_1, ..., d_out]``."""
        return list(self.state()["config"]["model"]["layers"])

    @property
    def params(self) -> Params:
        """``W[l]`` ``(layers[l+1], layers[l])`` and ``b[l]`` ``(layers[l+1],)``, float64."""
        return Params.from_json(self.state("params")["params"])

    @property
    def history(self) -> History:
        """Every epoch so far: losses ``(epochs,)``, ``grad_norm`` ``(epochs, L)``, metrics."""
        state = self.state("history")
        return History.from_json(state["history"], len(state["config"]["model"]["layers"]) - 1)

    # -- training ----------------------------------------------------------
    def step(self, **body: Any) -> Trace:
        """One forward and backward pass on the next minibatch, then the update
        (``POST .../backward``). ``indices=[...]`` takes those training rows instead;
        ``apply=False`` leaves the parameters as they are (a preview)."""
        body.setdefault("max_elements", self.server.max_elements)
        return Trace.from_json(self.server.request("POST", f"{self._path}/backward", json=body))

    def epochs(self, n: int = 1) -> History:
        """Train ``n`` whole epochs (``POST .../epochs``, in requests of at most the server's
        ``max_epochs_per_request``); their :class:`History`. Training stops early, as on the
        page, when it diverges or early stopping ends it."""
        chunk = int(self.server.limits["max_epochs_per_request"])
        layers = len(self.layers) - 1
        parts: list[History] = []
        while True:  # n < 1 is sent as it is, for the server's 422 naming count
            count = min(n, chunk)
            r = self.server.request("POST", f"{self._path}/epochs", json={"count": count, "include": []})
            parts.append(History.from_json(r, layers))
            n -= count
            if n <= 0 or not r["finite"] or r["stopped"]:
                break
        return parts[0] if len(parts) == 1 else History.joined(parts)

    def play(self, epochs: int | None = None, fps: float = 30, **options: Any) -> Iterator[Frame]:
        """Live training over the WebSocket: a generator of :class:`Frame` s, one epoch each
        (``epochs_per_frame`` and the other options of ``docs/live.md`` may be given). It ends
        once ``epochs`` more epochs are done (never, with ``None``), or when training diverges
        or early stopping ends it; leaving the loop (``break``, an exception, ``close()``)
        pauses the session. A pause stops the frame under way at its next minibatch, so after
        ``play(epochs=n)`` the session may stand a few steps past the ``n`` epochs."""
        from .live import play  # the websockets import only for those who play

        return play(self.server, self.id, epochs, fps, options)

    def set_param(self, layer: int, name: Literal["W", "b", "gamma", "beta"],
                  index: int | Sequence[int], value: float) -> None:
        """Set one number: ``W[layer][i, j]`` (``index=(i, j)``), ``b[layer][i]`` (``index=i``),
        or with batch norm a hidden layer's ``gamma``/``beta``. Undo takes it back."""
        idx = [int(index)] if np.isscalar(index) else [int(i) for i in index]  # type: ignore[arg-type]
        self.server.request("PATCH", f"{self._path}/params",
                            json={"layer": layer, "name": name, "index": idx, "value": float(value)})

    def undo(self, count: int = 1) -> None:
        """Take back the last ``count`` changes (steps, epochs, edits); a
        :class:`~mlp_playground.ClientError` 409 when there is nothing to undo."""
        self.server.request("POST", f"{self._path}/undo", json={"count": count})

    def reset(self) -> None:
        """Back to epoch 0: the same config, seed and initial weights."""
        self.server.request("POST", f"{self._path}/reset")

    def gradcheck(self, eps: float = 1e-5, indices: Sequence[int] | None = None) -> Gradcheck:
        """Every layer's ``dW`` and ``db`` against central differences of the objective."""
        body: dict[str, Any] = {"eps": eps}
        if indices is not None:
            body["indices"] = [int(i) for i in indices]
        return Gradcheck.from_json(self.server.request("POST", f"{self._path}/gradcheck", json=body))

    def predict(self, X: Any) -> np.ndarray:
        """The network's outputs ``(m, d_out)`` for ``X`` ``(m, d_in)``, in the units the
        network sees (after the session's feature transform and scaling)."""
        rows = np.asarray(X, dtype=np.float64)
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        return array(self.server.request("POST", f"{self._path}/predict", json={"X": rows.tolist()})["y"])

    # -- copies and scripts ------------------------------------------------
    def fork(self, **overrides: Any) -> "Session":
        """A counterfactual run at epoch 0: this session's data, seed and minibatch order, its
        initial weights where the shapes agree, and ``overrides`` (``model=...``,
        ``optimizer=...``: partial ``SessionConfig`` sections) applied."""
        return Session(self.server, self.server.request("POST", f"{self._path}/fork",
                                                        json={"overrides": overrides}))

    def export(self) -> dict[str, Any]:
        """A JSON document that :meth:`Client.import_session` continues exactly from."""
        return self.server.request("GET", f"{self._path}/export")

    def code(self, framework: Literal["numpy", "pytorch"] = "numpy", steps: int = 1) -> str:
        """A standalone script that takes this session's next ``steps`` steps exactly as the
        session would and prints one JSON line (``loss``, ``dW``, ``db``, ``params``)."""
        return self.server.request("GET", f"{self._path}/code",
                                   params={"framework": framework, "steps": steps}, text=True)

    def delete(self) -> None:
        """Delete the session on the server (this object can no longer be used)."""
        self.server.request("DELETE", self._path)

    # -- pictures ----------------------------------------------------------
    def plot(self) -> go.Figure:
        """The loss per epoch (train, test) and each layer's mean ``||dW[l]||`` per epoch on a
        log scale (the vanishing-gradient view), in the page's palette."""
        from .plotting import history_figure

        return history_figure(self.history, self.server.palette())

    def show(self, height: int = 720) -> None:
        """Display the live playground, opened on this session, in the notebook's output
        (an iframe of :attr:`url`): what Python does appears on it, and what is done on it
        is seen by the next call from Python."""
        from .notebook import show

        show(self.server, self.url, height)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Session(id={self.id!r}{label}, url={self.url!r})"
