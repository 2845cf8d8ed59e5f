"""The options shared across errorscope, each with one type, one default and one validator.

Every function and every command that takes one of these options uses the names, choices and defaults
declared here; the command line reads its ``choices=`` and ``default=`` from this module (a test walks the
whole command tree and checks it).

========================  ==========================================  =============================
option                    choices                                     default
========================  ==========================================  =============================
``which``                 ``"top"``, ``"multi"`` (ImageNet-X file)    ``"top"``
``error_type``            ``"class"``, ``"metaclass"``,               ``"class"``
                          ``"real_class"``
``missing``               ``"exclude"``, ``"wrong"``                  ``"exclude"``
``real_empty``            ``"exclude"``, ``"wrong"``                  ``"exclude"``
``confidence``            a level in (0, 1)                           ``0.95``
``labels``                ``"auto"``, ``"real"``, ``"shankar"``       ``"auto"``
                          (multi-label source of MLA and the
                          error taxonomy)
========================  ==========================================  =============================

``labels="auto"`` is resolved in one place, :func:`errorscope.taxonomy.resolve_label_source`: Shankar et al.'s
multi-labels when their file is on this machine, else ReaL.

``missing`` is the coverage convention: an image a prediction file does not cover is left out of every
metric (``"exclude"``), or counted as an error (``"wrong"``), with the same meaning everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from .exceptions import InvalidInputError

__all__ = [
    "Which", "ErrorType", "Missing", "RealEmpty", "WHICH", "ERROR_TYPES", "MISSING", "DEFAULT_WHICH",
    "DEFAULT_ERROR_TYPE", "DEFAULT_MISSING", "DEFAULT_CONFIDENCE", "MIN_FINDING_IMAGES", "check_which",
    "check_error_type", "check_missing", "check_real_empty", "check_confidence", "check_choice", "LabelChoice",
    "LABEL_SOURCES", "DEFAULT_LABELS", "check_labels", "DEFAULT_REAL_EMPTY", "FIGURE_FORMATS",
]

Which = Literal["top", "multi"]
ErrorType = Literal["class", "metaclass", "real_class"]
Missing = Literal["exclude", "wrong"]
RealEmpty = Literal["exclude", "wrong"]
LabelChoice = Literal["auto", "real", "shankar"]

WHICH: tuple[str, ...] = get_args(Which)
ERROR_TYPES: tuple[str, ...] = get_args(ErrorType)
MISSING: tuple[str, ...] = get_args(Missing)
LABEL_SOURCES: tuple[str, ...] = get_args(LabelChoice)

DEFAULT_WHICH: Which = "top"
DEFAULT_ERROR_TYPE: ErrorType = "class"
DEFAULT_MISSING: Missing = "exclude"
DEFAULT_CONFIDENCE = 0.95
DEFAULT_LABELS: LabelChoice = "auto"
DEFAULT_REAL_EMPTY: RealEmpty = "exclude"
#: File formats a figure can be written in.
FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
#: A cell (factor, metaclass x factor, class) backed by fewer images is never listed or coloured as a finding.
MIN_FINDING_IMAGES = 30


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`InvalidInputError`.

    Parameters
    ----------
    name : str
        The option's name, as the caller spells it.
    value : object
        The value given.
    choices : iterable of str
        The allowed values.

    Returns
    -------
    str
        ``value``, unchanged.
    """
    allowed = list(choices)
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInputError(f"Expected argument `{name}` to be one of {allowed}, but got {value!r}.")
    return value


def check_which(value: object) -> Which:
    """Validate an ImageNet-X annotation file name (``"top"`` or ``"multi"``)."""
    return check_choice("which", value, WHICH)  # type: ignore[return-value]


def check_error_type(value: object) -> ErrorType:
    """Validate a correctness rule (``"class"``, ``"metaclass"`` or ``"real_class"``)."""
    return check_choice("error_type", value, ERROR_TYPES)  # type: ignore[return-value]


def check_missing(value: object) -> Missing:
    """Validate the coverage convention (``"exclude"`` or ``"wrong"``)."""
    return check_choice("missing", value, MISSING)  # type: ignore[return-value]


def check_real_empty(value: object) -> RealEmpty:
    """Validate how images with an empty ReaL label set count (``"exclude"`` or ``"wrong"``)."""
    return check_choice("real_empty", value, MISSING)  # type: ignore[return-value]


def check_confidence(value: object) -> float:
    """Validate an interval level, a number strictly between 0 and 1."""
    try:
        level = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        level = float("nan")
    if not 0.0 < level < 1.0:
        raise InvalidInputError(f"Expected argument `confidence` to be in (0, 1), but got {value!r}.")
    return level


def check_labels(value: object) -> LabelChoice:
    """Validate a multi-label source name (``"auto"``, ``"real"`` or ``"shankar"``)."""
    return check_choice("labels", value, LABEL_SOURCES)  # type: ignore[return-value]
