"""Known label errors of the ImageNet validation set.

Two sources, both as boolean masks over the 50,000 validation images (row i = ``ILSVRC2012_val_{i+1:08d}.JPEG``):

* :func:`cleanlab_label_errors`: the images Northcutt et al. (NeurIPS 2021, "Pervasive Label Errors in Test Sets")
  confirmed as label errors on Amazon Mechanical Turk. ``imagenet_mturk.json`` lists the 5,440 candidates that
  cleanlab flagged, each shown to 5 workers who chose the given label, cleanlab's guessed label, both or neither;
  a candidate is a confirmed error when fewer than 3 of the 5 workers chose the given label (``mturk.given < 3``),
  the paper's definition, which gives its 2,916 ImageNet errors. The JSON's ``id`` is the number in the file name
  (the data mirror's PROVENANCE checks this against the original labels), so id k is row k - 1.
* :func:`real_rejects_label`: the images whose ReaL label set (Beyer et al. 2020) exists and does not contain the
  original label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import IngestError

__all__ = ["LabelErrors", "cleanlab_label_errors", "real_rejects_label", "CLEANLAB_RESOURCE", "N_VAL"]

CLEANLAB_RESOURCE = "cleanlab_label_errors/imagenet_mturk.json"
N_VAL = 50_000


@dataclass(frozen=True, eq=False)
class LabelErrors:
    """Confirmed label errors (cleanlab MTurk study) over the 50,000 validation images.

    Attributes
    ----------
    mask : bool (50000,), True for a confirmed label error.
    candidate : bool (50000,), True for the 5,440 images shown to workers.
    guessed : int16 (50000,), cleanlab's guessed label of a candidate (-1 elsewhere).
    votes_given : int8 (50000,), workers (of 5) who kept the given label (-1 for non-candidates).
    source : str, the resource the masks come from.
    """

    mask: np.ndarray
    candidate: np.ndarray
    guessed: np.ndarray
    votes_given: np.ndarray
    source: str = CLEANLAB_RESOURCE

    @property
    def n(self) -> int:
        """Number of confirmed label errors."""
        return int(self.mask.sum())


@lru_cache(maxsize=1)
def cleanlab_label_errors() -> LabelErrors:
    """The validation images cleanlab's MTurk study confirmed as label errors (fewer than 3 of 5 kept the label).

    Returns
    -------
    LabelErrors

    Raises
    ------
    IngestError
        If the JSON does not have the expected fields or ids.

    Examples
    --------
    >>> errs = cleanlab_label_errors()
    >>> errs.n, int(errs.candidate.sum())
    (2916, 5440)
    """
    from ..resources import resource_path

    path = resource_path(CLEANLAB_RESOURCE)
    with open(path, encoding="utf-8") as fh:
        entries = json.load(fh)
    mask = np.zeros(N_VAL, dtype=bool)
    candidate = np.zeros(N_VAL, dtype=bool)
    guessed = np.full(N_VAL, -1, dtype=np.int16)
    votes = np.full(N_VAL, -1, dtype=np.int8)
    for row, e in enumerate(entries):
        try:
            i = int(e["id"]) - 1
            given = int(e["mturk"]["given"])
            guess = int(e["our_guessed_label"])
        except (KeyError, TypeError, ValueError):
            raise IngestError(path, "expected an object with 'id', 'our_guessed_label' and 'mturk': {'given': ...}.",
                              row=row, fix="re-fetch the file with `errorscope data fetch`.") from None
        if not 0 <= i < N_VAL or not 0 <= guess < N_CLASSES or not 0 <= given <= 5:
            raise IngestError(path, f"id {e['id']} / guessed label {guess} / votes {given} out of range.", row=row,
                              fix="re-fetch the file with `errorscope data fetch`.")
        candidate[i] = True
        guessed[i] = guess
        votes[i] = given
        mask[i] = given < 3
    return LabelErrors(mask, candidate, guessed, votes)


@lru_cache(maxsize=1)
def real_rejects_label() -> np.ndarray:
    """bool (50000,): the image has ReaL labels and none of them is the original label.

    Examples
    --------
    >>> int(real_rejects_label().sum()) > 0
    True
    """
    from ..datasets._index import val_index
    from ._real import real_label_sets

    labels, sizes = real_label_sets()
    t = val_index().labels.astype(np.int16)
    return (sizes > 0) & ~(labels == t[:, None]).any(axis=1)
