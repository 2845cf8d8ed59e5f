"""ReaL labels (Beyer et al. 2020, "Are we done with ImageNet?") of the 50,000 validation images.

Read from the ``imagenet_real_labels.jsonl`` file the ``imagenet-x`` package ships (a plain data dependency).
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from ..resources.imagenetx import package_file

__all__ = ["real_label_sets"]


@lru_cache(maxsize=1)
def real_label_sets() -> tuple[np.ndarray, np.ndarray]:
    """ReaL labels (Beyer et al. 2020) of the 50,000 validation images as a padded matrix.

    Returns
    -------
    labels : int16 array (50000, k_max), -1 padded; row i is ``ILSVRC2012_val_{i+1:08d}.JPEG``.
    sizes : int16 array (50000,), the number of ReaL labels (0 = the image has no ReaL label).
    """
    with open(package_file("imagenet_real_labels.jsonl"), encoding="utf-8") as fh:
        sets = json.load(fh)
    sizes = np.array([len(s) for s in sets], dtype=np.int16)
    out = np.full((len(sets), int(sizes.max())), -1, dtype=np.int16)
    for i, s in enumerate(sets):
        out[i, : len(s)] = s
    return out, sizes
