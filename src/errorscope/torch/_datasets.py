"""The ImageNet-X dataset classes, built on first use so that torchvision is imported lazily."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._optional import require
from ..imagenetx._annotations import load_factor_annotations
from ..exceptions import InvalidInputError, ResourceError
from ..datasets._index import class_info

FEATURE = "errorscope.torch datasets"


def _annotation_lookup(which_factor: str, partition: str, filter_prototypes: bool) -> tuple[dict[str, int], np.ndarray]:
    ann = load_factor_annotations(which_factor, partition, filter_prototypes)
    return {str(n): i for i, n in enumerate(ann.file_names)}, ann.factors


def _wnid_classes(directory: str | Path) -> tuple[list[str], dict[str, int]]:
    """Class folders named by wnid -> their 1,000-class ids (not 0..k-1: a partial folder keeps the ids)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ResourceError(f"Image folder {directory} does not exist. Expected ImageNet images in class folders "
                            f"{directory}/<wnid>/<file>.")
    folders = sorted(e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith("."))
    if not folders:
        raise ResourceError(f"{directory} has no class folders; expected {directory}/<wnid>/<file> "
                            "(e.g. n01440764/ILSVRC2012_val_00000293.JPEG).")
    info = class_info()
    try:
        ids = {w: info.wnid_to_id(w) for w in folders}
    except InvalidInputError:
        bad = next(w for w in folders if w not in set(info.wnids))
        raise ResourceError(f"{directory / bad}: folder name {bad!r} is not an ImageNet wnid "
                            "(class folders must be named like n01440764).") from None
    return folders, ids


@lru_cache(maxsize=1)
def dataset_classes() -> dict[str, type]:
    datasets = require("torchvision.datasets", extra="torch", feature=FEATURE)
    tv_imagenet = require("torchvision.datasets.imagenet", extra="torch", feature=FEATURE)

    class _ImageNetXMixin:
        def find_classes(self, directory):
            return _wnid_classes(directory)

        def _keep_annotated(self, which_factor: str, partition: str, filter_prototypes: bool, where: str) -> None:
            lookup, factors = _annotation_lookup(which_factor, partition, filter_prototypes)
            rows, samples = [], []
            for path, target in self.samples:
                row = lookup.get(os.path.basename(path))
                if row is not None:
                    rows.append(row)
                    samples.append((path, target))
            if not samples:
                raise ResourceError(
                    f"{where}: none of its {len(self.samples)} images is annotated by ImageNet-X ({partition} "
                    f"partition, {len(lookup)} images, e.g. {next(iter(lookup))}).")
            self.samples = self.imgs = samples
            self.targets = [t for _, t in samples]
            self.factor_rows = np.asarray(rows, dtype=np.int64)
            self.factors = factors
            self.which_factor, self.partition, self.filter_prototypes = which_factor, partition, filter_prototypes

        def __getitem__(self, index: int):
            img, target = super().__getitem__(index)
            return img, target, self.factors[self.factor_rows[index]].copy()

    class ImageNetXImageFolder(_ImageNetXMixin, datasets.ImageFolder):
        """ImageNet-X annotated images from class folders ``root/<wnid>/<file>``.

        Parameters
        ----------
        root : the folder of wnid class folders (e.g. the ImageNet ``val`` folder in ImageFolder layout).
        transform, target_transform : as for ``torchvision.datasets.ImageFolder``.
        which_factor : ``"top"`` or ``"multi"`` factor annotations.
        partition : ``"val"`` or ``"train"`` (the 11,233 annotated training images).
        filter_prototypes : drop the prototypical validation images, as ImageNet-X does.
        **kwargs
            Passed on to ``torchvision.datasets.ImageFolder`` (e.g. ``loader``).

        Notes
        -----
        Items are ``(image, target, factors)``: ``target`` is the 1,000-class id of the wnid folder, ``factors``
        a bool array of shape (16,).
        """

        def __init__(self, root, transform=None, target_transform=None, *, which_factor: str = "top",
                     partition: str = "val", filter_prototypes: bool = True, **kwargs) -> None:
            _wnid_classes(root)  # clear error before torchvision's
            super().__init__(str(root), transform=transform, target_transform=target_transform, **kwargs)
            self._keep_annotated(which_factor, partition, filter_prototypes, str(root))

    class ImageNetX(_ImageNetXMixin, datasets.ImageNet):
        """ImageNet-X annotated images of a torchvision ``ImageNet`` root.

        Parameters
        ----------
        root : folder with ``meta.bin`` (or ``ILSVRC2012_devkit_t12.tar.gz``) and the ``val`` / ``train`` split
            folder (or its ``ILSVRC2012_img_*.tar`` archive), as ``torchvision.datasets.ImageNet`` expects.
        which_factor : ``"top"`` or ``"multi"`` factor annotations.
        partition : ``"val"`` or ``"train"``; the split that is read.
        filter_prototypes : drop the prototypical validation images, as ImageNet-X does.
        **kwargs
            Passed on to ``torchvision.datasets.ImageNet`` (``transform``, ``target_transform``, ``loader``).
        """

        def __init__(self, root, *, which_factor: str = "top", partition: str = "val",
                     filter_prototypes: bool = True, **kwargs) -> None:
            root = Path(os.path.expanduser(str(root)))
            if partition not in ("val", "train"):
                raise InvalidInputError(f"Expected `partition` to be 'val' or 'train', but got {partition!r}.")
            if not root.is_dir():
                raise ResourceError(f"ImageNet root {root} does not exist.")
            meta = root / tv_imagenet.META_FILE
            devkit = root / tv_imagenet.ARCHIVE_META["devkit"][0]
            if not meta.is_file() and not devkit.is_file():
                raise ResourceError(
                    f"{meta} is missing (and so is {devkit.name}). torchvision's ImageNet needs the class metadata: "
                    f"put ILSVRC2012_devkit_t12.tar.gz in {root} (it is parsed into meta.bin once), or use "
                    "errorscope.torch.ImageNetXImageFolder on a folder of wnid class folders.")
            split = root / partition
            archive = root / tv_imagenet.ARCHIVE_META[partition][0]
            if not split.is_dir() and not archive.is_file():
                raise ResourceError(f"{split} is missing (and so is {archive.name}): expected the {partition} "
                                    f"images in {split}/<wnid>/<file>.")
            super().__init__(str(root), split=partition, **kwargs)
            wnid_to_classes = tv_imagenet.load_meta_file(str(root))[0]
            self.class_to_idx = {c: self.wnid_to_idx[w] for w in self.wnids for c in wnid_to_classes[w]}
            self._keep_annotated(which_factor, partition, filter_prototypes, str(split))

    classes = {"ImageNetX": ImageNetX, "ImageNetXImageFolder": ImageNetXImageFolder}
    for name, cls in classes.items():  # picklable (DataLoader workers) as errorscope.torch.<name>
        cls.__module__ = "errorscope.torch"
        cls.__qualname__ = name
    return classes
