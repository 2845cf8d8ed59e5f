"""ImageNet-A support of the taxonomy (the index itself lives in :mod:`errorscope.datasets`).

Predictions on ImageNet-A use the full 1000-way top-1; ``top1_val_acc_subset_200`` (the argmax over only the
200 ImageNet-A classes) is a reported column that needs the logits, so it is passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import InvalidInputError
from ..datasets._imagenet_a import imagenet_a_classes, imagenet_a_index

if TYPE_CHECKING:
    from ..datasets._index import ImageIndex

__all__ = ["subset_200_accuracy"]


def subset_200_accuracy(scores: np.ndarray, index: ImageIndex) -> float:
    """Percent accuracy of the argmax over the 200 ImageNet-A columns of (n, 1000) ``scores``."""
    scores = np.asarray(scores)
    if scores.shape != (len(index), 1000):
        raise InvalidInputError(f"Expected scores of shape ({len(index)}, 1000), got {scores.shape}.")
    cols = imagenet_a_classes()
    pred = cols[np.argmax(scores[:, cols], axis=1)]
    return float(100.0 * np.mean(pred == np.asarray(index.labels)))
