"""Sources of the common co-occurrence ("spurious correlation") pairs, by name (like the multi-label sources).

``published`` (default)
    The authors' 1,019 pairs (Peychev et al. 2023), recovered from the stored output of their notebook:
    manifest resource ``eth_error_analysis/common_cooccurrence_pairs.csv``. The pairs the paper's statistics
    were computed with, learnt on the 30,000 validation images outside the Shankar et al. evaluation set.
``derived``
    The authors' co-occurrence recipe on the ReaL labels of images **held out of the evaluation**, which must be given
    (``held_out=``; CLI ``--pairs-held-out FILE``). The taxonomy refuses derived pairs learnt on any image it
    classifies (:func:`~.cooccurrence.check_held_out`): pairs learnt on the evaluated label sets inflate the
    spurious-correlation share (measured in ``docs/taxonomy.md``).

Every output of the taxonomy names the pair source (``cooccurrence_source`` and ``cooccurrence_pairs``
columns, ``taxonomy.json``, the CLI summary line).

>>> from errorscope.taxonomy.pair_sources import PAIR_SOURCES, DEFAULT_PAIR_SOURCE
>>> DEFAULT_PAIR_SOURCE, sorted(PAIR_SOURCES)
('published', ['derived', 'published'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from ..exceptions import IngestError, InvalidInputError, ResourceError
from .cooccurrence import Cooccurrence, derive_cooccurrence
from .superclasses import Superclasses, load_superclasses

__all__ = ["PairSource", "PairSourceName", "PAIR_SOURCES", "DEFAULT_PAIR_SOURCE", "PUBLISHED_PAIRS_RESOURCE",
           "load_cooccurrence", "published_cooccurrence", "read_held_out", "check_pair_source"]

PairSourceName = Literal["published", "derived"]
PUBLISHED_PAIRS_RESOURCE = "eth_error_analysis/common_cooccurrence_pairs.csv"


@dataclass(frozen=True)
class PairSource:
    """One registered pair source.

    Attributes
    ----------
    name : the name used by :func:`load_cooccurrence` and ``--pairs``.
    summary : one line for help texts.
    needs_held_out : True if the source needs the held-out images.
    """

    name: str
    summary: str
    needs_held_out: bool


PAIR_SOURCES: dict[str, PairSource] = {
    "published": PairSource("published", "the authors' 1,019 pairs (Peychev et al. 2023, "
                            f"{PUBLISHED_PAIRS_RESOURCE})", False),
    "derived": PairSource("derived", "the authors' co-occurrence recipe on the ReaL labels of images held out of the "
                          "evaluation (needs the held-out images)", True),
}
DEFAULT_PAIR_SOURCE: PairSourceName = "published"


def check_pair_source(value: object) -> PairSourceName:
    """Validate a pair-source name (one of :data:`PAIR_SOURCES`)."""
    if not isinstance(value, str) or value not in PAIR_SOURCES:
        raise InvalidInputError(f"Expected the co-occurrence pair source to be one of {list(PAIR_SOURCES)}, "
                                f"but got {value!r}.")
    return value  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _published() -> Cooccurrence:
    import pandas as pd

    from ..constants import N_CLASSES
    from ..resources import resource_path

    try:
        path = resource_path(PUBLISHED_PAIRS_RESOURCE, download=False)
    except ResourceError as exc:
        raise ResourceError(
            f"{exc} The published pairs are not a file of the authors' repository (they were recovered from "
            "the stored output of its notebook): use a data mirror that holds them, or derive pairs "
            "from held-out images (`--pairs derived --pairs-held-out FILE`).") from None
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise IngestError(path, f"not a readable CSV ({exc}).") from None
    if list(frame.columns[:2]) != ["class_a", "class_b"]:
        raise IngestError(path, f"expected the header 'class_a,class_b', found {list(frame.columns)}.",
                          fix="restore the file from the data mirror.")
    arr = frame[["class_a", "class_b"]].to_numpy()
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= N_CLASSES:
        raise IngestError(path, f"class ids must be integers 0..{N_CLASSES - 1}.", column="class_a/class_b")
    return Cooccurrence.from_pairs(
        arr, source="published",
        description=f"published: {len(arr)} pairs (Peychev et al. 2023, {PUBLISHED_PAIRS_RESOURCE})")


def published_cooccurrence() -> Cooccurrence:
    """The authors' 1,019 pairs (read once per process).

    Returns
    -------
    Cooccurrence with ``source="published"``.
    """
    return _published()


def read_held_out(path: str | Path) -> list[str]:
    """Read a list of held-out validation file names: one per line, or a CSV with a ``file_name`` column.

    Parameters
    ----------
    path : the file. Blank lines and lines starting with ``#`` are skipped; a leading ``<wnid>/`` is dropped.

    Returns
    -------
    list of str, the file names in file order, duplicates removed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IngestError(path, "no such file.", fix="give a text file with one validation file name per line.") from None
    lines = [ln.strip() for ln in text.splitlines()]
    rows = [(i + 1, ln) for i, ln in enumerate(lines) if ln and not ln.startswith("#")]
    if rows and "," in rows[0][1]:
        header = [h.strip() for h in rows[0][1].split(",")]
        if "file_name" not in header:
            raise IngestError(path, f"a CSV list needs a 'file_name' column; found {header}.", row=rows[0][0])
        col = header.index("file_name")
        rows = [(r, ln.split(",")[col].strip()) for r, ln in rows[1:]]
    names = list(dict.fromkeys(name.rsplit("/", 1)[-1] for _, name in rows))
    if not names:
        raise IngestError(path, "no file name in the list.", fix="one validation file name per line.")
    from ..datasets._index import val_index

    pos = val_index().positions(names)
    if (pos < 0).any():
        i = int(np.flatnonzero(pos < 0)[0])
        row = next(r for r, n in rows if n.rsplit("/", 1)[-1] == names[i])
        raise IngestError(path, f"{names[i]!r} is not an ImageNet validation file name.", row=row,
                          fix="use names like 'ILSVRC2012_val_00000001.JPEG'.")
    return names


def load_cooccurrence(source: PairSourceName | str = DEFAULT_PAIR_SOURCE, *,
                      superclasses: Superclasses | str | Path | None = None,
                      held_out: Iterable[str] | None = None, min_count: int = 2) -> Cooccurrence:
    """Load the co-occurrence pairs of a registered source.

    Parameters
    ----------
    source : ``"published"`` (default) or ``"derived"``.
    superclasses : the superclasses of the disjointness filter (``derived`` only; default the package's).
    held_out : ``derived`` only, required: the validation file names whose ReaL labels the recipe reads.
        These images must be left out of the evaluation (:func:`~.cooccurrence.check_held_out`).
    min_count : ``derived`` only: keep pairs seen in at least this many images.

    Returns
    -------
    Cooccurrence

    Examples
    --------
    >>> len(load_cooccurrence().pairs)
    1019
    """
    check_pair_source(source)
    if source == "published":
        if held_out is not None:
            raise InvalidInputError("`held_out` only applies to the 'derived' pair source.")
        return published_cooccurrence()
    if held_out is None:
        raise InvalidInputError(
            "The 'derived' pair source needs the images held out of the evaluation (`held_out=`, CLI "
            "`--pairs-held-out FILE`); deriving pairs on the evaluated images is refused.")
    held_out = list(held_out)
    if not held_out:
        raise InvalidInputError("`held_out` is empty: give the validation files the pairs are derived from.")
    sc = superclasses if isinstance(superclasses, Superclasses) else load_superclasses(superclasses)
    return derive_cooccurrence(sc, include=held_out, min_count=min_count)
