"""The backpropagation write-ups' experiments as one-click lessons, built on the engine.

:data:`LESSONS` lists them in the order the page shows; :func:`run_lesson`
runs one by name. This package depends on :mod:`mlp_engine` and
scikit-learn; the engine depends on neither it nor the server.

* :mod:`.lesson`: what a lesson is, and the measurements lessons share;
* :mod:`.landscape`: slices of the loss around trained weights;
* :mod:`.catalogue`: the ten lessons.
"""
from .catalogue import (LESSONS, PRESETS, SEED_CALIFORNIA_CONFIG, SEED_CALIFORNIA_MSE, WORKED_EXAMPLE_CONFIG,
                        WORKED_EXAMPLE_NUMBERS, hidden_units_identical, run_lesson)
from .landscape import filter_normalised_direction, loss_slice
from .lesson import Lesson, LessonRun

__all__ = ["LESSONS", "PRESETS", "Lesson", "LessonRun", "run_lesson", "hidden_units_identical", "filter_normalised_direction",
           "loss_slice", "SEED_CALIFORNIA_CONFIG", "SEED_CALIFORNIA_MSE", "WORKED_EXAMPLE_CONFIG",
           "WORKED_EXAMPLE_NUMBERS"]
