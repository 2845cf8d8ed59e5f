"""The tidy factor table: one row per (model, which, error_type, metaclass, factor), built from the counts.

The single builder of errorscope's per-factor results: :func:`errorscope.results.analyze`, the store, the report
and the figures all read this table (see :mod:`errorscope.results._schema` for its declared columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..constants import FACTORS, METACLASSES
from ..imagenetx._counts import FactorCounts
from ..metrics._intervals import wilson_interval
from ..metrics._ratios import error_ratio, error_ratio_interval

__all__ = ["tidy_factor_frame"]


def tidy_factor_frame(counts: FactorCounts, *, confidence: float = 0.95) -> pd.DataFrame:
    """One row per (model, metaclass, factor): counts, accuracy, error ratio and their intervals.

    ``metaclass == "all"`` holds the overall factor accuracies. The interval of an accuracy is Wilson's; that of
    an error ratio divides the Wilson interval of the factor's error rate by the group's overall error rate.
    Unlike the ImageNet-X table layout, a group with images but no correct prediction has accuracy 0, not NaN.

    Parameters
    ----------
    counts : FactorCounts
        Counts of one annotation file and error type.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    DataFrame
        The tidy factor table of :data:`errorscope.results._schema.FACTORS`.
    """
    m = len(counts.models)
    correct = np.concatenate([counts.factors.correct[:, None, :], counts.metaclass_factors.correct], axis=1)
    total = np.concatenate([counts.factors.total[:, None, :], counts.metaclass_factors.total], axis=1)
    avg_c = np.concatenate([counts.overall.correct[:, None], counts.metaclass.correct], axis=1)
    avg_t = np.concatenate([counts.overall.total[:, None], counts.metaclass.total], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = correct / total
        avg = avg_c / avg_t
    lo, hi = wilson_interval(correct, total, confidence=confidence)
    er = error_ratio(acc, avg[..., None])
    er_lo, er_hi = error_ratio_interval(correct, total, avg[..., None], confidence=confidence)
    groups = ["all"] + METACLASSES
    g, f = len(groups), len(FACTORS)
    frame = pd.DataFrame({
        "model": np.repeat(np.array(counts.models, dtype=object), g * f),
        "which": counts.which,
        "error_type": counts.error_type,
        "metaclass": np.tile(np.repeat(np.array(groups, dtype=object), f), m),
        "factor": np.tile(np.array(FACTORS, dtype=object), m * g),
        "correct": correct.ravel().astype(np.int64),
        "total": total.ravel().astype(np.int64),
        "accuracy": acc.ravel(),
        "ci_low": lo.ravel(),
        "ci_high": hi.ravel(),
        "average": np.repeat(avg.ravel(), f),
        "average_correct": np.repeat(avg_c.ravel(), f).astype(np.int64),
        "average_total": np.repeat(avg_t.ravel(), f).astype(np.int64),
        "error_ratio": er.ravel(),
        "er_low": er_lo.ravel(),
        "er_high": er_hi.ravel(),
    })
    return frame[frame["total"] > 0].reset_index(drop=True)
