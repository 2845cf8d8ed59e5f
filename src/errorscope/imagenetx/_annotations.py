"""ImageNet-X factor annotations as arrays (CC BY-NC 4.0, Idrissi et al., ICLR 2023).

:func:`load_factor_annotations` reads the JSON-lines files of the ``imagenet-x`` package into a
:class:`FactorAnnotations`: one row per annotated image, a boolean (n, 16) factor matrix in
:data:`~errorscope.constants.FACTORS` order, the image's class and 17-way metaclass, and its position in the
partition's :class:`~errorscope.datasets.ImageIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..constants import FACTORS, Partition, WhichFactor
from ..exceptions import InvalidInputError
from ..datasets._index import ImageIndex, class_info, imagenetx_train_index, val_index
from ..resources.imagenetx import _parsed_arrays, package_file

__all__ = ["FactorAnnotations", "load_factor_annotations", "prototype_files"]


@dataclass(frozen=True, eq=False)
class FactorAnnotations:
    """Annotated images of one ImageNet-X file.

    Attributes
    ----------
    which, partition, filter_prototypes : str, str, bool
        How the file was chosen and filtered.
    index : the partition's image index; ``positions`` point into it.
    file_names : (n,) str
    positions : (n,) int64 positions in ``index``
    labels : (n,) int16 class ids
    metaclass : (n,) int8 17-way metaclass of the class
    factors : (n, 16) bool, columns in FACTORS order
    """

    which: str
    partition: str
    filter_prototypes: bool
    index: ImageIndex
    file_names: np.ndarray
    positions: np.ndarray
    labels: np.ndarray
    metaclass: np.ndarray
    factors: np.ndarray

    def __len__(self) -> int:
        return len(self.file_names)


@lru_cache(maxsize=1)
def prototype_files() -> frozenset[str]:
    """The 3,000 validation files judged prototypical by ImageNet-X."""
    import csv

    with open(package_file("prototypical_paths.csv"), encoding="utf-8") as fh:
        return frozenset(row["file_name"] for row in csv.DictReader(fh))


@lru_cache(maxsize=8)
def load_factor_annotations(which: WhichFactor = "top", partition: Partition = "val",
                            filter_prototypes: bool = True) -> FactorAnnotations:
    """Load the ImageNet-X annotations of ``partition`` with ``which`` factors.

    Rows keep the file's order; duplicated train rows are dropped (the first is kept), prototypical images are
    removed when ``filter_prototypes`` (the ImageNet-X default).

    Examples
    --------
    >>> ann = load_factor_annotations("top")
    >>> len(ann), ann.factors.shape
    (46110, (46110, 16))
    """
    if which not in ("top", "multi"):
        raise InvalidInputError(f"Expected `which` to be 'top' or 'multi', but got {which!r}.")
    if partition not in ("val", "train"):
        raise InvalidInputError(f"Expected `partition` to be 'val' or 'train', but got {partition!r}.")
    names, labels, factors = _parsed_arrays(f"imagenet_x_{partition}_{which}_factor.jsonl")
    index = val_index() if partition == "val" else imagenetx_train_index()
    keep = ~pd.Index(names).duplicated()
    if filter_prototypes:
        keep &= ~pd.Index(names).isin(list(prototype_files()))
    names, labels, factors = names[keep], labels[keep], factors[keep]
    positions = index.positions(names)
    if (positions < 0).any():
        raise InvalidInputError(f"ImageNet-X {partition} annotations name files outside the {index.name} index.")
    return FactorAnnotations(which, partition, filter_prototypes, index, names, positions, labels,
                             class_info().metaclass17[labels], factors)
