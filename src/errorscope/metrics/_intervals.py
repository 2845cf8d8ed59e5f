"""Confidence intervals for proportions."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import numpy.typing as npt


def wilson_interval(successes: npt.ArrayLike, trials: npt.ArrayLike, *,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval for a binomial proportion, elementwise.

    .. math::
        \frac{k + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}\sqrt{\frac{k(n-k)}{n} + \frac{z^2}{4}}

    It keeps its coverage for the small counts of rare factors (``style`` has about 40 images) and never leaves
    [0, 1]. Where ``trials`` is 0 both bounds are NaN.

    Parameters
    ----------
    successes, trials : array-like of the same shape
    confidence : float in (0, 1)

    Returns
    -------
    low : float array
        Lower bound, of the shape of ``successes``.
    high : float array
        Upper bound.

    Examples
    --------
    >>> lo, hi = wilson_interval(20, 40)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.352, 0.648)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"Expected argument `confidence` to be in (0, 1), but got {confidence}.")
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = n + z * z
        center = (k + z * z / 2) / denom
        half = z / denom * np.sqrt(np.maximum(k * (n - k) / n, 0) + z * z / 4)
        # At k = 0 (k = n) the bound is exactly 0 (1); rounding would leave it a hair away.
        low = np.where(n > 0, np.where(k <= 0, 0.0, np.clip(center - half, 0, 1)), np.nan)
        high = np.where(n > 0, np.where(k >= n, 1.0, np.clip(center + half, 0, 1)), np.nan)
    return low, high
