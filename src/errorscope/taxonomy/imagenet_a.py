"""ImageNet-A support (spec §12): an image index of the 7,500 files ``<wnid>/<file>`` with 1000-class labels.

Predictions on ImageNet-A use the full 1000-way top-1; ``top1_val_acc_subset_200`` (the argmax over only the
200 ImageNet-A classes) is a reported column that needs the logits, so it is passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..exceptions import InvalidInputError
from ..index import ImageIndex, class_info
from .engine import IMAGENET_A_INDEX

__all__ = ["imagenet_a_index", "imagenet_a_classes", "subset_200_accuracy"]


@lru_cache(maxsize=1)
def imagenet_a_classes() -> np.ndarray:
    """The 200 ImageNet-A class ids (1000-class ids, ascending wnid order)."""
    from ..resources import resource_path

    wnids = [w.strip() for w in open(resource_path("imagenet_meta/imagenet_a_synsets.txt"), encoding="utf-8")
             if w.strip()]
    info = class_info()
    return np.array(sorted(info.wnid_to_id(w) for w in wnids), dtype=np.int16)


def imagenet_a_index(source: str | Path | Sequence[str]) -> ImageIndex:
    """Build the ImageNet-A index from a folder (``<root>/<wnid>/<file>``) or a list of ``<wnid>/<file>`` names.

    Labels are the 1000-class ids of the wnid folders; a folder that is not one of the 200 ImageNet-A
    classes is an error.
    """
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        root = Path(source)
        names = sorted(f"{p.parent.name}/{p.name}" for p in root.glob("n*/*") if p.is_file())
    else:
        names = sorted(str(n).replace("\\", "/") for n in source)
    if not names:
        raise InvalidInputError(f"No ImageNet-A images found in {source!r}; expected <wnid>/<file> entries.")
    allowed = set(int(c) for c in imagenet_a_classes())
    info = class_info()
    labels = np.empty(len(names), dtype=np.int16)
    for i, name in enumerate(names):
        wnid = name.split("/")[-2] if "/" in name else ""
        try:
            cid = info.wnid_to_id(wnid)
        except InvalidInputError:
            raise InvalidInputError(f"ImageNet-A entry {name!r}: folder {wnid!r} is not an ImageNet wnid.") from None
        if cid not in allowed:
            raise InvalidInputError(f"ImageNet-A entry {name!r}: class {wnid} is not one of the 200 ImageNet-A classes.")
        labels[i] = cid
    return ImageIndex(IMAGENET_A_INDEX, np.array(names, dtype=object), labels)


def subset_200_accuracy(scores: np.ndarray, index: ImageIndex) -> float:
    """Percent accuracy of the argmax over the 200 ImageNet-A columns of (n, 1000) ``scores``."""
    scores = np.asarray(scores)
    if scores.shape != (len(index), 1000):
        raise InvalidInputError(f"Expected scores of shape ({len(index)}, 1000), got {scores.shape}.")
    cols = imagenet_a_classes()
    pred = cols[np.argmax(scores[:, cols], axis=1)]
    return float(100.0 * np.mean(pred == np.asarray(index.labels)))
