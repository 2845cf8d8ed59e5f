"""ImageNet-A and ImageNet-R (Hendrycks et al.): their 200-class subsets and the ImageNet-A image index.

The index holds the 7,500 ImageNet-A files ``<wnid>/<file>`` with their 1,000-class labels; the class subsets are
read from timm's lists through the resource manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..exceptions import InvalidInputError
from ._index import IMAGENET_A_INDEX, ImageIndex, class_info

__all__ = ["subset_class_ids", "imagenet_a_classes", "imagenet_a_index"]


@lru_cache(maxsize=2)
def subset_class_ids(which: str) -> np.ndarray:
    """Sorted 1,000-class ids of the 200 ImageNet-A (``"a"``) or ImageNet-R (``"r"``) classes.

    Read from timm's subset lists; the wnid list is checked against the index list.
    """
    from ..resources import resource_path

    ids = np.array([int(x) for x in resource_path(f"imagenet_meta/imagenet_{which}_indices.txt").read_text().split()])
    wnids = resource_path(f"imagenet_meta/imagenet_{which}_synsets.txt").read_text().split()
    info = class_info()
    expect = np.array([info.wnid_to_id(w) for w in wnids])
    if len(ids) != 200 or not np.array_equal(ids, expect) or not (np.diff(ids) > 0).all():
        raise InvalidInputError(f"imagenet_{which}_indices.txt and imagenet_{which}_synsets.txt disagree.")
    return ids.astype(np.int16)


@lru_cache(maxsize=1)
def imagenet_a_classes() -> np.ndarray:
    """The 200 ImageNet-A class ids (1000-class ids, ascending wnid order)."""
    return subset_class_ids("a")


def imagenet_a_index(source: str | Path | Sequence[str]) -> ImageIndex:
    """Build the ImageNet-A index from a folder (``<root>/<wnid>/<file>``) or a list of ``<wnid>/<file>`` names.

    Labels are the 1000-class ids of the wnid folders; a folder that is not one of the 200 ImageNet-A
    classes is an error.

    Parameters
    ----------
    source : str, Path or sequence of str
        The image folder, or the ``<wnid>/<file>`` names.

    Returns
    -------
    ImageIndex
        The ``imagenet-a`` index, names sorted.
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


