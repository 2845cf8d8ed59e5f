"""Counts of correct predictions per group of images (factor, metaclass, class), for many models at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..exceptions import InvalidInputError

#: models per block: bounds the memory of the dense float32 blocks (block x n_images x 4 bytes).
BLOCK = 256


@dataclass(frozen=True)
class GroupCounts:
    """Per model and group: how many covered images, and how many of them correct.

    Attributes
    ----------
    correct, total : float64 arrays of shape (M, G)
        Correct predictions and covered images.
    """

    correct: np.ndarray
    total: np.ndarray

    @property
    def accuracy(self) -> np.ndarray:
        """Fraction correct, ``correct / total``; NaN where a group has no image."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.correct / self.total


def membership_matrix(columns: list[np.ndarray]) -> sparse.csr_matrix:
    """Stack boolean (n,) or (n, g) membership arrays into one sparse (n, G) float32 matrix."""
    blocks = [np.asarray(c, dtype=bool).reshape(len(c), -1) for c in columns]
    return sparse.csr_matrix(np.hstack(blocks).astype(np.float32))


def grouped_counts(correct: np.ndarray, covered: np.ndarray, membership: np.ndarray | sparse.spmatrix) -> GroupCounts:
    """Count, per model and group, the covered images and the correct ones.

    Parameters
    ----------
    correct : bool array of shape (M, n)
    covered : bool array of shape (M, n)
        Images a model has a prediction for (models are evaluated on their own covered images, as the
        inner join of ImageNet-X does).
    membership : bool array or sparse matrix of shape (n, G)
        Which images belong to which group; an image may be in several groups.

    Returns
    -------
    GroupCounts with arrays of shape (M, G)

    Examples
    --------
    >>> import numpy as np
    >>> c = grouped_counts(np.array([[1, 0, 1]], bool), np.ones((1, 3), bool), np.array([[1, 0], [1, 1], [0, 1]], bool))
    >>> c.correct.tolist(), c.total.tolist()
    ([[1.0, 1.0]], [[2.0, 2.0]])
    """
    correct = np.atleast_2d(correct)
    covered = np.atleast_2d(covered)
    if correct.shape != covered.shape:
        raise InvalidInputError(
            f"The `correct` and `covered` should have the same shape, got {correct.shape} and {covered.shape}."
        )
    member = membership if sparse.issparse(membership) else membership_matrix([membership])
    member_t = sparse.csr_matrix(member.T, dtype=np.float32)
    if member_t.shape[1] != correct.shape[1]:
        raise InvalidInputError(
            f"`membership` describes {member_t.shape[1]} images but `correct` has {correct.shape[1]}."
        )
    return _grouped_counts(correct, covered, member_t)


def _grouped_counts(correct: np.ndarray, covered: np.ndarray, member_t: sparse.csr_matrix) -> GroupCounts:
    m = correct.shape[0]
    g = member_t.shape[0]
    out_c = np.empty((m, g))
    out_t = np.empty((m, g))
    all_covered = bool(covered.all())
    full_total = None
    for start in range(0, m, BLOCK):
        stop = min(start + BLOCK, m)
        # float32 sums of 0/1 values are exact up to 2**24 images.
        block = np.ascontiguousarray((correct[start:stop] & covered[start:stop]).T, dtype=np.float32)
        out_c[start:stop] = (member_t @ block).T
        if all_covered:
            if full_total is None:
                full_total = np.asarray(member_t.sum(axis=1), dtype=np.float64).ravel()
            out_t[start:stop] = full_total
        else:
            cov = np.ascontiguousarray(covered[start:stop].T, dtype=np.float32)
            out_t[start:stop] = (member_t @ cov).T
    return GroupCounts(out_c, out_t)


def worst_k_classes(class_counts: GroupCounts, k: int = 100) -> np.ndarray:
    """Image-weighted accuracy over each model's k worst classes.

    Classes are ranked by accuracy ascending with a stable sort (ties keep class-id order), among the classes
    the model has images of; the value is the accuracy over *all images* of those k classes, not the mean of
    the class accuracies (the ImageNet-X definition of ``worst_100_classes``).

    Parameters
    ----------
    class_counts : GroupCounts of shape (M, n_classes)
    k : int

    Returns
    -------
    float array of shape (M,)
    """
    if k < 1:
        raise InvalidInputError(f"Expected argument `k` to be a positive integer, but got {k}.")
    present = class_counts.total > 0
    key = np.where(present, class_counts.accuracy, np.inf)  # absent classes sort last
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    keep = np.take_along_axis(present, order, axis=1)  # fewer than k present classes: only those
    correct = np.where(keep, np.take_along_axis(class_counts.correct, order, axis=1), 0.0).sum(axis=1)
    total = np.where(keep, np.take_along_axis(class_counts.total, order, axis=1), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return correct / total
