"""Spearman correlation between binary image attributes (factors, metaclass indicators)."""

from __future__ import annotations

import numpy as np


def binary_spearman(indicators: np.ndarray, *, zero_diagonal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and two-sided p-value between every pair of 0/1 columns.

    For 0/1 variables Spearman's rho equals Pearson's phi coefficient, so the whole matrix is one correlation
    of the indicator matrix; the p-value is the t-test of scipy's ``spearmanr`` (n - 2 degrees of freedom).
    ImageNet-X assembles the matrix from condensed pairwise form, which leaves a **0 diagonal** (for rho and p);
    ``zero_diagonal`` reproduces it. A constant column gives NaN.

    Parameters
    ----------
    indicators : bool or 0/1 array of shape (n_images, n_variables)
    zero_diagonal : bool, default True
        Set the diagonal of both matrices to 0, as ImageNet-X's condensed-form assembly does.

    Returns
    -------
    rho : float array of shape (n_variables, n_variables)
        Spearman correlation of every pair of columns.
    pvalue : float array of shape (n_variables, n_variables)
        Two-sided p-value of each correlation.
    """
    from scipy import stats  # imported here: scipy.stats takes seconds to import

    x = np.asarray(indicators, dtype=np.float64)
    n = x.shape[0]
    centered = x - x.mean(axis=0)
    norms = np.sqrt((centered**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        # einsum rather than a BLAS matmul: no thread contention on small (n, 33) inputs, ~30% faster on 2 cores
        rho = np.einsum("ni,nj->ij", centered, centered) / np.outer(norms, norms)
        rho = np.clip(rho, -1.0, 1.0)
        t = rho * np.sqrt((n - 2) / ((1.0 - rho) * (1.0 + rho)))
    p = 2 * stats.t.sf(np.abs(t), n - 2)
    if zero_diagonal:
        np.fill_diagonal(rho, 0.0)
        np.fill_diagonal(p, 0.0)
    return rho, p
