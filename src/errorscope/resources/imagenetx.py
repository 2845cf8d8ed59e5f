"""Files of the ``imagenet-x`` PyPI package, used as a plain data dependency.

The ImageNet-X annotations are licensed CC BY-NC 4.0 (Idrissi et al., ICLR 2023); the ReaL labels shipped
in the same package come from Beyer et al. 2020 (Apache-2.0). Only the package's data files are read: its
pandas code is never called.
"""

from __future__ import annotations

import json
from importlib import resources as _ir
from pathlib import Path

import numpy as np

from ..constants import FACTORS
from ..exceptions import ResourceError

LICENSE = "CC BY-NC 4.0"
CITATION = ("Idrissi, Bouchacourt, Balestriero, Evtimov, Hazirbas, Ballas, Vincent, Drozdzal, Lopez-Paz, "
            "Ibrahim: ImageNet-X: Understanding Model Mistakes with Factor of Variation Annotations, ICLR 2023")
NOTICE = f"ImageNet-X annotations: {LICENSE} (non-commercial use only); {CITATION}."
#: The one-line licence note carried by every table built on the ImageNet-X annotations.
LICENSE_NOTE = "ImageNet-X annotations: CC BY-NC 4.0 (Idrissi et al., ICLR 2023)"

FILES = (
    "filename_label.csv",
    "imagenet_1k_classes_to_100_metaclasses.csv",
    "imagenet_labels.txt",
    "imagenet_real_labels.jsonl",
    "imagenet_x_train_multi_factor.jsonl",
    "imagenet_x_train_top_factor.jsonl",
    "imagenet_x_val_multi_factor.jsonl",
    "imagenet_x_val_top_factor.jsonl",
    "prototypical_paths.csv",
)


def package_file(name: str) -> Path:
    """Path of one annotation file inside the installed ``imagenet-x`` package."""
    if name not in FILES:
        raise ResourceError(f"{name!r} is not a data file of the imagenet-x package; expected one of {FILES}.")
    try:
        root = _ir.files("imagenet_x") / "annotations"
    except ModuleNotFoundError:
        raise ResourceError(
            "The imagenet-x package (the ImageNet-X annotations, CC BY-NC 4.0) is not installed. "
            "Install it with `pip install imagenet-x==0.0.7`."
        ) from None
    path = Path(str(root / name))
    if not path.is_file():
        raise ResourceError(f"{path} is missing from the installed imagenet-x package; reinstall imagenet-x==0.0.7.")
    return path


def _read_jsonl(name: str) -> list[dict]:
    with open(package_file(name), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _parsed_arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(file_names, classes, factors) of one JSON-lines file, parsed once and then kept in the user cache.

    The cache entry is keyed by the file's size and modification time, so a reinstalled package is reparsed.
    """
    from operator import itemgetter

    from .._io import atomic_path
    from ..resources import cache_dir

    path = package_file(name)
    st = path.stat()
    cached = cache_dir() / "imagenet_x" / f"{path.stem}-{st.st_size}-{st.st_mtime_ns}.npz"
    if cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                return z["file_names"].astype(object), z["classes"], z["factors"]
        except (OSError, ValueError, KeyError):
            pass  # unreadable cache entry: parse again and overwrite it
    rows = _read_jsonl(name)
    names = np.array([r["file_name"] for r in rows], dtype=object)
    classes = np.array([r["class"] for r in rows], dtype=np.int16)
    factors = np.array(list(map(itemgetter(*FACTORS), rows)), dtype=bool).reshape(len(rows), len(FACTORS))
    try:
        with atomic_path(cached) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, file_names=names.astype(str), classes=classes, factors=factors)
    except OSError:
        pass  # a read-only cache only costs speed
    return names, classes, factors
