"""Error ratios: how much more often a model errs on images with a factor than overall."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._intervals import wilson_interval


def error_ratio(factor_accuracy: npt.ArrayLike, average_accuracy: npt.ArrayLike) -> np.ndarray:
    r"""Error ratio :math:`(1 - a_f) / (1 - a)` of ImageNet-X, elementwise (broadcasts).

    Above 1: the model errs more often on images with the factor than on all images. NaN where the factor
    accuracy is NaN; infinite or NaN where the average accuracy is 1.

    Parameters
    ----------
    factor_accuracy : float or float array
        Accuracy :math:`a_f` on the images with the factor.
    average_accuracy : float or float array
        Accuracy :math:`a` on all images (broadcasts against ``factor_accuracy``).

    Returns
    -------
    float array
        The error ratio.

    Examples
    --------
    >>> float(error_ratio(0.5, 0.75))
    2.0
    """
    fa = np.asarray(factor_accuracy, dtype=np.float64)
    avg = np.asarray(average_accuracy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (1 - fa) / (1 - avg)


def error_ratio_interval(correct: npt.ArrayLike, total: npt.ArrayLike, average_accuracy: npt.ArrayLike, *,
                         confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the error ratio.

    The factor's error rate gets a Wilson interval; it is divided by the overall error rate, whose own
    uncertainty is neglected (it is estimated from all of the model's images, 46,110 for the ImageNet-X
    validation set, against 40 to 15,000 for a factor).

    Parameters
    ----------
    correct, total : float arrays of one shape
        Correct and covered images with the factor.
    average_accuracy : float or float array
        The model's accuracy on all its images (broadcasts).
    confidence : float in (0, 1), default 0.95
        Coverage of the Wilson interval.

    Returns
    -------
    low : float array
        Lower bound of the error ratio.
    high : float array
        Upper bound of the error ratio.
    """
    correct = np.asarray(correct, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    err_lo, err_hi = wilson_interval(total - correct, total, confidence=confidence)
    avg_err = 1 - np.asarray(average_accuracy, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return err_lo / avg_err, err_hi / avg_err
