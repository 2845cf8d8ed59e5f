"""ImageNet-X factor tables in the published layouts (Idrissi et al., ICLR 2023), from the counts.

The frames have exactly the layout of the published ``accuracies_per_factor.csv`` and
``accuracies_per_factor_metaclass.csv`` tables (and of ``python -m imagenet_x aggregate``), so the published
tables and ours can be compared cell by cell. The ImageNet-X annotations are licensed CC BY-NC 4.0.

Semantics kept from ImageNet-X (see docs/metrics.md):

* each model is scored on the annotated images it has a prediction for (an inner join);
* ``average`` is the accuracy over all of a model's annotated images, zero-factor images included;
* ``worst_factor`` is the lowest of the 16 factor accuracies, ignoring NaN;
* ``worst_100_classes`` is the image-weighted accuracy over the 100 worst classes (stable ranking);
* a (model[, metaclass]) with no correct image at all gets NaN factor accuracies, as pandas' groupby does
  in the original; the tidy factor table of :mod:`errorscope.results` reports 0 there instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..exceptions import InvalidInputError
from ..metrics._grouped import worst_k_classes
from ..predictions import Population
from ._counts import N_F, FactorCounts, count_factors

__all__ = ["factor_accuracies", "metaclass_factor_accuracies", "error_ratios", "accuracy_table", "metaclass_table"]


def _nan_where_no_correct(acc: np.ndarray, correct_any: np.ndarray) -> np.ndarray:
    return np.where(correct_any[..., None], acc, np.nan)


def accuracy_table(counts: FactorCounts, *, worst_k: int | None = 100) -> pd.DataFrame:
    """The ``accuracies_per_factor`` frame of a :class:`FactorCounts`: one row per model, sorted by name.

    Parameters
    ----------
    counts : FactorCounts
        Counts of one annotation file and error type.
    worst_k : int or None, default 100
        Add the ``worst_{k}_classes`` column (None: leave it out).

    Returns
    -------
    DataFrame
        Indexed by ``model``: the 16 FACTORS, ``worst_factor``, ``average`` [, ``worst_{k}_classes``].
    """
    acc = _nan_where_no_correct(counts.factors.accuracy, counts.overall.correct > 0)
    frame = pd.DataFrame(acc, index=pd.Index(counts.models, name="model"), columns=FACTORS)
    frame["worst_factor"] = frame[FACTORS].min(axis=1)
    frame["average"] = counts.overall.accuracy
    if worst_k:
        frame[f"worst_{worst_k}_classes"] = worst_k_classes(counts.classes, worst_k)
    return frame.sort_index(kind="stable")


def metaclass_table(counts: FactorCounts) -> pd.DataFrame:
    """The ``accuracies_per_factor_metaclass`` frame of a :class:`FactorCounts`.

    Parameters
    ----------
    counts : FactorCounts
        Counts of one annotation file and error type.

    Returns
    -------
    DataFrame
        Rows (model, metaclass) in METACLASSES order, then model; the 16 FACTORS, ``worst_factor``, ``average``.
    """
    acc = _nan_where_no_correct(counts.metaclass_factors.accuracy, counts.metaclass.correct > 0)
    order = np.argsort(np.array(counts.models, dtype=object), kind="stable")
    rows, keys = [], []
    for j, mc in enumerate(METACLASSES):
        for i in order:
            if counts.metaclass.total[i, j] > 0:
                rows.append(np.concatenate([acc[i, j], [np.nan, counts.metaclass.accuracy[i, j]]]))
                keys.append((counts.models[i], mc))
    frame = pd.DataFrame(np.array(rows).reshape(len(rows), N_F + 2),
                         index=pd.MultiIndex.from_tuples(keys, names=["model", "metaclass"]),
                         columns=FACTORS + ["worst_factor", "average"])
    frame["worst_factor"] = frame[FACTORS].min(axis=1)
    return frame


def factor_accuracies(pop: Population, *, which: str = "top", error_type: str = "class", partition: str = "val",
                      filter_prototypes: bool = True, add_human: bool = False, worst_k: int | None = 100
                      ) -> pd.DataFrame:
    """Per-factor accuracies of every model, in the layout of ImageNet-X's ``accuracies_per_factor.csv``.

    Parameters
    ----------
    pop : Population on the validation index (or on the ImageNet-X train images for ``partition="train"``)
    which : "top" (one factor per image) or "multi" (every factor that applies)
    error_type : "class", "metaclass" or "real_class"
    partition : "val" (default) or "train" (the annotated training images)
    filter_prototypes : drop the 3,000 prototypical images (ImageNet-X default)
    add_human : add the ``human`` pseudo-model (original labels, scored against ReaL for ``real_class``)
    worst_k : add the ``worst_{k}_classes`` column (None: leave it out, as ``get_factor_accuracies`` does)

    Returns
    -------
    DataFrame indexed by ``model`` with the 16 FACTORS, ``worst_factor``, ``average`` [, ``worst_{k}_classes``]

    Examples
    --------
    >>> from errorscope.readers import read_population
    >>> from errorscope.resources import resource_path
    >>> pop = read_population(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    >>> round(float(factor_accuracies(pop).loc["ViT", "average"]), 6)
    0.767599
    """
    counts = count_factors(pop, which=which, error_type=error_type, partition=partition,
                           filter_prototypes=filter_prototypes, add_human=add_human)
    return accuracy_table(counts, worst_k=worst_k)


def metaclass_factor_accuracies(pop: Population, *, which: str = "top", error_type: str = "class",
                                partition: str = "val", filter_prototypes: bool = True,
                                add_human: bool = False) -> pd.DataFrame:
    """Per-metaclass factor accuracies, in the layout of ``accuracies_per_factor_metaclass.csv``.

    Parameters
    ----------
    pop : Population
        Predictions on the partition's images.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    partition : {"val", "train"}
        Validation or the annotated training images.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.
    add_human : bool, default False
        Add the ``human`` pseudo-model (the original labels).

    Returns
    -------
    DataFrame
        Rows (model, metaclass); see :func:`metaclass_table`.
    """
    counts = count_factors(pop, which=which, error_type=error_type, partition=partition,
                           filter_prototypes=filter_prototypes, add_human=add_human)
    return metaclass_table(counts)


def error_ratios(table: pd.DataFrame, *, keep_columns: bool = False) -> pd.DataFrame:
    """ImageNet-X error ratios (1 - acc_f) / (1 - average) of a factor-accuracy table, for the 16 factors.

    Parameters
    ----------
    table : any frame with the 16 FACTORS and ``average`` (the per-model or the metaclass layout, or the
        wide reference frames with ``group``, ``model``, ``model_type`` columns).
    keep_columns : False: return the 16 error-ratio columns only, on the table's index. True: return a copy
        of ``table`` whose 16 factor columns hold the error ratios (every other column, including
        ``average``, kept as it is).

    Returns
    -------
    DataFrame of float64 error ratios (infinite or NaN where ``average`` is 1, NaN where a factor accuracy is).
    """
    from ..metrics._ratios import error_ratio

    missing = [c for c in FACTORS + ["average"] if c not in table.columns]
    if missing:
        raise InvalidInputError(f"The table lacks the column(s) {missing}; expected a factor-accuracy table "
                                f"(the 16 factors and 'average'). Got columns {list(table.columns)}.")
    ratios = error_ratio(table[FACTORS].to_numpy(np.float64), table["average"].to_numpy(np.float64)[:, None])
    if not keep_columns:
        return pd.DataFrame(ratios, index=table.index, columns=FACTORS)
    out = table.copy()
    for j, f in enumerate(FACTORS):
        out[f] = ratios[:, j]
    return out


