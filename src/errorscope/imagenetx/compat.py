"""Drop-in replacement for the ``imagenet_x`` package's main API (version 0.0.7).

Change one import::

    from errorscope.imagenetx.compat import get_factor_accuracies, error_ratio, FACTORS, METACLASSES

Same signatures, defaults and returned frames (index, columns, values) as ``imagenet-x`` 0.0.7, but
prediction files may list their rows in any order (``imagenet-x`` raises a ``ValueError`` unless a CSV follows
``filename_label.csv`` exactly), and the computation runs on the vectorised core.
The ImageNet-X annotations are licensed CC BY-NC 4.0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..constants import FACTORS as _FACTORS
from ..constants import METACLASSES as _METACLASSES
from ._tables import error_ratios as _error_ratios
from ._tables import factor_accuracies as _factor_accuracies
from ..datasets._index import class_info
from ..readers import read_population
from ..resources.imagenetx import package_file

__all__ = ["FACTORS", "METACLASSES", "load_annotations", "get_factor_accuracies", "error_ratio"]

FACTORS = list(_FACTORS)
METACLASSES = list(_METACLASSES)


def load_annotations(which_factor: str = "top", partition: str = "val", filter_prototypes: bool = True
                     ) -> pd.DataFrame:
    """The ImageNet-X annotations as ``imagenet_x.load_annotations`` returns them.

    Columns as in the JSON-lines file plus ``metaclass`` (17-way name); the original row numbers are kept as
    the index after the prototype filter.
    """
    frame = pd.read_json(package_file(f"imagenet_x_{partition}_{which_factor}_factor.jsonl"), lines=True)
    names = pd.Series(class_info().metaclass17, dtype="int64").map(dict(enumerate(_METACLASSES)))
    frame["metaclass"] = names.loc[frame["class"]].reset_index(drop=True)
    if filter_prototypes:
        protos = pd.read_csv(package_file("prototypical_paths.csv"))
        frame = frame[~frame["file_name"].isin(protos.file_name)]
    return frame


def get_factor_accuracies(model_dir: str | Path, which_factor: str = "top", partition: str = "val",
                          filter_prototypes: bool = True, error_type: str = "class") -> pd.DataFrame:
    """Accuracy of each factor for every model file in ``model_dir``.

    Returns a frame indexed by model name (sorted) with the 16 factors, ``worst_factor`` and ``average``.
    """
    pop = read_population(model_dir)
    return _factor_accuracies(pop, which=which_factor, error_type=error_type, partition=partition,
                              filter_prototypes=filter_prototypes, worst_k=None)


def error_ratio(result_df: pd.DataFrame) -> pd.DataFrame:
    """(1 - factor accuracy) / (1 - average) for the 16 factors."""
    return _error_ratios(result_df)
