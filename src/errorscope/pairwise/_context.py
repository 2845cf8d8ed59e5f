"""Per-image context shared by the diff, hard-image and label-error views: factors, metaclass, ReaL labels, flags."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..constants import FACTORS, METACLASSES
from ..datasets._index import class_info, val_index
from ..datasets._label_errors import cleanlab_label_errors, real_rejects_label
from ..datasets._real import real_label_sets
from ..exceptions import InvalidInputError

__all__ = ["factor_matrix", "factor_strings", "metaclass_names", "real_label_strings", "label_flags",
           "require_val"]


def require_val(index) -> None:
    """Refuse an index other than the 50,000 validation images (the label sources are defined on them)."""
    if index.name != val_index().name:
        raise InvalidInputError(f"Expected predictions on the ImageNet validation index, but got index {index.name!r}; "
                                "the label-error, ReaL and ImageNet-X sources are defined on the validation images.")


@lru_cache(maxsize=2)
def factor_matrix(which: str = "top") -> np.ndarray:
    """bool (50000, 16): the ImageNet-X factors of each validation image (prototypes removed; False elsewhere)."""
    from ..imagenetx._annotations import load_factor_annotations

    ann = load_factor_annotations(which)
    out = np.zeros((len(val_index()), len(FACTORS)), dtype=bool)
    out[ann.positions] = ann.factors
    return out


@lru_cache(maxsize=2)
def factor_strings(which: str = "top") -> np.ndarray:
    """object (50000,): the image's factors comma separated, '' when not annotated."""
    fm = factor_matrix(which)
    names = np.array(FACTORS, dtype=object)
    uniq, inverse = np.unique(np.packbits(fm, axis=1, bitorder="little"), axis=0, return_inverse=True)
    strings = np.array([",".join(names[np.unpackbits(u, bitorder="little")[:len(FACTORS)].astype(bool)])
                        for u in uniq], dtype=object)
    return strings[inverse.ravel()]


@lru_cache(maxsize=1)
def metaclass_names() -> np.ndarray:
    """object (50000,): the ImageNet-X 17-way metaclass of each image's original label."""
    mc = np.array(METACLASSES, dtype=object)[class_info().metaclass17]
    return mc[val_index().labels]


@lru_cache(maxsize=2)
def real_label_strings(names: bool = False) -> np.ndarray:
    """object (50000,): ReaL label ids (comma separated) or class names (' | ' separated); '' without labels."""
    from ..datasets._names import distinct_class_names

    labels, sizes = real_label_sets()
    cn = distinct_class_names()
    sep = " | " if names else ","
    return np.array([sep.join(cn[x] if names else str(int(x)) for x in row[:s]) for row, s in zip(labels, sizes)],
                    dtype=object)


def label_flags() -> tuple[np.ndarray, np.ndarray]:
    """bool (50000,) twice: cleanlab-confirmed label errors and images whose original label ReaL rejects."""
    return cleanlab_label_errors().mask, real_rejects_label()
