"""Datasets: metadata, shapes, seeded generation, standardisation fit on the
training part only (checked against scikit-learn), where real files are
looked for, inline data, and errors that name the field."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from mlp_engine import DATASETS, DataNotFoundError, list_datasets, load_dataset
from mlp_engine.datasets import DATA_ENV, data_folder, real
from mlp_engine.datasets.real import _load_california

NAMED = [d["name"] for d in list_datasets() if d["name"] != "inline"]
TOY = [n for n in NAMED if DATASETS[n].kind == "toy"]


def test_list_datasets_has_the_contract_fields_and_every_name() -> None:
    listed = list_datasets()
    assert [d["name"] for d in listed] == list(DATASETS)
    expected = {"xor", "circles", "gaussians", "spiral", "moons", "sine", "plane",
                "california_housing", "digits", "diabetes", "mnist_subset", "inline"}
    assert set(DATASETS) == expected
    for d in listed:
        assert {"name", "task", "n_features", "n_outputs", "n_samples", "description"} <= set(d)
        assert d["task"] in ("regression", "classification") and d["description"]


@pytest.mark.parametrize("name", NAMED)
def test_every_dataset_loads_with_its_metadata(name: str) -> None:
    info = DATASETS[name]
    ds = load_dataset(name, seed=1)
    assert (ds.task, ds.n_features, ds.n_outputs, ds.n_samples) == (
        info.task, info.n_features, info.n_outputs, info.n_samples)
    n_test = ds.X_test.shape[0]
    assert n_test == pytest.approx(0.2 * info.n_samples, abs=1)
    assert ds.X_train.shape == (info.n_samples - n_test, info.n_features)
    assert ds.y_train.shape == (info.n_samples - n_test, info.n_outputs)
    assert ds.y_test.shape == (n_test, info.n_outputs)
    for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test):
        assert a.dtype == np.float64 and np.isfinite(a).all()
    if info.task == "classification":
        y = np.vstack([ds.y_train, ds.y_test])
        assert set(np.unique(y)) <= {0.0, 1.0}
        if info.n_outputs > 1:  # one-hot rows, every class present in training
            assert (y.sum(axis=1) == 1).all() and (ds.y_train.sum(axis=0) > 0).all()
        assert ds.class_names is not None and len(ds.class_names) == max(info.n_outputs, 2)
    assert len(ds.feature_names) == info.n_features


@pytest.mark.parametrize("name", TOY)
def test_toy_data_is_seeded_and_noise_and_size_apply(name: str) -> None:
    a = load_dataset(name, seed=3, n_samples=50, noise=0.2, test_fraction=0.3)
    b = load_dataset(name, seed=3, n_samples=50, noise=0.2, test_fraction=0.3)
    c = load_dataset(name, seed=4, n_samples=50, noise=0.2, test_fraction=0.3)
    quiet = load_dataset(name, seed=3, n_samples=50, noise=0.0, test_fraction=0.3)
    for x, y in ((a.X_train, b.X_train), (a.y_train, b.y_train), (a.X_test, b.X_test)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.X_train, c.X_train)
    def everything(ds):
        return np.hstack([np.vstack([ds.X_train, ds.X_test]), np.vstack([ds.y_train, ds.y_test])])
    assert not np.array_equal(everything(a), everything(quiet))  # noise moves X (or y, regression)
    assert a.n_samples == 50 and a.X_test.shape[0] == 15


def test_real_data_subsample_is_seeded() -> None:
    a = load_dataset("digits", n_samples=100, seed=2)
    b = load_dataset("digits", n_samples=100, seed=2)
    c = load_dataset("digits", n_samples=100, seed=5)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.n_samples == 100 and not np.array_equal(a.X_train, c.X_train)
    assert 0.0 <= a.X_train.min() and a.X_train.max() <= 1.0 and a.image_shape == (8, 8)


def raw_california() -> tuple[np.ndarray, np.ndarray]:
    """The data folder's file through the engine's one reader (the code export writes the same
    function into its scripts); the README's means below check what it read."""
    folder = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    found = real.read_california_file(folder)
    if found is None:
        pytest.skip(f"no cal_housing file in {folder}")
    return found


def assert_standardised_on_train_only(ds, X: np.ndarray, y: np.ndarray, seed: int) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(X, y.reshape(-1, 1), test_size=0.2, random_state=seed)
    sx, sy = StandardScaler().fit(X_tr), StandardScaler().fit(y_tr)
    np.testing.assert_allclose(ds.X_train, sx.transform(X_tr), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.X_test, sx.transform(X_te), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.y_train, sy.transform(y_tr), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.y_test, sy.transform(y_te), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.to_original_units(ds.y_test), y_te, rtol=1e-12)
    # Fit on the training part: its mean is 0, the test part's is not (nothing leaked).
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)
    assert np.abs(ds.X_test.mean(axis=0)).max() > 1e-3


def test_california_is_seed_003s_split_and_scaling() -> None:
    X, y = raw_california()
    assert X.shape == (20640, 8)
    assert abs(X[:, 0].mean() - 3.870671) < 1e-6 and abs(y.mean() - 2.068558) < 1e-6  # README's check
    ds = load_dataset("california_housing", seed=42)
    assert_standardised_on_train_only(ds, X, y, 42)


def test_diabetes_is_standardised_on_train_only() -> None:
    bunch = load_diabetes(scaled=False)
    ds = load_dataset("diabetes", seed=7)
    assert_standardised_on_train_only(ds, bunch.data, bunch.target, 7)


def test_the_data_folder_defaults_to_shared_datasets_and_follows_the_argument(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, "/nowhere")  # the engine reads no environment
    monkeypatch.setattr(real, "DEFAULT_FOLDERS", [])  # what a clone made away from shared/ adds
    assert data_folder().resolve() == (Path(__file__).resolve().parents[2].parent / "shared" / "datasets").resolve()
    assert data_folder(tmp_path) == tmp_path


@pytest.mark.parametrize("name, files", [("california_housing", "cal_housing"),
                                         ("mnist_subset", "t10k-images-idx3-ubyte.gz")])
def test_a_missing_file_says_where_it_looked_and_how_to_get_it(
        name: str, files: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-data-here"
    empty.mkdir()
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn-cache"))  # not its real cache
    _load_california.cache_clear()
    with pytest.raises(DataNotFoundError) as err:
        load_dataset(name, data_dir=empty, download=False)
    message = str(err.value)
    assert message.startswith("dataset.name:")
    assert str(empty) in message and files in message and DATA_ENV in message
    assert "http" in message  # where to get it
    assert isinstance(err.value, ValueError)  # so the server answers 4xx


def test_inline_data_is_used_exactly_as_given() -> None:
    X = [[0.5, -1.0], [2.0, 3.0], [1.0, 1.0], [-4.0, 0.25]]
    y = [1.0, 2.0, 3.0, 4.0]  # a vector is one output column
    ds = load_dataset("inline", X=X, y=y)
    np.testing.assert_array_equal(ds.X_train, X)
    np.testing.assert_array_equal(ds.y_train, np.reshape(y, (-1, 1)))
    assert ds.X_test.shape == (0, 2) and ds.task == "regression" and ds.y_mean is None
    split = load_dataset("inline", X=X, y=y, test_fraction=0.25, seed=1, task="classification")
    assert split.X_train.shape == (3, 2) and split.X_test.shape == (1, 2) and split.task == "classification"
    assert sorted(np.vstack([split.X_train, split.X_test]).tolist()) == sorted(X)


@pytest.mark.parametrize("kwargs, field", [
    ({"name": "nope"}, "dataset.name: unknown dataset 'nope'; choose one of xor"),
    ({"name": "xor", "noise": -1}, "dataset.noise"),
    ({"name": "xor", "noise": float("nan")}, "dataset.noise"),
    ({"name": "xor", "test_fraction": 1.0}, "dataset.test_fraction"),
    ({"name": "xor", "n_samples": 2}, "dataset.n_samples"),
    ({"name": "digits", "n_samples": 5000}, "dataset.n_samples"),
    ({"name": "xor", "X": [[1, 2]]}, "dataset.X"),
    ({"name": "inline", "X": [[1, 2]]}, "dataset.X"),
    ({"name": "inline", "X": [[1, 2], [3]], "y": [1, 2]}, "dataset.X"),
    ({"name": "inline", "X": [[1, 2], [3, 4]], "y": [1]}, "dataset.y"),
    ({"name": "inline", "X": [[1, float("nan")]], "y": [1]}, "dataset.X"),
    ({"name": "inline", "X": [[1, 2]], "y": [1], "task": "ranking"}, "dataset.task"),
    ({"name": "inline", "X": [[1, 2], [3, 4]], "y": [1, 2], "test_fraction": 0.9}, "dataset.test_fraction"),
])
def test_bad_requests_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError) as err:
        load_dataset(**kwargs)
    assert str(err.value).startswith(field.split(":")[0]) and field in str(err.value)
