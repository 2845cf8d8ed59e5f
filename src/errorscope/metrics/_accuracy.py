"""Accuracy over a whole image set: top-1, top-k and ReaL."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..exceptions import InvalidInputError, UndefinedMetricWarning


def _check(top1: np.ndarray, per_image: np.ndarray, name: str, option: str, value: str) -> None:
    """``top1`` and the per-image array cover the same images; a two-way option is 'exclude' or 'wrong'."""
    if top1.shape[-1] != per_image.shape[0]:
        raise InvalidInputError(f"`top1` covers {top1.shape[-1]} images but `{name}` has {per_image.shape[0]}.")
    if value not in ("exclude", "wrong"):
        raise InvalidInputError(f"Expected argument `{option}` to be 'exclude' or 'wrong', but got {value!r}.")


def _mean_over(hit: np.ndarray, keep: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (hit & keep).sum(axis=-1) / keep.sum(axis=-1)


def top1_accuracy(top1: np.ndarray, labels: np.ndarray, *, missing: Literal["exclude", "wrong"] = "exclude") -> np.ndarray:
    """Fraction of images whose top-1 prediction equals the label, per model.

    Parameters
    ----------
    top1 : int array (M, n) or (n,), -1 = no prediction
    labels : int array (n,)
    missing : "exclude" (default) scores each model on the images it covers; "wrong" counts missing images as
        errors (the ``top_1_accs`` convention of ImageNet-X, which divides by all 50,000 images).

    Returns
    -------
    float array (M,), or a 0-d float for a (n,) ``top1``
        Top-1 accuracy as a fraction in [0, 1]; NaN for a model that covers no image (with ``missing="exclude"``).

    Examples
    --------
    >>> import numpy as np
    >>> float(top1_accuracy(np.array([1, -1, 2]), np.array([1, 1, 3])))
    0.5
    """
    top1 = np.asarray(top1)
    labels = np.asarray(labels)
    _check(top1, labels, "labels", "missing", missing)
    keep = top1 >= 0 if missing == "exclude" else np.ones(top1.shape, dtype=bool)
    return _mean_over(top1 == labels, keep)


def topk_accuracy(topk: np.ndarray, labels: np.ndarray, *, k: int | None = None) -> np.ndarray:
    """Fraction of covered images whose label is among the first ``k`` predictions.

    Parameters
    ----------
    topk : int array (n, K) or (M, n, K), best first, -1 = no prediction
    labels : int array (n,)
    k : how many columns to use (default all K)

    Returns
    -------
    float array (M,), or a 0-d float for a (n, K) ``topk``
        Top-k accuracy as a fraction of the images each model covers (column 0 not -1); NaN when none.
    """
    topk = np.asarray(topk)
    k = topk.shape[-1] if k is None else k
    if k < 1 or k > topk.shape[-1]:
        raise InvalidInputError(f"Expected argument `k` to be in 1..{topk.shape[-1]}, but got {k}.")
    hit = (topk[..., :k] == np.asarray(labels)[:, None]).any(axis=-1)
    return _mean_over(hit, topk[..., 0] >= 0)


def real_accuracy(top1: np.ndarray, real_sets: np.ndarray, *, empty: Literal["exclude", "wrong"] = "exclude",
                  sizes: np.ndarray | None = None) -> np.ndarray:
    """ReaL accuracy (Beyer et al. 2020): the prediction is one of the image's ReaL labels.

    Parameters
    ----------
    top1 : int array (M, n) or (n,), aligned with ``real_sets``; -1 = no prediction (excluded)
    real_sets : int array (n, k), -1 padded
    empty : "exclude" (default, the ReaL protocol and timm's ``RealLabelsImagenet``): images whose ReaL set is
        empty (3,163 of the 50,000) are left out. "wrong": they count as errors for every model, the
        convention of the ImageNet-X ``real_class`` tables.
    sizes : int array (n,), optional
        Number of ReaL labels of each image, if already known; saves scanning ``real_sets`` for empty sets.

    Returns
    -------
    float array (M,), or a float for a (n,) ``top1``
        ReaL accuracy as a fraction in [0, 1]; NaN (with an ``UndefinedMetricWarning``) when no image is scored.
    """
    from ._correctness import _in_sets

    top1 = np.asarray(top1)
    real_sets = np.asarray(real_sets)
    _check(top1, real_sets, "real_sets", "empty", empty)
    squeeze = top1.ndim == 1
    t = np.atleast_2d(top1)
    hit = _in_sets(t, real_sets)
    keep = t >= 0
    if empty == "exclude":
        nonempty = np.asarray((real_sets >= 0).any(axis=1) if sizes is None else np.asarray(sizes) > 0)
        keep = keep & nonempty[None, :]
    if not keep.any():
        import warnings

        warnings.warn("No image to score: ReaL accuracy is NaN.", UndefinedMetricWarning, stacklevel=2)
    out = _mean_over(hit, keep)
    return out[0] if squeeze else out
