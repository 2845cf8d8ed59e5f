"""Expected calibration error (ECE), overall and per group of images."""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidInputError


def _bin_ids(prob: np.ndarray, n_bins: int) -> np.ndarray:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # p goes to bin i when edges[i] < p <= edges[i+1]; bin 0 also takes 0 and the last bin anything above.
    return np.searchsorted(edges[1:-1], prob)


def expected_calibration_error(correct: np.ndarray, prob: np.ndarray, *, n_bins: int = 15) -> float:
    r"""ECE with ``n_bins`` equal-width bins on [0, 1].

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{N} \left| \overline{c}_b - \overline{p}_b \right|

    A probability p falls in bin i when i/B < p <= (i+1)/B (bin 0 also takes 0, the last bin anything above),
    as in ImageNet-X. NaN for no image.

    Parameters
    ----------
    correct : bool or 0/1 array (n,)
        Whether each image's top-1 prediction is correct.
    prob : float array (n,)
        The top-1 probability (confidence) of each image.
    n_bins : int, default 15
        Number of equal-width confidence bins.

    Returns
    -------
    float
        The expected calibration error, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> round(expected_calibration_error(np.array([1, 0, 1, 1]), np.array([0.9, 0.9, 0.6, 0.6])), 4)
    0.4
    """
    correct = np.asarray(correct, dtype=np.float64).ravel()
    prob = np.asarray(prob, dtype=np.float64).ravel()
    if correct.shape != prob.shape:
        raise InvalidInputError(f"`correct` has {correct.size} values but `prob` has {prob.size}.")
    if correct.size == 0:
        return float("nan")
    ids = _bin_ids(prob, n_bins)
    count = np.bincount(ids, minlength=n_bins)
    gap = np.bincount(ids, weights=correct - prob, minlength=n_bins)
    return float(np.abs(gap).sum() / count.sum())


def grouped_calibration_error(correct: np.ndarray, prob: np.ndarray, membership: np.ndarray, *,
                              n_bins: int = 15) -> np.ndarray:
    """ECE of one model within each group of images.

    Parameters
    ----------
    correct : bool (n,)
    prob : float (n,) top-1 probabilities; NaN = unknown (the image is left out)
    membership : bool (n, G)
    n_bins : int, default 15
        Number of equal-width confidence bins.

    Returns
    -------
    float array (G,), NaN for an empty group
    """
    from scipy import sparse

    correct = np.asarray(correct, dtype=np.float64)
    prob = np.asarray(prob, dtype=np.float64)
    known = np.isfinite(prob)
    ids = _bin_ids(np.where(known, prob, 0.0), n_bins)
    gap = np.zeros((len(prob), n_bins))
    gap[np.arange(len(prob)), ids] = np.where(known, correct - prob, 0.0)
    member = sparse.csr_matrix(np.asarray(membership, dtype=np.float64) * known[:, None])
    per_bin = member.T @ gap
    n = np.asarray(member.sum(axis=0)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(per_bin).sum(axis=1) / n
