"""Which predictions count as correct, under the three ImageNet-X error types."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..exceptions import InvalidInputError

ErrorType = Literal["class", "metaclass", "real_class"]


def correctness(top1: np.ndarray, targets: np.ndarray, error_type: ErrorType = "class", *,
                real_sets: np.ndarray | None = None, class_metaclass: np.ndarray | None = None) -> np.ndarray:
    """Boolean (M, n) matrix telling whether prediction ``top1[m, i]`` is correct for image i.

    Parameters
    ----------
    top1 : int array of shape (M, n) or (n,)
        Predicted class ids; -1 marks a missing prediction, which is never correct.
    targets : int array of shape (n,)
        Original labels of the n images.
    error_type : {"class", "metaclass", "real_class"}
        ``class``: the prediction equals the label. ``metaclass``: the prediction's 17-way ImageNet-X metaclass
        equals the label's (any "other" class is a hit for an "other" image). ``real_class``: the prediction is
        in the image's ReaL label set; an image with an empty set is wrong for every prediction (the ImageNet-X
        convention).
    real_sets : int array of shape (n, k), -1 padded
        ReaL label sets of the n images (needed for ``real_class``).
    class_metaclass : int array of shape (1000,)
        Metaclass id of every class (needed for ``metaclass``), e.g. ``class_info().metaclass17``.

    Returns
    -------
    bool array of shape (M, n), or (n,) for a (n,) ``top1``
        True where the prediction is correct under ``error_type``.

    Examples
    --------
    >>> import numpy as np
    >>> correctness(np.array([[1, 2, -1]]), np.array([1, 3, 3])).tolist()
    [[True, False, False]]
    """
    top1 = np.asarray(top1)
    squeeze = top1.ndim == 1
    top1 = np.atleast_2d(top1)
    targets = np.asarray(targets)
    if top1.shape[1] != targets.shape[0]:
        raise InvalidInputError(
            f"The `top1` and `targets` should cover the same images, got `top1` with shape={top1.shape} and "
            f"`targets` with shape={targets.shape}."
        )
    covered = top1 >= 0
    if error_type == "class":
        out = top1 == targets[None, :]
    elif error_type == "metaclass":
        if class_metaclass is None:
            raise InvalidInputError(
                "`class_metaclass` (the metaclass id of every class, shape (1000,)) is required for "
                "error_type='metaclass'; errorscope.datasets.class_info().metaclass17 holds ImageNet-X's 17.")
        mc = np.asarray(class_metaclass)
        out = (mc[np.where(covered, top1, 0)] == mc[targets][None, :]) & covered
    elif error_type == "real_class":
        if real_sets is None or len(real_sets) != targets.shape[0]:
            raise InvalidInputError("`real_sets` of shape (n, k) is required for error_type='real_class'.")
        out = _in_sets(top1, np.asarray(real_sets)) & covered
    else:
        raise InvalidInputError(
            f"Expected argument `error_type` to be one of ['class', 'metaclass', 'real_class'], but got {error_type!r}."
        )
    return out[0] if squeeze else out


def _in_sets(top1: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """``top1[m, i] in sets[i]`` for every m, i; -1 padding never matches a covered prediction.

    Column j of the padded sets is compared only on the images that have more than j labels (most have one).
    """
    out = top1 == sets[None, :, 0]
    for j in range(1, sets.shape[1]):
        rows = np.flatnonzero(sets[:, j] >= 0)
        if rows.size:
            out[:, rows] |= top1[:, rows] == sets[None, rows, j]
    return out & (top1 >= 0)
