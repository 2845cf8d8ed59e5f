"""One call from predictions to every headline number: :func:`analyze`.

:func:`analyze` scores a population under the original labels, ReaL, the multi-label set of the error taxonomy and
the ImageNet-X factors (all three error types, top and multi factors) and returns an :class:`Analysis` of the
declared result tables (:mod:`errorscope.results._schema`): one row per model in ``summary``; one row per
(model, which, error_type, metaclass, factor) with counts, accuracy, error ratio and their confidence intervals
in ``factors``. Images a file does not cover are left out of every number (``missing="exclude"``) unless
``missing="wrong"``; a partially covered model gets a :class:`~errorscope.exceptions.PartialCoverageWarning`.
The ImageNet-X annotations are CC BY-NC 4.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..constants import ERROR_TYPES
from ..exceptions import InvalidInputError, warn_partial_coverage
from ..imagenetx._counts import count_factor_sets
from ..imagenetx._tables import accuracy_table, metaclass_table
from ..options import (
    MIN_FINDING_IMAGES,
    Missing,
    RealEmpty,
    check_confidence,
    check_error_type,
    check_missing,
    check_real_empty,
    check_which,
)
from ..predictions import Population
from ..resources.imagenetx import LICENSE_NOTE
from ._factors import tidy_factor_frame
from ._schema import FACTORS as FACTOR_SCHEMA
from ._summary import summary_table

__all__ = ["Analysis", "analyze", "robust_susceptible"]


def robust_susceptible(rows: pd.DataFrame, *, n: int = 3, min_images: int = MIN_FINDING_IMAGES
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The factors a model is most robust and most susceptible to, from its rows of the tidy factor table.

    Only findings the data support are listed: a factor is *robust* when the upper bound of its error-ratio
    interval lies below 1, *susceptible* when the lower bound lies above 1, and never when fewer than
    ``min_images`` images back it.

    Parameters
    ----------
    rows : DataFrame
        Rows of the tidy factor table (:data:`~errorscope.results._schema.FACTORS`) for one model, one
        annotation file, one error type and one metaclass.
    n : int
        At most this many factors per list.
    min_images : int
        Fewest images a listed factor may rest on.

    Returns
    -------
    robust, susceptible : DataFrame
        Up to ``n`` rows each, most robust (lowest error ratio) and most susceptible (highest) first.
    """
    enough = rows[rows["total"] >= min_images]
    robust = enough[enough["er_high"] < 1].sort_values("error_ratio", kind="stable").head(n)
    susceptible = enough[enough["er_low"] > 1].sort_values("error_ratio", ascending=False, kind="stable").head(n)
    return robust, susceptible


@dataclass
class Analysis:
    """The result of :func:`analyze`.

    Attributes
    ----------
    summary : DataFrame, the :data:`~errorscope.results._schema.SUMMARY` table indexed by model (coverage,
        top-1, top-5, ReaL, MLA, each with the images it rests on; ImageNet-X ``imagenetx_<error_type>`` averages).
    factors : the tidy :data:`~errorscope.results._schema.FACTORS` table for every (which, error_type)
    tables : {(which, error_type): (accuracies_per_factor frame, accuracies_per_factor_metaclass frame)}
    calibration : ECE per model and factor (first ``which``, ``class`` correctness), None without probabilities
    shifts : tidy misclassification shifts per model and factor (first ``which``, first error type)
    settings : how the analysis was run (missing, real_empty, filter_prototypes, confidence, label source,
        licence note)
    taxonomy : the :class:`~errorscope.taxonomy.TaxonomyResult` of the population (None when ``labels=None``)
    """

    summary: pd.DataFrame
    factors: pd.DataFrame
    tables: dict = field(default_factory=dict)
    calibration: pd.DataFrame | None = None
    shifts: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)
    taxonomy: Any = None

    def robust_factors(self, model: str, *, which: str = "top", error_type: str = "class", n: int = 3,
                       metaclass: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
        """The factors ``model`` is significantly robust / susceptible to (see :func:`robust_susceptible`).

        Parameters
        ----------
        model : str
            A model of the analysis.
        which : {"top", "multi"}
            The annotation file.
        error_type : {"class", "metaclass", "real_class"}
            The correctness rule.
        n : int, default 3
            At most this many factors per list.
        metaclass : str, default "all"
            ``"all"`` or one of the 17 metaclasses.

        Returns
        -------
        robust : DataFrame
            Factor rows whose error-ratio interval lies below 1, most robust first.
        susceptible : DataFrame
            Factor rows whose error-ratio interval lies above 1, most susceptible first.
        """
        rows = self.factors[(self.factors.model == model) & (self.factors.which == which)
                            & (self.factors.error_type == error_type) & (self.factors.metaclass == metaclass)]
        if rows.empty:
            raise InvalidInputError(f"No factor rows for model {model!r}; models: {list(self.summary.index)}.")
        return robust_susceptible(rows, n=n)


def analyze(pop: Population, *, which: tuple[str, ...] = ("top", "multi"),
            error_types: tuple[str, ...] = ERROR_TYPES, filter_prototypes: bool = True,
            real_empty: RealEmpty = "exclude", missing: Missing = "exclude", confidence: float = 0.95,
            labels: str | None = "auto", progress: bool = False) -> Analysis:
    """Score every model of ``pop`` under the original, ReaL, multi-label and ImageNet-X ground truths.

    Parameters
    ----------
    pop : Population
        Predictions on the ImageNet validation index.
    which : tuple of str
        ImageNet-X annotation files to use ("top", "multi").
    error_types : tuple of str
        Any of "class", "metaclass", "real_class".
    filter_prototypes : bool
        Drop ImageNet-X's 3,000 prototypical images from the factor analysis.
    real_empty : {"exclude", "wrong"}
        How the headline ``real`` accuracy treats the 3,163 images with no ReaL label: "exclude" (the ReaL
        protocol, as timm) or "wrong" (as the ImageNet-X ``real_class`` tables). The factor tables always use
        the ImageNet-X convention, and ``real_imagenetx`` in the summary reports it.
    missing : {"exclude", "wrong"}
        Images a model does not cover are left out of every number (default), or counted as errors.
    confidence : float
        Level of every interval.
    labels : str or None
        Multi-label source of the MLA column and the error taxonomy (``"auto"``, ``"real"``, ``"shankar"``); None
        leaves the taxonomy out.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Analysis
    """
    from tqdm.auto import tqdm

    if not pop.index.is_val:
        raise InvalidInputError(
            f"analyze() needs predictions on the ImageNet validation images, but got the {pop.index.name!r} index.")
    for w in which:
        check_which(w)
    for e in error_types:
        check_error_type(e)
    check_missing(missing)
    check_real_empty(real_empty)
    check_confidence(confidence)
    n_covered = (pop.top1 >= 0).sum(axis=1)
    warn_partial_coverage(pop.models, n_covered, pop.top1.shape[1])
    tidy, tables = [], {}
    all_counts = count_factor_sets(pop, whiches=tuple(which), error_types=tuple(error_types),
                                   filter_prototypes=filter_prototypes, missing=missing) if which and error_types else {}
    taxonomy = None
    label_source = None
    if labels is not None:
        from ..taxonomy import classify

        taxonomy = classify(pop, _resolve_labels(labels))
        label_source = taxonomy.label_source
    first = all_counts.get((which[0], error_types[0])) if which and error_types else None
    summary = summary_table(pop, counts=first, taxonomy=taxonomy, missing=missing, real_empty=real_empty)
    summary = summary.set_index("model")
    jobs = [(w, e) for w in which for e in error_types]
    for w, e in tqdm(jobs, desc="ImageNet-X tables", disable=not progress):
        counts = all_counts[(w, e)]
        tables[(w, e)] = (accuracy_table(counts), metaclass_table(counts))
        tidy.append(tidy_factor_frame(counts, confidence=confidence))
        if w == which[0]:
            summary[f"imagenetx_{e}"] = counts.overall.accuracy
    factors = FACTOR_SCHEMA.validate(pd.concat(tidy, ignore_index=True)) if tidy else pd.DataFrame(
        columns=FACTOR_SCHEMA.names)
    calibration = shifts = None
    if which and error_types:
        from ..imagenetx._stats import factor_calibration, misclassification_shifts

        if pop.prob is not None and np.isfinite(pop.prob).any():
            calibration = factor_calibration(pop, which=which[0], filter_prototypes=filter_prototypes)
            summary["ece"] = calibration["average"].reindex(summary.index)
        shifts = misclassification_shifts(pop, which=which[0], error_type=error_types[0],
                                          filter_prototypes=filter_prototypes)
    settings = {"missing": missing, "real_empty": real_empty, "filter_prototypes": filter_prototypes,
                "confidence": confidence, "which": list(which), "error_types": list(error_types),
                "interval": "wilson", "label_source": label_source, "n_images": int(pop.top1.shape[1]),
                "license": LICENSE_NOTE}
    return Analysis(summary, factors, tables, calibration, shifts, settings, taxonomy)


def _resolve_labels(labels: str):
    """The multi-label set of a label-source name (``auto``: Shankar et al. when its file is here, else ReaL)."""
    from ..taxonomy import load_multilabels, resolve_label_source

    return load_multilabels(resolve_label_source(labels))
