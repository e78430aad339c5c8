"""mlp_engine: a NumPy multi-layer perceptron that does exactly the textbook math.

Forward pass with cached ``z`` and ``a``, the output error ``delta``, deltas
carried back through ``W.T`` and ``sigma'``, gradients as outer products, and
the update. Samples are rows and ``W[l]`` is ``(out, in)``; see
``docs/math.md`` for every convention.

>>> from mlp_engine import make_trainer
>>> trainer = make_trainer({"dataset": {"name": "xor"}, "seed": 1})
>>> records = trainer.run_epochs(10)
"""
from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS, Activation
from .datasets import DATASETS, Dataset, DataNotFoundError, list_datasets, load_dataset
from .gradcheck import GradCheckResult, GradCheckStopped, gradient_check, relative_error
from .init import INITIALIZERS
from .losses import LOSSES, VALID_PAIRS, Loss
from .model import MLP, ForwardCache, Gradients, Params
from .optimizers import OPTIMIZERS, Adam, Momentum, Optimizer, SGD, make_optimizer
from .factory import make_trainer, resolve_config
from .records import EpochRecord, History, StepResult
from .state_check import StateError, check_state
from .trainer import Trainer

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "Activation", "DATASETS", "Dataset", "DataNotFoundError",
    "list_datasets", "load_dataset", "GradCheckResult", "GradCheckStopped", "gradient_check", "relative_error",
    "INITIALIZERS", "LOSSES", "VALID_PAIRS", "Loss", "MLP", "ForwardCache", "Gradients", "Params",
    "OPTIMIZERS", "Adam", "Momentum", "Optimizer", "SGD", "make_optimizer", "EpochRecord",
    "History", "StepResult", "Trainer", "make_trainer", "resolve_config", "StateError", "check_state",
    "__version__",
]
