"""Plain tables the report shows, computed from a :class:`~errorscope.predictions.Population`.

The report renders tables only. :meth:`ReportContext.from_population` takes them from ``errorscope.analysis``
when that module is installed; this module is the small, self-contained fallback (and the reference the tests
check against the published ImageNet-X tables). Conventions follow spec B: annotations ``val``/``top``,
prototype-filtered; ``real_class`` counts an image with an empty ReaL list as wrong (ImageNet-X convention),
while the headline ReaL accuracy uses the standard protocol (images without ReaL labels excluded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..exceptions import InvalidInputError

__all__ = ["FACTOR_COLUMNS", "wilson_interval", "summary_table", "factor_frame", "top_mistakes",
           "wide_factor_table", "wide_metaclass_table", "population_comparison", "accuracy_comparison"]

#: Columns of the tidy factor frame (the layout of ``errorscope.analysis.Analysis.factors``).
FACTOR_COLUMNS = ["model", "error_type", "which", "metaclass", "factor", "correct", "total", "accuracy",
                  "ci_low", "ci_high", "error_ratio", "er_low", "er_high"]


def wilson_interval(correct, total, *, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (95% by default); NaN where ``total`` is 0."""
    k = np.asarray(correct, dtype=float)
    n = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    return centre - half, centre + half


def _real_hits(top1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ..annotations import real_label_sets

    labels, sizes = real_label_sets()
    hit = (labels == top1[:, None]).any(axis=1) & (top1 >= 0)
    return hit, sizes > 0


def summary_table(pop) -> pd.DataFrame:
    """Headline accuracies per model: ``model, n_images, n_covered, top1, top5, real, mla``.

    top1 is over all images of the index (missing predictions count as wrong), top5 is NaN without top-k
    predictions, real follows the ReaL protocol (images with at least one ReaL label), mla is NaN here (the
    multi-label set of Shankar et al. is not part of this fallback).
    """
    if pop.index.name != "imagenet-val":
        raise InvalidInputError(f"The report needs predictions on the ImageNet validation index, got {pop.index.name!r}.")
    rows = []
    for i, m in enumerate(pop.models):
        top1 = pop.top1[i]
        hit, has_real = _real_hits(top1)
        rows.append((m, len(top1), int((top1 >= 0).sum()), float((top1 == pop.index.labels).mean()), np.nan,
                     float(hit[has_real].mean()), np.nan))
    return pd.DataFrame(rows, columns=["model", "n_images", "n_covered", "top1", "top5", "real", "mla"])


def factor_frame(pop, *, which: str = "top", error_types=("class", "real_class")) -> pd.DataFrame:
    """Tidy per-factor accuracies with Wilson intervals and error ratios, overall and per metaclass.

    Rows: model × error type × metaclass (``all`` first, then the 17 metaclasses) × factor (the 16 factors and
    ``average``). error_ratio = (1 − acc_f) / (1 − average) of the same model and metaclass; its interval
    maps the Wilson interval of acc_f through the same formula (the average treated as fixed).
    """
    from ..annotations import load_factor_annotations
    from ..index import class_info

    ann = load_factor_annotations(which, "val")
    mc17 = class_info().metaclass17
    frames = []
    for i, m in enumerate(pop.models):
        pred = pop.top1[i][ann.positions]
        covered = pred >= 0
        for et in error_types:
            if et == "class":
                ok = pred == ann.labels
            elif et == "real_class":
                ok = _real_hits(pop.top1[i])[0][ann.positions]
            elif et == "metaclass":
                ok = covered & (mc17[np.clip(pred, 0, None)] == ann.metaclass)
            else:
                raise InvalidInputError(f"Unknown error type {et!r}; expected class, real_class or metaclass.")
            for mi, meta in enumerate(["all"] + list(METACLASSES)):
                rows = covered if meta == "all" else covered & (ann.metaclass == mi - 1)
                f = ann.factors[rows]
                e = ok[rows]
                total = np.append(f.sum(axis=0), rows.sum())
                correct = np.append((f & e[:, None]).sum(axis=0), e.sum())
                frames.append(pd.DataFrame({"model": m, "error_type": et, "which": which, "metaclass": meta,
                                            "factor": list(FACTORS) + ["average"], "correct": correct,
                                            "total": total}))
    out = pd.concat(frames, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["accuracy"] = out["correct"] / out["total"].where(out["total"] > 0)
    out["ci_low"], out["ci_high"] = wilson_interval(out["correct"], out["total"])
    avg = out[out["factor"] == "average"].set_index(["model", "error_type", "metaclass"])["accuracy"]
    base = 1.0 - avg.reindex(pd.MultiIndex.from_frame(out[["model", "error_type", "metaclass"]])).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["error_ratio"] = (1.0 - out["accuracy"]) / base
        out["er_low"] = (1.0 - out["ci_high"]) / base
        out["er_high"] = (1.0 - out["ci_low"]) / base
    is_avg = out["factor"] == "average"
    out.loc[is_avg, ["error_ratio", "er_low", "er_high"]] = np.nan
    return out[FACTOR_COLUMNS]


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
    from ..plots.data import error_ratio_table

    pop_er = error_ratio_table(population.loc[population.index != "human"])
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
