"""The per-model summary table (:data:`~errorscope.results._schema.SUMMARY`), built from predictions and counts.

One coverage convention for every number: images a file does not cover are left out (``missing="exclude"``),
or counted as errors (``missing="wrong"``); each accuracy carries the number of images it rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets import real_label_sets
from ..imagenetx._counts import FactorCounts
from ..metrics import real_accuracy, top1_accuracy, topk_accuracy
from ..options import Missing, RealEmpty, check_missing, check_real_empty
from ..predictions import Population
from ._schema import SUMMARY

__all__ = ["summary_table"]


def summary_table(pop: Population, *, counts: FactorCounts | None = None, taxonomy=None,
                  missing: Missing = "exclude", real_empty: RealEmpty = "exclude") -> pd.DataFrame:
    """One row per model: coverage, top-1, top-5, ReaL, MLA and ImageNet-X headline numbers with their bases.

    Parameters
    ----------
    pop : Population
        Predictions on the ImageNet validation index.
    counts : FactorCounts, optional
        ImageNet-X counts of ``pop`` (first annotation file, first error type) for ``imagenetx_n`` and the
        worst factor; without them those columns are NaN.
    taxonomy : TaxonomyResult, optional
        The taxonomy of ``pop``; gives ``mla``, ``mla_n`` and ``label_source``.
    missing : {"exclude", "wrong"}
        Images a model does not cover are left out, or counted as errors.
    real_empty : {"exclude", "wrong"}
        How the headline ``real`` accuracy treats the 3,163 images without a ReaL label.

    Returns
    -------
    DataFrame
        The :data:`~errorscope.results._schema.SUMMARY` table, one row per model in population order.
    """
    from ..constants import FACTORS

    check_missing(missing)
    check_real_empty(real_empty)
    labels = pop.index.labels
    covered = pop.top1 >= 0
    n_images = pop.top1.shape[1]
    n_cov = covered.sum(axis=1).astype(np.int64)
    real_sets, sizes = real_label_sets()
    frame = pd.DataFrame({"model": pd.Series(list(pop.models), dtype=object)})
    frame["n_images"] = np.int64(n_images)
    frame["n_covered"] = n_cov
    frame["coverage"] = n_cov / n_images
    frame["missing"] = missing
    frame["top1"] = top1_accuracy(pop.top1, labels, missing=missing)
    frame["top1_n"] = n_cov if missing == "exclude" else np.int64(n_images)
    if pop.topk is not None and pop.topk.shape[-1] >= 5:
        top5 = topk_accuracy(pop.topk, labels, k=5)
        if missing == "wrong":
            top5 = top5 * n_cov / n_images
        frame["top5"] = top5
    else:
        frame["top5"] = np.nan
    # ReaL: label-less images per `real_empty`; uncovered images per `missing`.
    scored = np.where(covered, pop.top1, -2) if missing == "wrong" else pop.top1
    frame["real"] = real_accuracy(_as_wrong(scored), real_sets, empty=real_empty, sizes=sizes)
    nonempty = sizes > 0 if real_empty == "exclude" else np.ones(n_images, dtype=bool)
    base = covered if missing == "exclude" else np.ones_like(covered)
    frame["real_n"] = (base & nonempty[None, :]).sum(axis=1).astype(np.int64)
    frame["real_imagenetx"] = real_accuracy(_as_wrong(scored), real_sets, empty="wrong", sizes=sizes)
    if taxonomy is not None:
        st = taxonomy.stats("all")
        by_id = dict(zip(st["model_dir_id"], st["mla_all"].to_numpy(np.float64) / 100.0))
        n_by_id = dict(zip(st["model_dir_id"], st["num_all_samples"].to_numpy(np.int64)))
        ids = [m.replace("/", "--") for m in pop.models]
        frame["mla"] = [by_id[i] for i in ids]
        frame["mla_n"] = np.array([n_by_id[i] for i in ids], dtype=np.int64)
        shankar = dict(zip(st["model_dir_id"], st["mla_all_shankar"].to_numpy(np.float64) / 100.0))
        frame["mla_shankar"] = [shankar[i] for i in ids]
        frame["label_source"] = taxonomy.label_source
    if counts is not None:
        frame["imagenetx_n"] = counts.overall.total.astype(np.int64)
        acc = counts.factors.accuracy
        worst = np.where(np.isnan(acc), np.inf, acc).argmin(axis=1)
        frame["worst_factor"] = np.array(FACTORS, dtype=object)[worst]
        frame["worst_factor_accuracy"] = acc[np.arange(len(worst)), worst]
    else:
        frame["imagenetx_n"] = np.int64(0)
        frame["worst_factor"] = pd.Series([None] * len(frame), dtype=object)
        frame["worst_factor_accuracy"] = np.nan
    return SUMMARY.validate(frame)


def _as_wrong(top1: np.ndarray) -> np.ndarray:
    """Predictions where -2 marks an uncovered image that must count as an error (never in a ReaL set).

    :func:`~errorscope.metrics.real_accuracy` leaves out negative predictions; class id 1000 is outside every
    ReaL set, so it scores as a covered error.
    """
    if not (top1 == -2).any():
        return top1
    out = top1.astype(np.int16, copy=True)
    out[out == -2] = 1000
    return out
