"""Class names that tell the 1,000 ImageNet classes apart.

ImageNet has names shared by two classes (``crane`` the bird and the machine, ``maillot`` twice); a confusion
listed as "maillot -> maillot" says nothing. :func:`distinct_class_names` appends the wnid to every name that
collides, so each string names one class.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

__all__ = ["distinct_class_names"]


@lru_cache(maxsize=1)
def distinct_class_names() -> np.ndarray:
    """The 1,000 class names, ``"name (wnid)"`` where two classes share a name.

    Returns
    -------
    object array (1000,)

    Examples
    --------
    >>> names = distinct_class_names()
    >>> len(set(names)), str(names[638]), str(names[639])
    (1000, 'maillot (n03710637)', 'maillot (n03710721)')
    """
    from ._index import class_info

    info = class_info()
    counts = Counter(info.names)
    return np.array([f"{n} ({w})" if counts[n] > 1 else n for n, w in zip(info.names, info.wnids)], dtype=object)
