"""Per model: how many of its errors are known label errors, and its accuracy without them / with them corrected."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets._label_errors import cleanlab_label_errors, real_rejects_label
from ..exceptions import InvalidInputError
from ..predictions import Population
from ..results._schema import LABEL_ERROR_SUMMARY
from . import _context as ctx

__all__ = ["label_error_summary"]


def label_error_summary(population: Population, *, hard_share: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model: its errors on known label errors and two accuracies that set those images apart.

    ``top1_without_label_errors`` leaves the 2,916 cleanlab-confirmed label errors out (n is given);
    ``top1_corrected`` keeps every covered image and counts a prediction on a confirmed label error as correct
    when it equals cleanlab's guessed label (the alternative MTurk workers were shown); predictions equal to the
    original label on those images still count as correct, since the study's workers could also answer "both".

    Parameters
    ----------
    population : Population
        Models on the ImageNet validation images.
    hard_share : DataFrame, optional
        ``model, hard_share`` (from :func:`~errorscope.pairwise.hard_images`) to join in.

    Returns
    -------
    DataFrame (``label_error_summary`` schema)

    Examples
    --------
    >>> from errorscope.datasets import val_index
    >>> from errorscope.predictions import Predictions
    >>> pop = Population.from_predictions([Predictions.from_arrays("oracle", val_index().labels)])
    >>> row = label_error_summary(pop).iloc[0]
    >>> int(row.errors), float(row.top1_without_label_errors), int(row.n_without_label_errors)
    (0, 1.0, 47084)
    """
    if not isinstance(population, Population):
        raise InvalidInputError(f"Expected a Population, but got {type(population).__name__}.")
    ctx.require_val(population.index)
    le = cleanlab_label_errors()
    rej = real_rejects_label()
    top1 = population.top1
    t = np.asarray(population.index.labels)
    covered = top1 >= 0
    correct = covered & (top1 == t[None, :])
    wrong = covered & ~correct
    n = covered.sum(axis=1)
    errors = wrong.sum(axis=1)
    on_le = (wrong & le.mask[None, :]).sum(axis=1)
    keep = covered & ~le.mask[None, :]
    n_keep = keep.sum(axis=1)
    fixed = correct | (covered & le.mask[None, :] & (top1 == le.guessed[None, :]))
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame({
            "model": population.models, "n": n, "errors": errors, "errors_on_label_errors": on_le,
            "share_label_errors": np.where(errors > 0, on_le / np.maximum(errors, 1), np.nan),
            "errors_on_real_rejects": (wrong & rej[None, :]).sum(axis=1),
            "top1": correct.sum(axis=1) / n,
            "top1_without_label_errors": (correct & keep).sum(axis=1) / n_keep,
            "n_without_label_errors": n_keep,
            "top1_corrected": fixed.sum(axis=1) / n,
        })
    if hard_share is not None:
        frame = frame.merge(hard_share[["model", "hard_share"]], on="model", how="left")
    return LABEL_ERROR_SUMMARY.validate(frame)
