"""Factor prevalence and how it shifts between image groups or among a model's mistakes (ImageNet-X's ``Prevalence``)."""

from __future__ import annotations

import numpy as np


def factor_prevalence(factor_counts: np.ndarray) -> np.ndarray:
    """Each row's factor counts divided by the row's total factor count.

    Parameters
    ----------
    factor_counts : array (..., F)
        Number of images with each of F factors.

    Returns
    -------
    float array (..., F)
        Prevalences; each row sums to 1, NaN for an empty row.
    """
    counts = np.asarray(factor_counts, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / counts.sum(axis=-1, keepdims=True)


def prevalence_shift(prevalence: np.ndarray, reference: np.ndarray) -> np.ndarray:
    r"""Relative shift :math:`(q - p) / p` of a prevalence q against a reference p; NaN becomes 0.

    -1 means the factor is absent where q was measured; positive values mean over-represented.

    Parameters
    ----------
    prevalence : float array (..., F)
        The measured prevalence q.
    reference : float array (..., F)
        The reference prevalence p (broadcasts against ``prevalence``).

    Returns
    -------
    float array
        The relative shift, 0 where it is undefined (p = 0 and q = 0, or NaN input).
    """
    q = np.asarray(prevalence, dtype=np.float64)
    p = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = (q - p) / p
    return np.where(np.isnan(shift), 0.0, shift)


def misclassification_shift(error_factor_counts: np.ndarray, all_factor_counts: np.ndarray) -> np.ndarray:
    """Shift of the factor distribution among a model's misclassified images against all its images.

    Parameters
    ----------
    error_factor_counts : (..., 16) factor counts over the misclassified images
    all_factor_counts : (..., 16) factor counts over all images

    Returns
    -------
    float array (..., 16); NaN set to 0 as in ImageNet-X's ``Prevalence``.
    """
    return prevalence_shift(factor_prevalence(error_factor_counts), factor_prevalence(all_factor_counts))
