"""errorscope: why do ImageNet classifiers fail?

Accuracy under the original, ReaL and multi-label ground truths; ImageNet-X factor analysis (per-factor
accuracies, error ratios, prevalence shifts, calibration, with confidence intervals); the automated error
taxonomy of Peychev et al. (NeurIPS 2023); for one model or thousands.

The ImageNet-X annotations errorscope reads are licensed CC BY-NC 4.0 (Idrissi et al., ICLR 2023).
Submodules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_LAZY = {
    "Predictions": ("predictions", "Predictions"),
    "Population": ("predictions", "Population"),
    "ImageIndex": ("datasets", "ImageIndex"),
    "val_index": ("datasets", "val_index"),
    "class_info": ("datasets", "class_info"),
    "load_factor_annotations": ("imagenetx", "load_factor_annotations"),
    "FACTORS": ("constants", "FACTORS"),
    "METACLASSES": ("constants", "METACLASSES"),
    "read_predictions": ("readers", "read_predictions"),
    "read_population": ("readers", "read_population"),
    "analyze": ("results", "analyze"),
    "diff": ("pairwise", "diff"),
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .results._analyze import analyze
    from .pairwise._diff import diff
    from .imagenetx._annotations import load_factor_annotations
    from .constants import FACTORS, METACLASSES
    from .datasets._index import ImageIndex, class_info, val_index
    from .predictions import Population, Predictions
    from .readers import read_population, read_predictions


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'errorscope' has no attribute {name!r}")
