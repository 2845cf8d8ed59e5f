"""Files of the ``imagenet-x`` PyPI package, used as a plain data dependency.

The ImageNet-X annotations are licensed CC BY-NC 4.0 (Idrissi et al., ICLR 2023); the ReaL labels shipped
in the same package come from Beyer et al. 2020 (Apache-2.0). Only the package's data files are read: its
pandas code is never called.
"""

from __future__ import annotations

from importlib import resources as _ir
from pathlib import Path

from ..exceptions import ResourceError

LICENSE = "CC BY-NC 4.0"
CITATION = ("Idrissi, Bouchacourt, Balestriero, Evtimov, Hazirbas, Ballas, Vincent, Drozdzal, Lopez-Paz, "
            "Ibrahim: ImageNet-X: Understanding Model Mistakes with Factor of Variation Annotations, ICLR 2023")
NOTICE = f"ImageNet-X annotations: {LICENSE} (non-commercial use only); {CITATION}."

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
