"""The non-prototypical set (Peychev et al. 2023): validation files the imagenet-mistakes experts called
``Non-prototypical`` (Vasudevan et al. 2022, "When does dough become a bagel?").

The union over ``greedy_soups_mistakes.json`` and ``vit3b_mistakes.json`` of the keys whose
``"failure category"`` is exactly ``"Non-prototypical"``: 36 distinct files. The rule depends only on the file.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ..exceptions import ResourceError

__all__ = ["non_prototypical_files", "expert_mistakes", "MISTAKE_FILES"]

#: The two expert-reviewed model mistake files of google-research/imagenet-mistakes.
MISTAKE_FILES = {"greedy_soups": "imagenet_mistakes/greedy_soups_mistakes.json",
                 "vit3b": "imagenet_mistakes/vit3b_mistakes.json"}


@lru_cache(maxsize=2)
def expert_mistakes(model: str) -> dict[str, dict]:
    """Entries of one expert file: file name -> {top_prediction, failure category, failure severity}."""
    from ..resources import resource_path

    if model not in MISTAKE_FILES:
        raise ResourceError(f"Unknown expert mistake file {model!r}; expected one of {sorted(MISTAKE_FILES)}.")
    path = resource_path(MISTAKE_FILES[model])
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ResourceError(f"{path}: expected a JSON object keyed by file name.")
    return data


@lru_cache(maxsize=1)
def non_prototypical_files() -> frozenset[str]:
    """The 36 validation files labelled exactly ``Non-prototypical`` by the experts.

    Examples
    --------
    >>> len(non_prototypical_files())
    36
    """
    return frozenset(name for model in MISTAKE_FILES for name, entry in expert_mistakes(model).items()
                     if entry.get("failure category") == "Non-prototypical")
