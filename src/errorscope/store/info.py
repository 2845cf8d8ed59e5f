"""Metadata of a stored model: architecture, training data, parameter count, model type and free tags."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..exceptions import InvalidInputError
from ..imagenetx._model_types import model_type

__all__ = ["ModelInfo", "parse_tags"]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class ModelInfo:
    """What is known about a model besides its predictions.

    Attributes
    ----------
    architecture : e.g. ``"resnet50"`` (the ETH ``arch`` field).
    training_data : e.g. ``"ImageNet-1k (1.2M)"`` (the ETH ``training_data`` field).
    n_params : parameter count.
    model_type : ImageNet-X model-type group; None = look the name up (:func:`~errorscope.imagenetx.model_type`:
        the ImageNet-X map, then the paper's base models DINO, SimCLR, ResNet50, ViT; "Other" when absent).
    tags : free ``key -> value`` strings.
    """

    architecture: str | None = None
    training_data: str | None = None
    n_params: int | None = None
    model_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_params is not None:
            if isinstance(self.n_params, bool) or int(self.n_params) != self.n_params or self.n_params < 0:
                raise InvalidInputError(f"Expected `n_params` to be a non-negative integer, but got {self.n_params!r}.")
            object.__setattr__(self, "n_params", int(self.n_params))
        for key, value in self.tags.items():
            if not isinstance(key, str) or not _KEY.match(key):
                raise InvalidInputError(
                    f"Tag key {key!r} is not valid: expected letters, digits, '_', '.', '-' starting with a letter."
                )
            if not isinstance(value, str):
                raise InvalidInputError(f"Tag {key!r} must have a string value, but got {type(value).__name__}.")

    def resolved_type(self, model: str) -> str:
        """The model type to store for ``model``: the given one, else the ImageNet-X lookup.

        Parameters
        ----------
        model : str
            The model name.

        Returns
        -------
        str
            The model type.
        """
        return self.model_type if self.model_type else model_type(model)


def parse_tags(items: Iterable[str]) -> dict[str, str]:
    """Parse ``key=value`` strings (as given to ``--tag``).

    Parameters
    ----------
    items : iterable of str
        ``key=value`` strings; the value may itself contain ``=``.

    Returns
    -------
    dict of str to str
        Key -> value.

    Examples
    --------
    >>> parse_tags(["lr=0.1", "run=a=b"])
    {'lr': '0.1', 'run': 'a=b'}
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"Expected a tag as key=value, but got {item!r}. Example: --tag lr=0.1")
        if not _KEY.match(key):
            raise InvalidInputError(
                f"Tag key {key!r} is not valid: expected letters, digits, '_', '.', '-' starting with a letter."
            )
        out[key] = value
    return out
