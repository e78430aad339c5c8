"""Every dataset by the name the API accepts, with what it is (:class:`~.dataset.DatasetInfo`)."""
from __future__ import annotations

from typing import Any

from .dataset import DatasetInfo


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("xor", "classification", 2, 1, 200,
                    "Four quadrants; the class is the sign of x1*x2. Not linearly separable.", "toy"),
        DatasetInfo("circles", "classification", 2, 1, 200,
                    "A disc inside a ring: needs a closed decision boundary.", "toy"),
        DatasetInfo("gaussians", "classification", 2, 1, 200,
                    "Two Gaussian blobs: almost linearly separable, the easy one.", "toy"),
        DatasetInfo("spiral", "classification", 2, 1, 300,
                    "Two interleaved spiral arms: the hard one; needs depth or features.", "toy"),
        DatasetInfo("moons", "classification", 2, 1, 200,
                    "Two interleaving half circles (scikit-learn's make_moons).", "toy"),
        DatasetInfo("sine", "regression", 1, 1, 100,
                    "y = sin(pi x) plus noise, x in [-1, 1]: fit a curve.", "toy"),
        DatasetInfo("plane", "regression", 2, 1, 200,
                    "y = 0.6 x1 - 0.4 x2 plus noise: a linear model suffices.", "toy"),
        DatasetInfo("california_housing", "regression", 8, 1, 20640,
                    "1990 US census block groups: median house value from 8 features "
                    "(Pace & Barry, 1997). The reference write-up's regression experiment.", "real", 20640),
        DatasetInfo("digits", "classification", 64, 10, 1797,
                    "8x8 images of handwritten digits 0-9 (scikit-learn's bundled set).", "real", 1797),
        DatasetInfo("diabetes", "regression", 10, 1, 442,
                    "Disease progression after one year from 10 baseline variables "
                    "(scikit-learn's bundled set).", "real", 442),
        DatasetInfo("mnist_subset", "classification", 784, 10, 10000,
                    "The 10,000 MNIST test digits, 28x28 (LeCun, Cortes & Burges).", "real", 10000),
        DatasetInfo("inline", "regression", 0, 0, 0,
                    "Your own X and y, trained on exactly as given.", "inline"),
    )
}
"""Every dataset, by the name the API accepts."""


def get_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"dataset.name: unknown dataset {name!r}; choose one of {', '.join(DATASETS)}") from None


def list_datasets() -> list[dict[str, Any]]:
    """Metadata of every dataset, as ``GET /api/datasets`` lists it."""
    return [info.as_dict() for info in DATASETS.values()]
