"""The published ImageNet-X layouts of tidy factor rows: :func:`to_published_layout`.

The counts-based builders :func:`errorscope.imagenetx.accuracy_table` / :func:`~errorscope.imagenetx.metaclass_table`
give the same frames straight from a :class:`~errorscope.imagenetx.FactorCounts`; this helper rebuilds them from
the rows of :func:`errorscope.results.tidy_factor_frame` (for example the factor table a results store keeps),
with the published conventions. The ImageNet-X annotations are CC BY-NC 4.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..exceptions import InvalidInputError
from ..metrics._intervals import wilson_interval
from ..metrics._ratios import error_ratio, error_ratio_interval

__all__ = ["to_published_layout", "complete_factor_rows", "pivot_factor_rows", "COUNT_COLUMNS"]

#: The columns of a tidy factor row that :func:`complete_factor_rows` needs: the keys and the four counts.
COUNT_COLUMNS = ["model", "which", "error_type", "metaclass", "factor", "correct", "total", "average_correct",
                 "average_total"]

_NEED = ["model", "which", "error_type", "metaclass", "factor", "accuracy", "average", "average_correct"]


def to_published_layout(tidy: pd.DataFrame, *, which: str = "top", error_type: str = "class",
                        metaclass: bool = False, worst_classes: pd.Series | None = None) -> pd.DataFrame:
    """Tidy factor rows in the layout of ``accuracies_per_factor.csv`` (or ``..._metaclass.csv``).

    Parameters
    ----------
    tidy : rows of :func:`~errorscope.results.tidy_factor_frame` (columns model, which, error_type, metaclass,
        factor, accuracy, average, average_correct, ...), any number of models and (which, error_type).
    which : the rows' ``which`` to lay out ("top" or "multi").
    error_type : the rows' ``error_type`` ("class", "metaclass" or "real_class").
    metaclass : False: one row per model from the ``metaclass == "all"`` rows (``accuracies_per_factor``);
        True: one row per (model, metaclass) from the per-metaclass rows (``accuracies_per_factor_metaclass``).
    worst_classes : the ``worst_100_classes`` value per model (a Series indexed by model), added as the last
        column of the per-model layout; it rests on per-class counts, which tidy rows do not hold.

    Returns
    -------
    DataFrame. Per model: index ``model`` (sorted), columns the 16 FACTORS, ``worst_factor``, ``average``
    [, ``worst_100_classes``]. Per metaclass: index (``model``, ``metaclass``) in METACLASSES order then model,
    columns the 16 FACTORS, ``worst_factor``, ``average``. As in the published tables, a factor without images
    and every factor of a group without a correct prediction are NaN, and ``worst_factor`` is the lowest
    factor accuracy ignoring NaN. A group whose images carry no factor has no tidy row and is left out.

    Examples
    --------
    >>> from errorscope.imagenetx import count_factors
    >>> from errorscope.readers import read_population
    >>> from errorscope.resources import resource_path
    >>> from errorscope.results import tidy_factor_frame
    >>> pop = read_population(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    >>> wide = to_published_layout(tidy_factor_frame(count_factors(pop)))
    >>> round(float(wide.loc["ViT", "average"]), 6)
    0.767599
    """
    missing = [c for c in _NEED if c not in tidy.columns]
    if missing:
        raise InvalidInputError(f"Expected tidy factor rows (errorscope.results.tidy_factor_frame); the columns "
                                f"{missing} are missing. Got columns {list(tidy.columns)}.")
    rows = tidy[(tidy["which"] == which) & (tidy["error_type"] == error_type)]
    rows = rows[rows["metaclass"] != "all"] if metaclass else rows[rows["metaclass"] == "all"]
    keys = ["model", "metaclass"] if metaclass else ["model"]
    if rows.empty:
        present = sorted({(w, e) for w, e in zip(tidy["which"], tidy["error_type"])})
        raise InvalidInputError(f"No tidy factor rows for which={which!r}, error_type={error_type!r}"
                                f"{' (per metaclass)' if metaclass else ''}; present: {present}.")
    acc = rows.pivot(index=keys, columns="factor", values="accuracy").reindex(columns=FACTORS)
    groups = rows.groupby(keys, sort=False)[["average", "average_correct"]].first().reindex(acc.index)
    no_correct = groups["average_correct"].to_numpy() == 0
    acc.loc[no_correct, FACTORS] = np.nan  # the published groupby leaves such groups NaN
    acc.columns.name = None
    acc["worst_factor"] = acc[FACTORS].min(axis=1)
    acc["average"] = groups["average"].to_numpy(np.float64)
    if metaclass:  # METACLASSES order, then model name, as metaclass_table
        position = {m: i for i, m in enumerate(METACLASSES)}
        mc = np.array([position.get(m, len(METACLASSES)) for m in acc.index.get_level_values("metaclass")])
        model_rank = np.unique(acc.index.get_level_values("model").astype(str), return_inverse=True)[1]
        return acc.iloc[np.lexsort((model_rank, mc))]
    if worst_classes is not None:
        acc["worst_100_classes"] = pd.Series(worst_classes).reindex(acc.index).to_numpy(np.float64)
    return acc.sort_index(kind="stable")



def complete_factor_rows(rows: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tidy factor rows from their counts: the rows of :func:`~errorscope.results.tidy_factor_frame`.

    A compact copy of the tidy table (a results store keeps only :data:`COUNT_COLUMNS`, about a fifth of the
    bytes) is completed with the same functions and conventions as the builder: accuracy = correct / total
    with Wilson's interval, ``average`` = average_correct / average_total, the error ratio and its interval
    (the Wilson interval of the factor's error rate over the group's overall error rate).

    Parameters
    ----------
    rows : frame with :data:`COUNT_COLUMNS` (one row per model, which, error_type, metaclass, factor).
    confidence : level of the intervals.

    Returns
    -------
    DataFrame with the columns of :func:`~errorscope.results.tidy_factor_frame`, in its order.
    """
    missing = [c for c in COUNT_COLUMNS if c not in rows.columns]
    if missing:
        raise InvalidInputError(f"Expected factor count rows with the columns {COUNT_COLUMNS}; {missing} are "
                                f"missing. Got columns {list(rows.columns)}.")
    correct = rows["correct"].to_numpy(np.int64)
    total = rows["total"].to_numpy(np.int64)
    avg_c = rows["average_correct"].to_numpy(np.int64)
    avg_t = rows["average_total"].to_numpy(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = correct / total
        avg = avg_c / avg_t
    lo, hi = wilson_interval(correct, total, confidence=confidence)
    er_lo, er_hi = error_ratio_interval(correct, total, avg, confidence=confidence)
    out = pd.DataFrame({c: rows[c].to_numpy() for c in COUNT_COLUMNS[:5]})
    out["correct"], out["total"] = correct, total
    out["accuracy"], out["ci_low"], out["ci_high"] = acc, lo, hi
    out["average"], out["average_correct"], out["average_total"] = avg, avg_c, avg_t
    out["error_ratio"] = error_ratio(acc, avg)
    out["er_low"], out["er_high"] = er_lo, er_hi
    return out


def pivot_factor_rows(rows: pd.DataFrame, index) -> pd.DataFrame:
    """Tidy rows whose ``factor`` includes ``"average"`` rows, pivoted to the published column layout.

    Parameters
    ----------
    rows : DataFrame
        Columns ``factor`` (the 16 factors and ``"average"``), ``accuracy`` and the ``index`` columns, for one
        annotation file and error type.
    index : str or list of str
        The row keys (``"model"``, or ``["model", "metaclass"]``).

    Returns
    -------
    DataFrame
        Index ``index``; columns the 16 FACTORS, ``worst_factor`` (lowest factor accuracy, NaN ignored) and
        ``average``. The layout the report and the figures show; :func:`to_published_layout` builds it from
        count rows instead.
    """
    wide = rows.pivot_table(index=index, columns="factor", values="accuracy", dropna=False)
    wide = wide.reindex(columns=list(FACTORS) + ["average"])
    wide.insert(len(FACTORS), "worst_factor", wide[FACTORS].min(axis=1))
    wide.columns.name = None
    return wide
