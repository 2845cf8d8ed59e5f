"""Error ratios: how much more often a model errs on images with a factor than overall."""

from __future__ import annotations

import numpy as np

from ._intervals import wilson_interval


def error_ratio(factor_accuracy, average_accuracy) -> np.ndarray:
    r"""Error ratio :math:`(1 - a_f) / (1 - a)` of ImageNet-X, elementwise (broadcasts).

    Above 1: the model errs more often on images with the factor than on all images. NaN where the factor
    accuracy is NaN; infinite or NaN where the average accuracy is 1.

    Examples
    --------
    >>> float(error_ratio(0.5, 0.75))
    2.0
    """
    fa = np.asarray(factor_accuracy, dtype=np.float64)
    avg = np.asarray(average_accuracy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (1 - fa) / (1 - avg)


def error_ratio_interval(correct, total, average_accuracy, *, confidence: float = 0.95):
    """Confidence interval of the error ratio.

    The factor's error rate gets a Wilson interval; it is divided by the overall error rate, whose own
    uncertainty is neglected (it is estimated from all of the model's images, 46,110 for the ImageNet-X
    validation set, against 40 to 15,000 for a factor).

    Returns
    -------
    low, high : float arrays
    """
    correct = np.asarray(correct, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    err_lo, err_hi = wilson_interval(total - correct, total, confidence=confidence)
    avg_err = 1 - np.asarray(average_accuracy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return err_lo / avg_err, err_hi / avg_err
