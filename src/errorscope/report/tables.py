"""Plain tables the report shows, derived from :func:`errorscope.analysis.analyze` and the published populations.

Conventions: annotations ``val``/``top``, prototype-filtered; ``real_class`` counts an image with an empty ReaL
list as wrong (ImageNet-X convention), while the headline ReaL accuracy uses the standard protocol (images
without ReaL labels excluded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..exceptions import InvalidInputError

__all__ = ["FACTOR_COLUMNS", "report_tables", "top_mistakes",
           "wide_factor_table", "wide_metaclass_table", "population_comparison", "accuracy_comparison"]

#: Columns of the tidy factor frame (the layout of ``errorscope.analysis.Analysis.factors``).
FACTOR_COLUMNS = ["model", "error_type", "which", "metaclass", "factor", "correct", "total", "accuracy",
                  "ci_low", "ci_high", "error_ratio", "er_low", "er_high"]


def report_tables(pop, *, which: str = "top", error_types=("class", "real_class", "metaclass")
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The report's summary and tidy factor frame, computed by :func:`errorscope.analysis.analyze`.

    Returns ``summary`` (one row per model, column ``model`` first) and ``factors``: the rows of
    ``Analysis.factors`` for the annotation file ``which``, plus one ``factor == "average"`` row per (model,
    error type, metaclass) holding the group's overall accuracy with its Wilson interval (the layout the report
    and its figures read).
    """
    from ..analysis import analyze
    from ..metrics.intervals import wilson_interval

    if pop.index.name != "imagenet-val":
        raise InvalidInputError(f"The report needs predictions on the ImageNet validation index, got {pop.index.name!r}.")
    result = analyze(pop, which=(which,), error_types=tuple(error_types))
    summary = result.summary.reset_index()
    summary.insert(1, "n_images", len(pop.index))
    if "mla" not in summary.columns:
        summary["mla"] = np.nan
    f = result.factors
    keys = ["model", "error_type", "which", "metaclass"]
    avg = f.drop_duplicates(keys)[keys + ["average_correct", "average_total", "average"]].rename(
        columns={"average_correct": "correct", "average_total": "total", "average": "accuracy"})
    avg["factor"] = "average"
    avg["ci_low"], avg["ci_high"] = wilson_interval(avg["correct"], avg["total"])
    for col in ("error_ratio", "er_low", "er_high"):
        avg[col] = np.nan
    factors = pd.concat([f[FACTOR_COLUMNS], avg[FACTOR_COLUMNS]], ignore_index=True)
    return summary, factors


def top_mistakes(pop, *, k: int = 20) -> pd.DataFrame:
    """The ``k`` most frequent (true class, predicted class) confusions per model over all images.

    Columns ``model, rank, true_id, true_name, predicted_id, predicted_name, count, share_of_errors``.
    """
    from ..index import class_info

    names = class_info().names
    labels = pop.index.labels.astype(np.int64)
    frames = []
    for i, m in enumerate(pop.models):
        pred = pop.top1[i].astype(np.int64)
        wrong = (pred >= 0) & (labels >= 0) & (pred != labels)
        codes = labels[wrong] * 1000 + pred[wrong]
        vals, counts = np.unique(codes, return_counts=True)
        order = np.lexsort((vals, -counts))[:k]
        t, p = vals[order] // 1000, vals[order] % 1000
        frames.append(pd.DataFrame({"model": m, "rank": np.arange(1, len(order) + 1), "true_id": t,
                                    "true_name": names[t], "predicted_id": p, "predicted_name": names[p],
                                    "count": counts[order], "share_of_errors": counts[order] / max(int(wrong.sum()), 1)}))
    return pd.concat(frames, ignore_index=True)


def wide_factor_table(factors: pd.DataFrame, *, error_type: str = "class", which: str = "top") -> pd.DataFrame:
    """The overall rows of a tidy factor frame in the ``accuracies_per_factor.csv`` layout (index model;
    16 factors, worst_factor, average)."""
    sub = factors[(factors["metaclass"] == "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    wide = sub.pivot(index="model", columns="factor", values="accuracy")
    wide = wide.reindex(columns=list(FACTORS) + ["average"])
    wide.insert(len(FACTORS), "worst_factor", wide[FACTORS].min(axis=1))
    return wide.reindex(list(pd.unique(sub["model"])))


def wide_metaclass_table(factors: pd.DataFrame, *, error_type: str = "class", which: str = "top") -> pd.DataFrame:
    """The metaclass rows of a tidy factor frame in the ``accuracies_per_factor_metaclass.csv`` layout."""
    sub = factors[(factors["metaclass"] != "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    wide = sub.pivot_table(index=["model", "metaclass"], columns="factor", values="accuracy", dropna=False)
    wide = wide.reindex(columns=list(FACTORS) + ["average"])
    wide.insert(len(FACTORS), "worst_factor", wide[FACTORS].min(axis=1))
    return wide.reset_index()


def population_comparison(factors: pd.DataFrame, population: pd.DataFrame, *, error_type: str = "class",
                          which: str = "top", name: str = "ImageNet-X testbed") -> pd.DataFrame:
    """Each model's error ratios against a published population (``accuracies_per_factor.csv`` layout).

    Columns ``model, factor, error_ratio, population, pop_median, pop_p10, pop_p90, percentile`` where
    percentile is the share of population models with a lower error ratio (0 = most robust), in percent.
    The row ``average`` compares the overall accuracy (percentile = share of population models less accurate).
    """
    from ..imagenetx_tables import error_ratios

    pop_er = error_ratios(population.loc[population.index != "human"])
    mine = factors[(factors["metaclass"] == "all") & (factors["error_type"] == error_type) & (factors["which"] == which)]
    label = f"{name} ({int((population.index != 'human').sum())})"
    rows = []
    for _, r in mine.iterrows():
        if r["factor"] == "average":
            ref = population.loc[population.index != "human", "average"].dropna().to_numpy()
            val = r["accuracy"]
        else:
            ref = pop_er[r["factor"]].replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
            val = r["error_ratio"]
        pct = 100.0 * float((ref < val).mean()) if len(ref) and np.isfinite(val) else np.nan
        rows.append((r["model"], r["factor"], val, label, float(np.median(ref)), float(np.percentile(ref, 10)),
                     float(np.percentile(ref, 90)), pct))
    return pd.DataFrame(rows, columns=["model", "factor", "value", "population", "pop_median", "pop_p10",
                                       "pop_p90", "percentile"])


def accuracy_comparison(summary: pd.DataFrame, eth_all: pd.DataFrame, *,
                        name: str = "ETH error-analysis models") -> pd.DataFrame:
    """Each model's top-1 accuracy against the published ETH population (``non_problematic_stats_all.csv``).

    Same columns as :func:`population_comparison`, with ``factor = "top-1 accuracy"``; values are fractions and
    percentile is the share of population models that are less accurate, in percent.
    """
    ref = eth_all["top1_val_acc"].dropna().to_numpy(float) / 100.0
    label = f"{name} ({len(ref)})"
    rows = [(r["model"], "top-1 accuracy", float(r["top1"]), label, float(np.median(ref)),
             float(np.percentile(ref, 10)), float(np.percentile(ref, 90)), 100.0 * float((ref < r["top1"]).mean()))
            for _, r in summary.iterrows()]
    return pd.DataFrame(rows, columns=["model", "factor", "value", "population", "pop_median", "pop_p10",
                                       "pop_p90", "percentile"])
