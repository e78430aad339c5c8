"""What a lesson is, and the measurements lessons share.

A lesson is data plus one function: ``run(quick)`` returns a
:class:`LessonRun` holding labelled trainers (the server turns each into a
session) and a JSON-safe ``measured`` dict. Accuracy and the confusion matrix
are the engine's (:mod:`mlp_engine.metrics`), so a lesson reports exactly
what the session's charts show.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from mlp_engine import Trainer, make_trainer, metrics


Build = Callable[[dict[str, Any]], Trainer]
"""Makes a trainer from a ``SessionConfig`` dict: :func:`mlp_engine.make_trainer`, or the
server's (its data folder and undo bounds)."""


@dataclass
class LessonRun:
    """What a lesson made and measured: ``runs`` are ``(label, trainer)`` pairs."""

    runs: list[tuple[str, Trainer]]
    measured: dict[str, Any]


@dataclass(frozen=True)
class FollowUp:
    """The line a lesson ends with: ``text``, then ``link``, which opens the lesson's session
    labelled ``session`` in the playground at the panel ``panel`` (its element's id)."""

    text: str
    link: str
    session: str
    panel: str


@dataclass(frozen=True)
class Lesson:
    """A named lesson: its title, what to look at, how to run it, and the line it ends with."""

    name: str
    title: str
    summary: str
    run: Callable[[bool, "Build"], LessonRun] = field(repr=False)
    follow_up: FollowUp | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "summary": self.summary,
                "follow_up": None if self.follow_up is None else vars(self.follow_up)}


def trained(config: dict[str, Any], epochs: int, build: Build = make_trainer) -> Trainer:
    """A trainer built from ``config`` (by ``build``) after ``epochs`` epochs."""
    trainer = build(config)
    trainer.run_epochs(epochs)
    return trainer


def mean_grad_norms(trainer: Trainer) -> list[float]:
    """Per-layer gradient norm averaged over every epoch so far."""
    return np.mean(np.array(trainer.history.grad_norms), axis=0).tolist()


def _split(trainer: Trainer, split: str) -> tuple[np.ndarray, np.ndarray]:
    return (trainer.X_test, trainer.y_test) if split == "test" else (trainer.X, trainer.y)


def accuracy_of(trainer: Trainer, split: str = "test") -> float | None:
    """The accuracy on a whole split at the current parameters."""
    X, y = _split(trainer, split)
    return metrics.accuracy(trainer.model.predict(X), y)


def confusion_of(trainer: Trainer, split: str = "test") -> list[list[int]]:
    """The confusion matrix ``C[true][predicted]`` on a whole split."""
    X, y = _split(trainer, split)
    pred = metrics.predict_classes(trainer.model.predict(X))
    return metrics.confusion_matrix(metrics.predict_classes(y), pred, max(y.shape[1], 2)).tolist()


def last_epoch(trainer: Trainer) -> dict[str, Any]:
    """Epochs run, the last epoch's losses, and whether the parameters are finite."""
    h = trainer.history
    return {"epochs": trainer.epoch, "train_loss": h.train_loss[-1] if h.train_loss else None,
            "test_loss": h.test_loss[-1] if h.test_loss else None, "finite": trainer.finite}


def plain_numbers(obj: Any) -> None:
    """Turn numpy scalars into Python numbers in place (NaN stays NaN: the server sends it as null)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (np.floating, np.integer, np.bool_)):
                obj[k] = v.item()
            else:
                plain_numbers(v)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, (np.floating, np.integer, np.bool_)):
                obj[i] = v.item()
            else:
                plain_numbers(v)
