"""Per-class views: accuracy with Wilson intervals, the worst classes, the most frequent confusions.

Class names come from :func:`errorscope.datasets.distinct_class_names`, so the two ``maillot`` (and ``crane``)
classes carry their wnids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import N_CLASSES
from ..datasets._label_errors import cleanlab_label_errors
from ..datasets._index import VAL_INDEX
from ..datasets._names import distinct_class_names
from ..exceptions import InvalidInputError
from ..metrics._intervals import wilson_interval
from ..predictions import Population
from ..results._schema import CONFUSIONS, PER_CLASS

__all__ = ["per_class_accuracy", "worst_classes", "top_confusions"]


def _check(population) -> None:
    if not isinstance(population, Population):
        raise InvalidInputError(f"Expected a Population, but got {type(population).__name__}.")


def per_class_accuracy(population: Population, *, confidence: float = 0.95) -> pd.DataFrame:
    """Top-1 accuracy of every model on every class (covered images), with Wilson intervals.

    Parameters
    ----------
    population : Population
    confidence : float
        Coverage of the Wilson intervals.

    Returns
    -------
    DataFrame (``per_class`` schema), M x 1000 rows.
    """
    _check(population)
    t = np.asarray(population.index.labels).astype(np.int64)
    names = distinct_class_names()
    frames = []
    for i, m in enumerate(population.models):
        cov = population.top1[i] >= 0
        total = np.bincount(t[cov], minlength=N_CLASSES)
        correct = np.bincount(t[cov & (population.top1[i] == t)], minlength=N_CLASSES)
        lo, hi = wilson_interval(correct, total, confidence=confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.where(total > 0, correct / np.maximum(total, 1), np.nan)
        frames.append(pd.DataFrame({"model": m, "class_id": np.arange(N_CLASSES), "class_name": names,
                                    "correct": correct, "total": total, "accuracy": acc, "ci_low": lo,
                                    "ci_high": hi}))
    return PER_CLASS.validate(pd.concat(frames, ignore_index=True))


def worst_classes(per_class: pd.DataFrame, *, k: int = 10) -> pd.DataFrame:
    """The ``k`` classes of lowest accuracy per model (ties by class id).

    Parameters
    ----------
    per_class : DataFrame
        A ``per_class`` table (:func:`per_class_accuracy`).
    k : int
        Classes per model.

    Returns
    -------
    DataFrame
        ``per_class`` rows, worst first within each model.
    """
    PER_CLASS.validate(per_class)
    ordered = per_class.sort_values(["model", "accuracy", "class_id"], kind="stable")
    return ordered.groupby("model", sort=False, observed=True).head(k).reset_index(drop=True)


def top_confusions(population: Population, *, k: int = 20) -> pd.DataFrame:
    """The ``k`` most frequent (target, prediction) confusions per model, with how many are known label errors.

    Parameters
    ----------
    population : Population
        The models.
    k : int
        Confusions per model.

    Returns
    -------
    DataFrame (``confusions`` schema), at most k rows per model, most frequent first (ties by class ids).
    """
    _check(population)
    t = np.asarray(population.index.labels).astype(np.int64)
    names = distinct_class_names()
    le = cleanlab_label_errors().mask if population.index.name == VAL_INDEX else np.zeros(len(t), dtype=bool)
    frames = []
    for i, m in enumerate(population.models):
        p = population.top1[i].astype(np.int64)
        cov = p >= 0
        wrong = cov & (p != t)
        per_class_n = np.bincount(t[cov], minlength=N_CLASSES)
        codes = t[wrong] * N_CLASSES + p[wrong]
        vals, counts = np.unique(codes, return_counts=True)
        le_counts = np.bincount(np.searchsorted(vals, t[wrong & le] * N_CLASSES + p[wrong & le]),
                                minlength=len(vals)) if len(vals) else np.zeros(0, int)
        order = np.lexsort((vals, -counts))[:k]
        tt, pp = vals[order] // N_CLASSES, vals[order] % N_CLASSES
        frames.append(pd.DataFrame({"model": m, "target": tt, "predicted": pp, "target_name": names[tt],
                                    "predicted_name": names[pp], "count": counts[order],
                                    "share_of_class": counts[order] / np.maximum(per_class_n[tt], 1),
                                    "label_errors": le_counts[order]}))
    return CONFUSIONS.validate(pd.concat(frames, ignore_index=True))
