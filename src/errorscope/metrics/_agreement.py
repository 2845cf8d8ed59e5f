"""Error consistency (Geirhos et al. 2020): Cohen's kappa on trial-by-trial correctness, pairwise and as a matrix.

For two models with accuracies p1, p2 on the same n images, the agreement expected from independent errors is
``c_exp = p1 p2 + (1 - p1)(1 - p2)``; with the observed agreement ``c_obs`` (share of images both get right or
both get wrong) the error consistency is ``kappa = (c_obs - c_exp) / (1 - c_exp)``.

The confidence interval is Wald's with Cohen's (1960) large-sample standard error
``se = sqrt(c_obs (1 - c_obs) / (n (1 - c_exp)^2))`` (it treats ``c_exp`` as known, as Geirhos et al. do when
they test against it).

The matrix for M models is built from matrix products of the (M, n) 0/1 correctness matrix: ``C = X X^T`` counts
the images both models get right, the row sums give each model's correct count, and both-wrong follows as
``n - s_i - s_j + C_ij``. float32 products are exact for counts below 2**24, and the product runs over column
chunks and the kappas over row blocks, so memory stays at O(M^2) float32 plus O(M * chunk).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from ..exceptions import InvalidInputError

__all__ = ["error_consistency", "kappa_from_counts", "consistency_matrix"]


def kappa_from_counts(both_correct: ArrayLike, correct_a: ArrayLike, correct_b: ArrayLike, n: ArrayLike, *,
                      confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kappa and its interval from the counts (vectorised).

    Parameters
    ----------
    both_correct : int or array
        Images both models get right.
    correct_a, correct_b : int or array
        Images each model gets right.
    n : int or array
        Images both models are scored on.
    confidence : float
        Coverage of the Wald interval.

    Returns
    -------
    kappa : numpy.ndarray
        Error consistency, NaN where ``c_exp == 1`` (both models all right or all wrong: undefined).
    ci_low : numpy.ndarray
        Lower bound of the Wald interval.
    ci_high : numpy.ndarray
        Upper bound.
    """
    n = np.asarray(n, dtype=np.float64)
    bc = np.asarray(both_correct, dtype=np.float64)
    sa = np.asarray(correct_a, dtype=np.float64)
    sb = np.asarray(correct_b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        bw = n - sa - sb + bc
        c_obs = (bc + bw) / n
        p1, p2 = sa / n, sb / n
        c_exp = p1 * p2 + (1 - p1) * (1 - p2)
        kappa = (c_obs - c_exp) / (1 - c_exp)
        se = np.sqrt(c_obs * (1 - c_obs) / n) / (1 - c_exp)
    z = norm.ppf(0.5 + confidence / 2)
    undefined = ~(c_exp < 1)
    kappa = np.where(undefined, np.nan, kappa)
    return kappa, np.where(undefined, np.nan, kappa - z * se), np.where(undefined, np.nan, kappa + z * se)


def error_consistency(correct_a: ArrayLike, correct_b: ArrayLike, *,
                      confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Error consistency of two models on the same images.

    Parameters
    ----------
    correct_a, correct_b : bool arrays of shape (n,)
        Trial-by-trial correctness of the two models on the same images.
    confidence : float
        Coverage of the interval (Wald, Cohen's large-sample standard error).

    Returns
    -------
    kappa, ci_low, ci_high : float
    n : int
        Images the numbers rest on.

    Examples
    --------
    >>> k, lo, hi, n = error_consistency([True, True, False, False], [True, True, False, False])
    >>> k, n
    (1.0, 4)
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise InvalidInputError(f"Expected two 1-d correctness arrays of the same length, got {a.shape} and {b.shape}.")
    k, lo, hi = kappa_from_counts(int((a & b).sum()), int(a.sum()), int(b.sum()), len(a), confidence=confidence)
    return float(k), float(lo), float(hi), len(a)


def consistency_matrix(correct: np.ndarray, *, chunk: int = 8192, confidence: float = 0.95,
                       intervals: bool = True, rows: int = 256
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | np.ndarray:
    """M x M error-consistency matrix of M models scored on the same n images.

    Parameters
    ----------
    correct : bool array (M, n)
        Correctness of each model on the same images (restrict to images every model covers first).
    chunk : int
        Images per block of the matrix product (bounds memory at O(M * chunk) besides the M x M outputs).
    confidence : float
        Coverage of the intervals.
    intervals : bool
        False returns the kappa matrix only (one M x M float32 array instead of three).
    rows : int
        Rows per block when turning counts into kappas (bounds the float64 temporaries at O(rows * M)).

    Returns
    -------
    kappa : numpy.ndarray
        float32 (M, M) error consistencies; the diagonal is 1 where defined. Alone when ``intervals`` is False.
    ci_low : numpy.ndarray
        float32 (M, M) lower bounds of the Wald intervals.
    ci_high : numpy.ndarray
        float32 (M, M) upper bounds.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0]], dtype=bool)
    >>> consistency_matrix(x, intervals=False).round(3).tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    x = np.asarray(correct)
    if x.ndim != 2 or x.dtype != bool:
        raise InvalidInputError(f"Expected a bool (M, n) correctness matrix, got dtype {x.dtype} shape {x.shape}.")
    if chunk < 1 or chunk >= 1 << 24:
        raise InvalidInputError(f"Expected `chunk` in 1..{(1 << 24) - 1}, got {chunk}.")
    m, n = x.shape
    # float32 sums of integer counts are exact below 2**24 images; beyond that accumulate in float64
    both = np.zeros((m, m), dtype=np.float32 if n < 1 << 24 else np.float64)
    s = np.zeros(m, dtype=np.float64)
    for start in range(0, n, chunk):
        block = x[:, start:start + chunk].astype(np.float32)
        part = block @ block.T  # integer counts below 2**24: exact in float32
        both += part
        s += block.sum(axis=1, dtype=np.float64)
    kappa = np.empty((m, m), dtype=np.float32)
    lo = np.empty((m, m) if intervals else (0, 0), dtype=np.float32)
    hi = np.empty((m, m) if intervals else (0, 0), dtype=np.float32)
    for r in range(0, m, rows):
        k, l, h = kappa_from_counts(both[r:r + rows], s[r:r + rows, None], s[None, :], n, confidence=confidence)
        kappa[r:r + rows] = k
        if intervals:
            lo[r:r + rows] = l
            hi[r:r + rows] = h
    return (kappa, lo, hi) if intervals else kappa
