"""McNemar's exact test on paired correctness, and Holm's step-down adjustment (pure NumPy / SciPy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binom

from ..exceptions import InvalidInputError

__all__ = ["mcnemar_exact", "holm_adjust"]


def mcnemar_exact(fixed: ArrayLike, broken: ArrayLike) -> np.ndarray:
    """Two-sided exact McNemar p-values from the discordant counts.

    Under the null hypothesis that both models are equally accurate, each of the ``fixed + broken`` discordant
    images is a fair coin flip, so ``min(fixed, broken)`` is Binomial(fixed + broken, 1/2). The two-sided p-value
    is ``min(1, 2 * P[X <= min(fixed, broken)])`` (the binomial is symmetric); with no discordant image it is 1.

    Parameters
    ----------
    fixed : int or array of int
        Images model A gets wrong and model B right.
    broken : int or array of int
        Images model A gets right and model B wrong.

    Returns
    -------
    float array
        p-values, the broadcast shape of the inputs.

    Examples
    --------
    >>> float(mcnemar_exact(0, 6))   # 2 * 0.5**6
    0.03125
    """
    b = np.asarray(fixed)
    c = np.asarray(broken)
    if (b < 0).any() or (c < 0).any():
        raise InvalidInputError("Expected non-negative discordant counts `fixed` and `broken`.")
    n = b + c
    k = np.minimum(b, c)
    p = np.minimum(1.0, 2.0 * binom.cdf(k, n, 0.5))
    return np.where(n == 0, 1.0, p)


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values (family-wise error control), NaN entries left out.

    Sorted ascending, the i-th of m p-values (i from 0) becomes ``max_{j <= i} min(1, (m - j) p_(j))``.

    Parameters
    ----------
    p_values : array of float
        Raw p-values; NaN entries are not part of the family and stay NaN.

    Returns
    -------
    float array
        Adjusted p-values in the input order.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out
