"""Image folders: find the images of a folder, recognise its layout and align them to an image index.

Layouts
-------
``val-flat``
    ImageNet validation images in one folder: ``ILSVRC2012_val_00000001.JPEG`` ... (the canonical index).
``imagefolder``
    Class folders ``<wnid>/<file>`` (torchvision ``ImageFolder``). Validation file names align to the canonical
    index; any other names get an index of their own (``<wnid>/<file>``, labels from the folder's wnid).
``imagenet-a``, ``imagenet-r``
    The 200-class ImageNet-A / ImageNet-R folders ``<wnid>/<file>``; labels are 1,000-class ids, and the 200
    class ids come from timm's subset lists (``imagenet_meta/imagenet_{a,r}_indices.txt``).
``imagenetx-train``
    The 11,233 training images annotated by ImageNet-X, found in an ImageNet train folder
    (``<wnid>/<wnid>_<n>.JPEG``, flat or in class folders); other training images are ignored.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._optional import require
from ..exceptions import InvalidInputError
from ..datasets._imagenet_a import subset_class_ids
from ..datasets._index import ImageIndex, class_info, imagenetx_train_index, val_index

__all__ = ["ImageSet", "LAYOUTS", "image_set", "IMAGE_EXTENSIONS"]

LAYOUTS = ("val-flat", "imagefolder", "imagenet-a", "imagenet-r", "imagenetx-train")
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


@dataclass(frozen=True, eq=False)
class ImageSet:
    """The images of a folder, aligned to an index.

    Attributes
    ----------
    root : the folder.
    layout : one of :data:`LAYOUTS`.
    files : relative POSIX paths, sorted; the order in which images are run and stored.
    names : the file names as the index knows them (bare val/train names, or ``<wnid>/<file>``).
    index : the :class:`~errorscope.datasets.ImageIndex` the names belong to.
    subset : for ImageNet-A / -R, the sorted 1,000-class ids of the 200 classes; else None.
    """

    root: Path
    layout: str
    files: tuple[str, ...]
    names: np.ndarray
    index: ImageIndex
    subset: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.files)

    @property
    def labels(self) -> np.ndarray:
        """Original 1,000-class label per image (int16, -1 where unknown)."""
        return self.index.labels[self.index.positions(self.names)]

    def paths(self) -> list[str]:
        return [os.path.join(self.root, f) for f in self.files]

    def fingerprint(self) -> str:
        """sha256 of the layout and the file list: a resumed run must see the same images."""
        h = hashlib.sha256(self.layout.encode())
        for f in self.files:
            h.update(b"\0" + f.encode())
        return h.hexdigest()


def _scan(root: Path) -> list[str]:
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        for f in filenames:
            if f.startswith(".") or not f.lower().endswith(IMAGE_EXTENSIONS):
                continue
            files.append(f if rel == "." else f"{Path(rel).as_posix()}/{f}")
    return sorted(files)


def _is_val_name(name: str) -> bool:
    return name.startswith("ILSVRC2012_val_") and len(name) >= 23 and name[15:23].isdigit()


def image_set(root: str | Path, *, layout: str = "auto") -> ImageSet:
    """Find the images under ``root`` and align them to their index.

    Parameters
    ----------
    root : the image folder.
    layout : one of :data:`LAYOUTS`, or ``"auto"`` to recognise it from file and folder names.

    Raises
    ------
    InvalidInputError
        If the folder does not exist, holds no images, or its files do not fit the layout (the message names
        the first offending file).
    """
    root = Path(root)
    if not root.is_dir():
        raise InvalidInputError(f"Image folder {root} does not exist (or is not a folder).")
    if layout != "auto" and layout not in LAYOUTS:
        raise InvalidInputError(f"Expected `layout` to be 'auto' or one of {LAYOUTS}, but got {layout!r}.")
    files = _scan(root)
    if not files:
        raise InvalidInputError(f"{root} holds no images (looked for {', '.join(IMAGE_EXTENSIONS)} files).")
    if layout == "auto":
        layout = _detect(root, files)
    return _BUILDERS[layout](root, files)


def _detect(root: Path, files: list[str]) -> str:
    bare = [f.rsplit("/", 1)[-1] for f in files]
    depth = {f.count("/") for f in files}
    if _is_val_name(bare[0]):
        return "val-flat" if depth == {0} else "imagefolder"
    if (imagenetx_train_index().positions(bare[:50]) >= 0).any():
        return "imagenetx-train"
    if depth != {1}:
        raise InvalidInputError(
            f"Cannot recognise the layout of {root}: {files[0]!r} is neither an ImageNet validation file "
            "(ILSVRC2012_val_*) nor in a class folder. Pass --layout (one of " + ", ".join(LAYOUTS) + ").")
    folders = {f.split("/", 1)[0] for f in files}
    info = class_info()
    wnid_set = set(info.wnids)
    if not folders <= wnid_set:
        bad = sorted(folders - wnid_set)[0]
        raise InvalidInputError(f"{root / bad}: folder name {bad!r} is not an ImageNet wnid (like n01440764); "
                                "class folders must be named by wnid.")
    in_a = folders <= {str(w) for w in info.wnids[subset_class_ids("a")]}
    in_r = folders <= {str(w) for w in info.wnids[subset_class_ids("r")]}
    if in_a and in_r:
        raise InvalidInputError(f"{root}: the class folders fit both ImageNet-A and ImageNet-R; "
                                "pass --layout imagenet-a or --layout imagenet-r.")
    if in_a:
        return "imagenet-a"
    if in_r:
        return "imagenet-r"
    return "imagefolder"


def _val(root: Path, files: list[str], layout: str) -> ImageSet:
    idx = val_index()
    bare = np.array([f.rsplit("/", 1)[-1] for f in files], dtype=object)
    pos = idx.positions(bare)
    if (pos < 0).any():
        bad = files[int(np.argmax(pos < 0))]
        raise InvalidInputError(f"{root / bad}: not an ImageNet validation file name (ILSVRC2012_val_00000001.JPEG "
                                f"... ILSVRC2012_val_00050000.JPEG), which the {layout} layout needs.")
    if len(set(bare)) != len(bare):
        raise InvalidInputError(f"{root}: a validation file name appears in two folders.")
    return ImageSet(root, layout, tuple(files), bare, idx)


def _val_flat(root: Path, files: list[str]) -> ImageSet:
    nested = [f for f in files if "/" in f]
    if nested:
        raise InvalidInputError(f"{root / nested[0]}: the val-flat layout has all images directly in {root}; "
                                "use --layout imagefolder for class folders.")
    return _val(root, files, "val-flat")


def _wnid_labels(root: Path, files: list[str]) -> np.ndarray:
    info = class_info()
    labels = []
    for f in files:
        if f.count("/") != 1:
            raise InvalidInputError(f"{root / f}: expected <wnid>/<file> (one level of class folders).")
        wnid = f.split("/", 1)[0]
        try:
            labels.append(info.wnid_to_id(wnid))
        except InvalidInputError:
            raise InvalidInputError(f"{root / wnid}: folder name {wnid!r} is not an ImageNet wnid "
                                    "(class folders must be named like n01440764).") from None
    return np.array(labels, dtype=np.int16)


def _imagefolder(root: Path, files: list[str]) -> ImageSet:
    if _is_val_name(files[0].rsplit("/", 1)[-1]):
        return _val(root, files, "imagefolder")
    labels = _wnid_labels(root, files)
    names = np.array(files, dtype=object)
    return ImageSet(root, "imagefolder", tuple(files), names, ImageIndex(f"imagefolder:{root.name}", names, labels))


def _subset(which: str):
    def build(root: Path, files: list[str]) -> ImageSet:
        labels = _wnid_labels(root, files)
        ids = subset_class_ids(which)
        outside = ~np.isin(labels, ids)
        if outside.any():
            bad = files[int(np.argmax(outside))]
            raise InvalidInputError(f"{root / bad}: class {bad.split('/')[0]} is not one of the 200 "
                                    f"ImageNet-{which.upper()} classes.")
        names = np.array(files, dtype=object)
        return ImageSet(root, f"imagenet-{which}", tuple(files), names,
                        ImageIndex(f"imagenet-{which}", names, labels), subset=ids)
    return build


def _imagenetx_train(root: Path, files: list[str]) -> ImageSet:
    idx = imagenetx_train_index()
    bare = np.array([f.rsplit("/", 1)[-1] for f in files], dtype=object)
    pos = idx.positions(bare)
    keep = pos >= 0
    if not keep.any():
        raise InvalidInputError(f"{root}: none of the {len(files)} images is one of the {len(idx)} ImageNet-X "
                                "training images (names like n03633091_15528.JPEG).")
    kept = [f for f, k in zip(files, keep) if k]
    if len(set(bare[keep])) != len(kept):
        raise InvalidInputError(f"{root}: an ImageNet-X training file name appears in two folders.")
    return ImageSet(root, "imagenetx-train", tuple(kept), bare[keep], idx)


_BUILDERS = {
    "val-flat": _val_flat,
    "imagefolder": _imagefolder,
    "imagenet-a": _subset("a"),
    "imagenet-r": _subset("r"),
    "imagenetx-train": _imagenetx_train,
}


class ImageFiles:
    """A map-style dataset over image paths for ``torch.utils.data.DataLoader``: item i -> (tensor, i)."""

    def __init__(self, paths: list[str], transform) -> None:
        self.paths = paths
        self.transform = transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        Image = require("PIL.Image", extra="torch", feature="Reading images")
        with Image.open(self.paths[i]) as img:
            img = img.convert("RGB")
        return self.transform(img), i
