"""Datasets: seeded toy problems, real data, and inline ``X``/``y``, each a
:class:`Dataset` with samples as rows. One room per job: what a dataset is
(:mod:`.dataset`), the toy generators (:mod:`.toy`), the catalogue of names
(:mod:`.catalogue`), real data files (:mod:`.real`), and loading, splitting and
standardising (:mod:`.load`).
"""
from .catalogue import DATASETS, get_info, list_datasets
from .dataset import Dataset, DatasetInfo
from .load import load_dataset
from .real import DATA_ENV, DEFAULT_FOLDERS, DataNotFoundError, data_folder, read_california_file
from .toy import MAX_TOY_SAMPLES, TOY_GENERATORS

__all__ = ["DATASETS", "get_info", "list_datasets", "Dataset", "DatasetInfo", "load_dataset", "DATA_ENV",
           "DEFAULT_FOLDERS", "DataNotFoundError", "data_folder", "read_california_file", "MAX_TOY_SAMPLES", "TOY_GENERATORS"]
