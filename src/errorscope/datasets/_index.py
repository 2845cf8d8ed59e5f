"""Image indices: the canonical ImageNet validation index, other image sets, and the 1,000 classes.

The canonical validation index lists the 50,000 files ``ILSVRC2012_val_00000001.JPEG`` ...
``ILSVRC2012_val_00050000.JPEG`` in numeric order with their original labels. A class id is the position of
the class's wnid in the sorted list of the 1,000 wnids. Every per-image array of errorscope is aligned to an
:class:`ImageIndex`, so predictions from files in any row order line up.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ..constants import N_CLASSES, N_VAL
from ..exceptions import InvalidInputError
from ..resources.imagenetx import package_file

#: Names of the image indices errorscope knows.
VAL_INDEX = "imagenet-val"
IMAGENETX_TRAIN_INDEX = "imagenetx-train"
IMAGENET_A_INDEX = "imagenet-a"

__all__ = ["VAL_INDEX", "IMAGENETX_TRAIN_INDEX", "IMAGENET_A_INDEX", "ImageIndex", "val_index", "imagenetx_train_index", "ClassInfo", "class_info", "val_file_name"]


def val_file_name(i: int) -> str:
    """File name of the validation image at 0-based position ``i``.

    Parameters
    ----------
    i : int
        Position in the validation index.

    Returns
    -------
    str
        ``ILSVRC2012_val_<i + 1, 8 digits>.JPEG``.
    """
    return f"ILSVRC2012_val_{i + 1:08d}.JPEG"


@dataclass(frozen=True, eq=False)
class ImageIndex:
    """An ordered set of images with their original labels.

    Attributes
    ----------
    name : identifier such as ``"imagenet-val"``.
    file_names : array of str, shape (n_images,)
    labels : int16 array, shape (n_images,); -1 where unknown.
    """

    name: str
    file_names: np.ndarray
    labels: np.ndarray
    _lookup: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.file_names) != len(self.labels):
            raise InvalidInputError(
                f"ImageIndex {self.name!r}: {len(self.file_names)} file names but {len(self.labels)} labels."
            )
        lookup = pd.Index(self.file_names)
        if not lookup.is_unique:
            dup = lookup[lookup.duplicated()][0]
            raise InvalidInputError(f"ImageIndex {self.name!r}: file name {dup!r} appears more than once.")
        object.__setattr__(self, "_lookup", lookup)

    def __len__(self) -> int:
        return len(self.file_names)

    @property
    def is_val(self) -> bool:
        """True for the canonical index of the 50,000 ImageNet validation images."""
        return self.name == VAL_INDEX

    def positions(self, file_names: Iterable[str]) -> np.ndarray:
        """Positions of ``file_names`` in this index (int64), -1 for names that are not in it.

        Accepts bare names (``ILSVRC2012_val_00000001.JPEG``) and paths ending in them
        (``val/n01440764/ILSVRC2012_val_00000001.JPEG``).

        Parameters
        ----------
        file_names : iterable of str
            Names or paths to look up.

        Returns
        -------
        int64 array
            Positions, -1 for names not in the index.
        """
        if self.name == "imagenet-val":
            pos = _val_positions(file_names)
            if pos is not None:
                return pos
        names = pd.Index(pd.Series(file_names, dtype=object).astype(str))
        pos = self._lookup.get_indexer(names)
        if (pos < 0).any():
            bare = pd.Index([n.replace("\\", "/").rsplit("/", 1)[-1] for n in names])
            pos = np.where(pos < 0, self._lookup.get_indexer(bare), pos)
        return pos.astype(np.int64)


_CANONICAL = np.frombuffer(b"ILSVRC2012_val_00000000.JPEG", dtype=np.uint8)
_DIGITS = slice(15, 23)
_DIGIT_WEIGHTS = 10 ** np.arange(7, -1, -1, dtype=np.int64)


def _fixed_width_positions(arr) -> np.ndarray | None:
    """Bare canonical names only (every string 28 bytes): check and parse them on the raw byte buffer."""
    import pyarrow as pa

    if arr.type != pa.string() or arr.null_count or len(arr) == 0:
        return None
    offsets_buf, data_buf = arr.buffers()[1], arr.buffers()[2]
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
    if offsets[-1] - offsets[0] != 28 * len(arr) or not (np.diff(offsets) == 28).all():
        return None
    u8 = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]: offsets[-1]].reshape(len(arr), 28)
    digits = u8[:, _DIGITS].astype(np.int64) - 48
    if ((u8[:, :15] != _CANONICAL[:15]).any() or (u8[:, 23:] != _CANONICAL[23:]).any()
            or (digits < 0).any() or (digits > 9).any()):
        return None
    pos = digits @ _DIGIT_WEIGHTS - 1
    if pos.min() < 0 or pos.max() >= N_VAL:
        return None
    return pos


def _val_positions(names) -> np.ndarray | None:
    """Fast path for the validation index: read the position from ``..._val_XXXXXXXX.JPEG`` and check it.

    Returns None (use :meth:`ImageIndex.positions`) unless every name is a canonical name or a path ending in one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = names if isinstance(names, pa.Array) else pa.array(names, type=pa.string())
        fixed = _fixed_width_positions(arr)
        if fixed is not None:
            return fixed
        number = pc.cast(pc.utf8_slice_codeunits(arr, -13, -5), pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return None
    pos = number - 1
    if len(pos) == 0 or pos.min() < 0 or pos.max() >= N_VAL:
        return None
    big = 2**31 - 1
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
    ok = (pc.all(pc.equal(pc.utf8_slice_codeunits(arr, -28, -13), "ILSVRC2012_val_")).as_py()
          and pc.all(pc.equal(pc.utf8_slice_codeunits(arr, -5, big), ".JPEG")).as_py()
          and pc.all(pc.utf8_is_digit(pc.utf8_slice_codeunits(arr, -13, -5))).as_py()
          and (lengths >= 28).all())
    if not ok:
        return None
    if (lengths > 28).any():  # paths: the name must follow a separator
        sep = pc.utf8_slice_codeunits(arr, -29, -28).to_numpy(zero_copy_only=False)
        if not np.isin(sep[lengths > 28], ["/", "\\"]).all():
            return None
    return pos.astype(np.int64)



@lru_cache(maxsize=1)
def val_index() -> ImageIndex:
    """The canonical ImageNet validation index (50,000 images, original labels).

    Labels come from ``filename_label.csv`` of the ``imagenet-x`` package.

    Examples
    --------
    >>> idx = val_index()
    >>> len(idx), idx.file_names[0], int(idx.labels[0])
    (50000, 'ILSVRC2012_val_00000001.JPEG', 65)
    """
    names = np.array([val_file_name(i) for i in range(N_VAL)], dtype=object)
    table = pd.read_csv(package_file("filename_label.csv"))
    labels = np.full(N_VAL, -1, dtype=np.int16)
    pos = np.array([int(n[15:23]) - 1 for n in table["file_name"]])
    labels[pos] = table["label"].to_numpy(np.int16)
    return ImageIndex(VAL_INDEX, names, labels)


@lru_cache(maxsize=1)
def imagenetx_train_index() -> ImageIndex:
    """The 11,233 ImageNet training images annotated by ImageNet-X (file names like ``n03633091_15528.JPEG``)."""
    from ..resources.imagenetx import _parsed_arrays

    names, classes, _ = _parsed_arrays("imagenet_x_train_top_factor.jsonl")
    keep = ~pd.Index(names).duplicated()
    return ImageIndex(IMAGENETX_TRAIN_INDEX, names[keep], classes[keep])


@dataclass(frozen=True, eq=False)
class ClassInfo:
    """The 1,000 ImageNet classes: wnids (sorted), names and the ImageNet-X metaclasses.

    Attributes
    ----------
    wnids : str array (1000,)
        WordNet ids, sorted (position = class id).
    names : str array (1000,)
        Class names.
    metaclass100 : int16 array (1000,)
        Index into ``metaclass100_names``.
    metaclass100_names : str array
        Names of the 100 ImageNet-X fine metaclasses.
    metaclass17 : int8 array (1000,)
        Index into ``errorscope.constants.METACLASSES``.
    """

    wnids: np.ndarray
    names: np.ndarray
    metaclass100: np.ndarray  # int16 (1000,) index into ``metaclass100_names``
    metaclass100_names: np.ndarray
    metaclass17: np.ndarray  # int8 (1000,) index into constants.METACLASSES

    def wnid_to_id(self, wnid: str) -> int:
        """Class id of a wnid.

        Parameters
        ----------
        wnid : str
            A WordNet id such as ``n01440764``.

        Returns
        -------
        int
            Its class id, 0..999; an unknown wnid raises :class:`~errorscope.exceptions.InvalidInputError`.
        """
        pos = int(np.searchsorted(self.wnids, wnid))
        if pos >= N_CLASSES or self.wnids[pos] != wnid:
            raise InvalidInputError(f"{wnid!r} is not one of the 1,000 ImageNet-1k wnids.")
        return pos


@lru_cache(maxsize=1)
def class_info() -> ClassInfo:
    """Class ids, wnids, names and metaclasses from the ``imagenet-x`` package's files.

    Row i of ``imagenet_1k_classes_to_100_metaclasses.csv`` is class i; a class's 17-way metaclass is its
    100-way metaclass name if that is one of the first 16 :data:`~errorscope.constants.METACLASSES`, and
    ``other`` otherwise.
    """
    from ..constants import METACLASSES

    with open(package_file("imagenet_labels.txt"), encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split(",", 1) for line in fh if line.strip()]
    wnids = np.array([r[0] for r in rows], dtype=object)
    names = np.array([r[1] for r in rows], dtype=object)
    if len(wnids) != N_CLASSES or not (wnids[:-1] < wnids[1:]).all():
        raise InvalidInputError("imagenet_labels.txt must list the 1,000 wnids in sorted order.")
    with open(package_file("imagenet_1k_classes_to_100_metaclasses.csv"), encoding="utf-8") as fh:
        meta = list(csv.DictReader(fh))
    mc_names = np.array([m["name"] for m in meta], dtype=object)
    uniq, mc100 = np.unique(mc_names, return_inverse=True)
    lookup = {name: i for i, name in enumerate(METACLASSES)}
    other = lookup["other"]
    mc17 = np.array([lookup.get(n, other) if n in METACLASSES[:-1] else other for n in mc_names], dtype=np.int8)
    return ClassInfo(wnids, names, mc100.astype(np.int16), uniq, mc17)
