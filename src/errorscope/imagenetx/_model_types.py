"""Model-type groups of the ImageNet-X paper (supervised, more data, self-supervised, robustness ...).

The assignment is the exact-name lookup of ``imagenet_x.model_types.model_types_map`` (397 names, including the
generated ``resnet18_50k_{i}_epochs`` / ``resnet18_100k_{i}_epochs`` / ``resnet101_{i}_epochs`` low-accuracy
CNNs), imported at run time from the installed ``imagenet-x`` package rather than copied. That map names the
paper's own four base models (``model_predictions/base``: DINO, ResNet50, SimCLR, ViT) only partly, so
:data:`BASE_MODEL_TYPES` types them from the paper: SimCLR and DINO are self-supervised (Appendix, "SimCLR
versus ResNet-50 ... ViT versus DINO"), ResNet-50 is a supervised ImageNet-1K model (the map's ``resnet50``),
and the ViT is "trained on ImageNet-21k" (Appendix A, "Assessing ViT's bias modes"), i.e. supervised on more
data, as the map's ``vit_*_patch16_224``. As in the package's plots, the exact name ``"human"`` is
"Original validation annotations" and every other name is "Other".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import ModuleType

import pandas as pd

__all__ = ["HUMAN", "OTHER", "MODEL_TYPE_ORDER", "BASE_MODEL_TYPES", "model_type", "model_types",
           "model_type_names", "selfsupervised_models"]

HUMAN = "Original validation annotations"
OTHER = "Other"

#: The ImageNet-X paper's base models (``model_predictions/base``) -> model type, with the type names of
#: ``imagenet_x.model_types.ModelTypes``; consulted after the package's exact-name map (which has ``DINO``).
BASE_MODEL_TYPES: dict[str, str] = {
    "DINO": "Self-supervised",
    "SimCLR": "Self-supervised",
    "ResNet50": "Supervised on ImageNet-1K",
    "ViT": "Supervised on more data",
}


@lru_cache(maxsize=1)
def _module() -> ModuleType:
    import imagenet_x.model_types as mt

    return mt


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    mt = _module()
    return {name: kind.value for name, kind in mt.model_types_map.items()}


def model_type_names() -> list[str]:
    """The ten ``ModelTypes`` values of ImageNet-X, in their declaration order.

    Returns
    -------
    list of str
        The model-type names.
    """
    return [kind.value for kind in _module().ModelTypes]


#: The four groups the paper plots, in its order (Supervised on more data, on ImageNet-1K, SSL, robust).
MODEL_TYPE_ORDER: list[str] = [
    "Supervised on more data", "Supervised on ImageNet-1K", "Self-supervised", "Robustness intervention",
]


def model_type(name: str) -> str:
    """The ImageNet-X model type of the model called ``name``.

    The ``imagenet_x`` package's exact-name map first, then the paper's base models (:data:`BASE_MODEL_TYPES`),
    else "Other".

    Parameters
    ----------
    name : the model name.

    Returns
    -------
    str, a ``ModelTypes`` value of ImageNet-X, "Original validation annotations" or "Other".

    Examples
    --------
    >>> model_type("resnet50"), model_type("DINO"), model_type("resnet18_50k_3_epochs")
    ('Supervised on ImageNet-1K', 'Self-supervised', 'Low Accuracy CNN')
    >>> model_type("SimCLR"), model_type("ViT")
    ('Self-supervised', 'Supervised on more data')
    >>> model_type("human"), model_type("my_model")
    ('Original validation annotations', 'Other')
    """
    if name == "human":
        return HUMAN
    found = _lookup().get(name)
    if found is not None:
        return found
    return BASE_MODEL_TYPES.get(name, OTHER)


def model_types(names: Iterable[str], *, mapping: Mapping[str, str] | None = None) -> pd.Series:
    """:func:`model_type` of every name, as a Series indexed by ``model`` (name ``model_type``).

    Parameters
    ----------
    names : iterable of str
        Model names.
    mapping : mapping of str to str, optional
        Name -> type; overrides the lookup, so the user's own models can be typed.

    Returns
    -------
    Series
        The type of every name, indexed by ``model``, named ``model_type``.

    Examples
    --------
    >>> model_types(["DINO", "mine"], mapping={"mine": "Mine"}).tolist()
    ['Self-supervised', 'Mine']
    """
    names = [str(n) for n in names]
    types = [str(mapping[n]) if mapping and n in mapping else model_type(n) for n in names]
    return pd.Series(types, index=pd.Index(names, name="model"), name="model_type")


def selfsupervised_models() -> list[str]:
    """``SELFSUPERVISED_MODELS`` of ImageNet-X: the models of modelvshuman/base that enter the main plots.

    Returns
    -------
    list of str
        The model names.
    """
    return list(_module().SELFSUPERVISED_MODELS)
