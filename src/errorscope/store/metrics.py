"""Derived metrics computed when models are added to a store, in one vectorised pass over the M x N matrix.

A :class:`MetricSuite` is a versioned function ``Population -> dict[str, DataFrame]``; every frame has a
``model`` column and becomes the store table ``derived_<name>``. The store records the suite's version with
every model and recomputes models whose version differs (:meth:`ResultStore.refresh`).

The default suite, :func:`imagenetx_suite`, computes the ImageNet-X factor accuracies for ``which`` in
top/multi and error types class/metaclass/real_class with the conventions of the published tables
(prototype images removed, 46,110 annotated images; ReaL: an image without ReaL labels counts as an error;
``worst_100_classes`` is the image-weighted accuracy of the 100 worst classes after a stable sort). On the
four ImageNet-X base models it reproduces ``results/val/*/base/*/accuracies_per_factor.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES, FACTORS, WHICH_FACTORS
from ..exceptions import InvalidInputError
from ..predictions import Population

__all__ = ["MetricSuite", "imagenetx_suite", "imagenetx_factor_metrics", "published_layout"]


@dataclass(frozen=True)
class MetricSuite:
    """A versioned metric function.

    Attributes
    ----------
    name : short identifier.
    version : changes whenever the numbers the function returns change; stored with every model.
    compute : ``compute(population) -> {table name: DataFrame with a 'model' column}``.
    """

    name: str
    version: str
    compute: Callable[[Population], dict[str, pd.DataFrame]]

    @property
    def tag(self) -> str:
        """``name/version``, the value recorded in the store."""
        return f"{self.name}/{self.version}"


def imagenetx_factor_metrics(population: Population, *, whiches: Sequence[str] = WHICH_FACTORS,
                             error_types: Sequence[str] = ERROR_TYPES, worst_k: int = 100) -> dict[str, pd.DataFrame]:
    """ImageNet-X factor accuracies of every model as tidy frames, from :func:`errorscope.imagenetx_tables.count_factors`.

    Returns
    -------
    dict with
        ``factors`` : model, which, error_type, factor (16 factors and ``"average"``), correct, total, accuracy
        (NaN when no image has the factor).
        ``summary`` : model, which, error_type, average, worst_factor, worst_100_classes, and ``top1``
        (accuracy over all 50,000 validation images against the original labels), ``n_covered``.
    """
    from ..imagenetx_tables import accuracy_table, count_factors

    if population.index.name != "imagenet-val":
        raise InvalidInputError(
            f"ImageNet-X metrics need predictions on the ImageNet validation index, got {population.index.name!r}."
        )
    models = np.asarray(population.models, dtype=object)
    m = len(models)
    top1_all = (population.top1 == population.index.labels).mean(axis=1)
    n_cov = (population.top1 >= 0).sum(axis=1).astype(np.int64)
    names = FACTORS + ["average"]
    factor_frames, summary_frames = [], []
    for error_type in error_types:
        for which in whiches:
            counts = count_factors(population, which=which, error_type=error_type)
            correct = np.column_stack([counts.factors.correct, counts.overall.correct])
            total = np.column_stack([counts.factors.total, counts.overall.total])
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = correct / total
            factor_frames.append(pd.DataFrame({
                "model": np.repeat(models, len(names)), "which": which, "error_type": error_type,
                "factor": np.tile(names, m), "correct": correct.ravel().astype(np.int64),
                "total": total.ravel().astype(np.int64), "accuracy": acc.ravel(),
            }))
            table = accuracy_table(counts, worst_k=worst_k).reindex(list(models))
            worst = np.where(np.isnan(acc[:, :-1]).all(1), np.nan, np.nanmin(np.where(np.isnan(acc[:, :-1]), np.inf, acc[:, :-1]), 1))
            summary_frames.append(pd.DataFrame({
                "model": models, "which": which, "error_type": error_type, "average": acc[:, -1],
                "worst_factor": worst, f"worst_{worst_k}_classes": table[f"worst_{worst_k}_classes"].to_numpy(),
                "top1": top1_all, "n_covered": n_cov,
            }))
    factors = pd.concat(factor_frames, ignore_index=True)
    factors["model"] = factors["model"].astype(str)
    summary = pd.concat(summary_frames, ignore_index=True)
    summary["model"] = summary["model"].astype(str)
    return {"factors": factors, "summary": summary}


def imagenetx_suite() -> MetricSuite:
    """The store's default suite: :func:`imagenetx_factor_metrics` (version ``1``)."""
    return MetricSuite("imagenetx-factors", "1", imagenetx_factor_metrics)


def published_layout(factors: pd.DataFrame, summary: pd.DataFrame, *, which: str = "top",
                     error_type: str = "class") -> pd.DataFrame:
    """Tidy frames of :func:`imagenetx_factor_metrics` in the layout of ``accuracies_per_factor.csv``.

    Index ``model``; columns the 16 factors, worst_factor, average, worst_100_classes.
    """
    f = factors[(factors["which"] == which) & (factors["error_type"] == error_type)
                & (factors["factor"] != "average")]
    wide = f.pivot(index="model", columns="factor", values="accuracy").reindex(columns=FACTORS)
    s = summary[(summary["which"] == which) & (summary["error_type"] == error_type)].set_index("model")
    wide["worst_factor"] = s["worst_factor"]
    wide["average"] = s["average"]
    wide["worst_100_classes"] = s["worst_100_classes"]
    wide.columns.name = None
    return wide.sort_index()
