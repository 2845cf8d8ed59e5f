"""One call from predictions to every headline number: :func:`analyze`.

:func:`analyze` scores a population under the original labels, ReaL and the ImageNet-X factors (all three
error types, top and multi factors) and returns an :class:`Analysis` of tidy tables: one row per model in
``summary``; one row per (model, which, error_type, metaclass, factor) with counts, accuracy, error ratio and
their confidence intervals in ``factors``. The ImageNet-X annotations are CC BY-NC 4.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..datasets._real import real_label_sets
from ..constants import ERROR_TYPES, FACTORS, METACLASSES
from ..exceptions import InvalidInputError
from ..imagenetx._counts import FactorCounts, count_factor_sets
from ..imagenetx._tables import accuracy_table, metaclass_table
from ..metrics._accuracy import real_accuracy, top1_accuracy, topk_accuracy
from ..metrics._intervals import wilson_interval
from ..metrics._ratios import error_ratio, error_ratio_interval
from ..predictions import Population
from ..resources.imagenetx import LICENSE_NOTE
from ._factors import tidy_factor_frame

__all__ = ["Analysis", "analyze"]



@dataclass
class Analysis:
    """The result of :func:`analyze`.

    Attributes
    ----------
    summary : DataFrame, one row per model: ``n_covered``, ``top1``, ``top5``, ``real``, ``real_imagenetx``,
        ImageNet-X ``average`` per error type, ``worst_factor`` (name) and ``worst_factor_accuracy``.
    factors : tidy DataFrame (see :func:`tidy_factor_frame`) for every (which, error_type)
    tables : {(which, error_type): (accuracies_per_factor frame, accuracies_per_factor_metaclass frame)}
    calibration : ECE per model and factor (first ``which``, ``class`` correctness), None without probabilities
    shifts : tidy misclassification shifts per model and factor (first ``which``, first error type)
    settings : how the analysis was run (real_empty, filter_prototypes, confidence, licence note)
    """

    summary: pd.DataFrame
    factors: pd.DataFrame
    tables: dict = field(default_factory=dict)
    calibration: pd.DataFrame | None = None
    shifts: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)

    def robust_factors(self, model: str, *, which: str = "top", error_type: str = "class", n: int = 3
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The ``n`` factors with the lowest and the highest error ratio for ``model`` (overall)."""
        rows = self.factors[(self.factors.model == model) & (self.factors.which == which)
                            & (self.factors.error_type == error_type) & (self.factors.metaclass == "all")]
        if rows.empty:
            raise InvalidInputError(f"No factor rows for model {model!r}; models: {list(self.summary.index)}.")
        ordered = rows.sort_values("error_ratio", kind="stable")
        return ordered.head(n), ordered.tail(n).iloc[::-1]


def analyze(pop: Population, *, which: tuple[str, ...] = ("top", "multi"),
            error_types: tuple[str, ...] = ERROR_TYPES, filter_prototypes: bool = True,
            real_empty: Literal["exclude", "wrong"] = "exclude", confidence: float = 0.95,
            progress: bool = False) -> Analysis:
    """Score every model of ``pop`` under the original, ReaL and ImageNet-X ground truths.

    Parameters
    ----------
    pop : Population on the ImageNet validation index
    which : ImageNet-X annotation files to use ("top", "multi")
    error_types : any of "class", "metaclass", "real_class"
    filter_prototypes : drop ImageNet-X's 3,000 prototypical images from the factor analysis
    real_empty : how the headline ``real`` accuracy treats the 3,163 images with no ReaL label: "exclude"
        (the ReaL protocol, as timm) or "wrong" (as the ImageNet-X ``real_class`` tables). The factor tables
        always use the ImageNet-X convention, and ``real_imagenetx`` in the summary reports it.
    confidence : level of every interval

    Returns
    -------
    Analysis
    """
    from tqdm.auto import tqdm

    if not pop.index.is_val:
        raise InvalidInputError(
            f"analyze() needs predictions on the ImageNet validation images, but got the {pop.index.name!r} index.")
    labels = pop.index.labels
    real_sets, sizes = real_label_sets()
    summary = pd.DataFrame(index=pd.Index(pop.models, name="model"))
    summary["n_covered"] = (pop.top1 >= 0).sum(axis=1)
    summary["top1"] = top1_accuracy(pop.top1, labels)
    summary["top5"] = topk_accuracy(pop.topk, labels) if pop.topk is not None and pop.topk.shape[-1] >= 5 else np.nan
    summary["real"] = real_accuracy(pop.top1, real_sets, empty=real_empty, sizes=sizes)
    summary["real_imagenetx"] = real_accuracy(pop.top1, real_sets, empty="wrong", sizes=sizes)
    tidy, tables = [], {}
    all_counts = count_factor_sets(pop, whiches=tuple(which), error_types=tuple(error_types),
                                   filter_prototypes=filter_prototypes) if which and error_types else {}
    jobs = [(w, e) for w in which for e in error_types]
    for w, e in tqdm(jobs, desc="ImageNet-X tables", disable=not progress):
        counts = all_counts[(w, e)]
        tables[(w, e)] = (accuracy_table(counts), metaclass_table(counts))
        tidy.append(tidy_factor_frame(counts, confidence=confidence))
        if w == which[0]:
            summary[f"imagenetx_{e}"] = counts.overall.accuracy
            if e == error_types[0]:
                acc = counts.factors.accuracy
                worst = np.where(np.isnan(acc), np.inf, acc).argmin(axis=1)
                summary["worst_factor"] = np.array(FACTORS, dtype=object)[worst]
                summary["worst_factor_accuracy"] = acc[np.arange(len(worst)), worst]
    factors = pd.concat(tidy, ignore_index=True) if tidy else pd.DataFrame()
    calibration = shifts = None
    if which and error_types:
        from ..imagenetx._stats import factor_calibration, misclassification_shifts

        if pop.prob is not None and np.isfinite(pop.prob).any():
            calibration = factor_calibration(pop, which=which[0], filter_prototypes=filter_prototypes)
            summary["ece"] = calibration["average"].reindex(summary.index)
        shifts = misclassification_shifts(pop, which=which[0], error_type=error_types[0],
                                          filter_prototypes=filter_prototypes)
    settings = {"real_empty": real_empty, "filter_prototypes": filter_prototypes, "confidence": confidence,
                "which": list(which), "error_types": list(error_types), "interval": "wilson",
                "license": LICENSE_NOTE}
    return Analysis(summary, factors, tables, calibration, shifts, settings)
