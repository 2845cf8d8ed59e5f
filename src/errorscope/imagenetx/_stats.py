"""ImageNet-X statistics beyond the accuracy tables: calibration per factor, factor prevalence and its shifts,
and the factor / metaclass correlation matrices (Idrissi et al., ICLR 2023; ``imagenet_x``'s ``Prevalence``). CC BY-NC 4.0 annotations.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from ._annotations import FactorAnnotations, load_factor_annotations
from ..constants import FACTORS, METACLASSES
from ..datasets._index import class_info
from ..exceptions import InvalidInputError
from ._counts import annotated_predictions, count_factors
from ..metrics._calibration import grouped_calibration_error
from ..metrics._correctness import ErrorType, correctness
from ..metrics._correlation import binary_spearman
from ..metrics._prevalence import factor_prevalence, misclassification_shift, prevalence_shift
from ..predictions import Population

__all__ = [
    "factor_calibration", "metaclass_factor_calibration", "factor_correlations", "metaclass_prevalence",
    "metaclass_prevalence_shift", "misclassification_shifts", "metaclass_misclassification_shifts",
]


def _calibration(pop: Population, ann: FactorAnnotations, error_type: str, by_metaclass: bool) -> pd.DataFrame:
    if pop.prob is None:
        raise InvalidInputError(
            "Calibration needs the top-1 probabilities, but these predictions have none. Use files with a "
            "predicted_probability column, logits or probabilities.")
    from ..datasets._real import real_label_sets

    models, top1 = annotated_predictions(pop, ann)
    prob = pop.prob[:, ann.positions]
    real = real_label_sets()[0][ann.positions] if error_type == "real_class" else None
    groups = [np.ones(len(ann), bool)] if not by_metaclass else [ann.metaclass == j for j in range(len(METACLASSES))]
    rows, keys = [], []
    for i, model in enumerate(models):
        ok = correctness(top1[i], ann.labels, cast(ErrorType, error_type), real_sets=real,
                                 class_metaclass=class_info().metaclass17)
        covered = (top1[i] >= 0) & np.isfinite(prob[i])
        for j, g in enumerate(groups):
            member = np.column_stack([ann.factors & g[:, None], g]) & covered[:, None]
            if not member[:, -1].any():
                continue
            ece = grouped_calibration_error(ok, np.where(covered, prob[i], np.nan), member)
            rows.append(ece)
            keys.append((model, METACLASSES[j]) if by_metaclass else model)
    frame = pd.DataFrame(np.array(rows).reshape(len(rows), len(FACTORS) + 1), columns=FACTORS + ["average"])
    frame.index = (pd.MultiIndex.from_tuples(keys, names=["model", "metaclass"]) if by_metaclass
                   else pd.Index(keys, name="model"))
    frame.insert(len(FACTORS), "worst_factor", frame[FACTORS].max(axis=1))
    return frame.sort_index(kind="stable") if not by_metaclass else frame


def factor_calibration(pop: Population, *, which: str = "top", error_type: str = "class",
                       filter_prototypes: bool = True) -> pd.DataFrame:
    """Expected calibration error (15 bins) per factor; ``worst_factor`` is the **largest** ECE.

    Returns a frame indexed by model with the 16 FACTORS, ``worst_factor`` and ``average`` (ECE over all the
    model's annotated images), as ImageNet-X's ``compute_factor_calibration_errors``.

    Parameters
    ----------
    pop : Population
        Predictions on the validation images.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        Indexed by ``model``: the 16 factors, ``worst_factor`` and ``average``.
    """
    return _calibration(pop, load_factor_annotations(which, "val", filter_prototypes), error_type, False)


def metaclass_factor_calibration(pop: Population, *, which: str = "top", error_type: str = "class",
                                 filter_prototypes: bool = True) -> pd.DataFrame:
    """ECE per (model, metaclass) and factor, rows in METACLASSES order within each model.

    Parameters
    ----------
    pop : Population
        Predictions on the validation images.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        Indexed by (``model``, ``metaclass``): the 16 factors, ``worst_factor`` and ``average``.
    """
    return _calibration(pop, load_factor_annotations(which, "val", filter_prototypes), error_type, True)


def factor_correlations(*, which: str = "multi", partition: str = "val", filter_prototypes: bool = True,
                        metaclasses: bool = True, annotations: FactorAnnotations | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spearman rho and p-values between the 16 factors and the 17 metaclass indicators (33 variables).

    For 0/1 variables Spearman's rho is Pearson's phi and its p-value the t-test with n - 2 degrees of freedom
    (:func:`~errorscope.metrics.binary_spearman`). The diagonal is 0, as in ImageNet-X's
    ``spearman_corr_heatmaps``; a constant column gives NaN.

    Parameters
    ----------
    which, partition, filter_prototypes : the annotation file (ImageNet-X figures: ``multi``, filtered).
    metaclasses : add the 17 metaclass indicators after the 16 factors.
    annotations : already loaded annotations to use instead of ``which``/``partition``/``filter_prototypes``.

    Returns
    -------
    rho : DataFrame
        Spearman correlations, indexed and labelled by ``FACTORS`` (+ ``METACLASSES``).
    pval : DataFrame
        Their two-sided p-values, in the same layout.
    """
    ann = annotations if annotations is not None else load_factor_annotations(which, partition, filter_prototypes)
    cols = list(FACTORS)
    x = ann.factors
    if metaclasses:
        onehot = np.zeros((len(ann), len(METACLASSES)), bool)
        onehot[np.arange(len(ann)), ann.metaclass] = True
        x = np.hstack([x, onehot])
        cols += METACLASSES
    rho, p = binary_spearman(x)
    return pd.DataFrame(rho, index=cols, columns=cols), pd.DataFrame(p, index=cols, columns=cols)


def _metaclass_factor_counts(ann: FactorAnnotations) -> np.ndarray:
    counts = np.zeros((len(METACLASSES), len(FACTORS)))
    np.add.at(counts, ann.metaclass, ann.factors.astype(np.float64))
    return counts


def metaclass_prevalence(*, which: str = "top", filter_prototypes: bool = True) -> pd.DataFrame:
    """Share of each factor among a metaclass's factor annotations (rows sum to 1).

    Parameters
    ----------
    which : {"top", "multi"}
        The annotation file.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        Indexed by ``metaclass``, one column per factor.
    """
    ann = load_factor_annotations(which, "val", filter_prototypes)
    return pd.DataFrame(factor_prevalence(_metaclass_factor_counts(ann)),
                        index=pd.Index(METACLASSES, name="metaclass"), columns=FACTORS)


def metaclass_prevalence_shift(*, which: str = "top", filter_prototypes: bool = True) -> pd.DataFrame:
    """Relative shift of each factor's prevalence within a metaclass against the overall prevalence.

    The shift is (prevalence in the metaclass - overall prevalence) / overall prevalence; -1 = factor absent.

    Parameters
    ----------
    which : {"top", "multi"}
        The annotation file.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        Indexed by ``metaclass``, one column per factor.
    """
    ann = load_factor_annotations(which, "val", filter_prototypes)
    counts = _metaclass_factor_counts(ann)
    overall = factor_prevalence(counts.sum(axis=0))
    return pd.DataFrame(prevalence_shift(factor_prevalence(counts), overall[None, :]),
                        index=pd.Index(METACLASSES, name="metaclass"), columns=FACTORS)


def misclassification_shifts(pop: Population, *, which: str = "top", error_type: str = "class",
                             filter_prototypes: bool = True) -> pd.DataFrame:
    """Per model and factor: how over-represented the factor is among the model's mistakes.

    shift_f = (q_f - p_f) / p_f with q the factor distribution over the misclassified images and p over all
    images (ImageNet-X ``Prevalence.misclassification_shifts_df``).

    Parameters
    ----------
    pop : Population
        Predictions on the validation images.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        Tidy columns ``model, factor, shift``.
    """
    c = count_factors(pop, which=which, error_type=error_type, filter_prototypes=filter_prototypes)
    shift = misclassification_shift(c.factors.total - c.factors.correct, c.factors.total)
    return pd.DataFrame({"model": np.repeat(c.models, len(FACTORS)), "factor": np.tile(FACTORS, len(c.models)),
                         "shift": shift.ravel()})


def metaclass_misclassification_shifts(pop: Population, *, which: str = "top", error_type: str = "class",
                                       filter_prototypes: bool = True) -> pd.DataFrame:
    """Per model and metaclass: the misclassification shift of each factor, plus the metaclass accuracy.

    Columns ``metaclass, <16 factors>, accuracy, model`` as ImageNet-X's
    ``metaclass_misclassification_shifts_df``; -1 means the factor has no misclassified image there.

    Parameters
    ----------
    pop : Population
        Predictions on the validation images.
    which : {"top", "multi"}
        The annotation file.
    error_type : {"class", "metaclass", "real_class"}
        The correctness rule.
    filter_prototypes : bool, default True
        Drop ImageNet-X's 3,000 prototypical images.

    Returns
    -------
    DataFrame
        One row per model and metaclass with images.
    """
    c = count_factors(pop, which=which, error_type=error_type, filter_prototypes=filter_prototypes)
    prev = factor_prevalence(c.metaclass_factors.total)
    err = factor_prevalence(c.metaclass_factors.total - c.metaclass_factors.correct)
    shift = prevalence_shift(err, prev)
    frames = []
    for i, model in enumerate(c.models):
        f = pd.DataFrame(shift[i], columns=FACTORS)
        f.insert(0, "metaclass", METACLASSES)
        f["accuracy"] = c.metaclass.accuracy[i]
        f["model"] = model
        frames.append(f[c.metaclass.total[i] > 0])
    return pd.concat(frames, ignore_index=True)
