"""Collect predictions: run timm, torchvision or your own models over an image folder.

:func:`predict` writes one NPZ prediction file and one JSON metadata record per model (format in
:mod:`errorscope.inference.results`), resumably and with per-model failure recording;
:func:`load_prediction_file` reads a file back as :class:`~errorscope.predictions.Predictions`.
torch, torchvision and timm (``pip install 'errorscope[torch]'``) are imported only when a model runs;
Ray (``errorscope[distributed]``) only with ``ray=``.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "predict": ("runner", "predict"),
    "run_model": ("runner", "run_model"),
    "PredictOptions": ("runner", "PredictOptions"),
    "ModelRun": ("runner", "ModelRun"),
    "ModelSpec": ("models", "ModelSpec"),
    "ModelSource": ("models", "ModelSource"),
    "register_source": ("models", "register_source"),
    "resolve_model_names": ("models", "resolve_model_names"),
    "load_model": ("models", "load_model"),
    "output_stem": ("models", "output_stem"),
    "WeightsUnavailableError": ("models", "WeightsUnavailableError"),
    "Preprocessing": ("preprocessing", "Preprocessing"),
    "ImageSet": ("images", "ImageSet"),
    "image_set": ("images", "image_set"),
    "LAYOUTS": ("images", "LAYOUTS"),
    "load_prediction_file": ("results", "load_prediction_file"),
    "read_metadata": ("results", "read_metadata"),
    "predict_ray": ("distributed", "predict_ray"),
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'errorscope.inference' has no attribute {name!r}")
