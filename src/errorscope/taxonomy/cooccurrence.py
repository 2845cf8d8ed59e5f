"""Common co-occurrence ("spurious correlation") pairs, derived from the ReaL labels (Peychev et al. 2023; see docs/taxonomy.md).

Recipe: go through the 50,000 ReaL lists; skip the excluded files (the evaluation set of the multi-label
source, so that pairs are learnt on held-out images); skip empty lists (the original label is not added to
them); append the original label when it is missing; skip lists of one label; count each unordered pair once
per image. Keep the pairs whose superclasses are disjoint and that occur in at least ``min_count`` images.

With the Shankar et al. evaluation set excluded and the authors' superclasses this gives the published 1,019
pairs. Pairs derived on the images that are then classified inflate the spurious-correlation share (learnt on
the same label sets they are then matched against), so the taxonomy refuses such pairs
(:func:`check_held_out`): derive them from images held out of the evaluation (``include=``), or use the
published pairs (:mod:`.pair_sources`, the default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..constants import N_CLASSES
from ..exceptions import InvalidInputError
from .superclasses import Superclasses

__all__ = ["Cooccurrence", "derive_cooccurrence", "check_held_out"]


@dataclass(frozen=True, eq=False)
class Cooccurrence:
    """The derived pairs and the counts of every recipe step.

    Attributes
    ----------
    counts : int32 (1000, 1000) symmetric: images in which both labels occur.
    pairs : int16 (K, 2) the kept unordered pairs, a < b, sorted.
    matrix : bool (1000, 1000) symmetric membership (both orderings), ``cooc(a, b)``.
    steps : dict of the recipe's counts (excluded, empty, single_label, contributing, pair_occurrences,
        distinct_pairs, disjoint_pairs, kept_pairs).
    n_excluded_files : how many files were excluded.
    source : the pair source's name (``"published"``, ``"derived"``, or ``"given"`` for :meth:`from_pairs`).
    description : one line naming where the pairs come from (written to every taxonomy output).
    used : bool (50,000,) or None: the validation images whose labels the recipe read (None for given pairs).
    """

    counts: np.ndarray
    pairs: np.ndarray
    matrix: np.ndarray
    steps: dict[str, int]
    n_excluded_files: int
    source: str = "derived"
    description: str = ""
    used: np.ndarray | None = None

    @property
    def n_used_files(self) -> int:
        """How many validation images the recipe read (0 for given pairs)."""
        return 0 if self.used is None else int(self.used.sum())

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]] | np.ndarray, *, source: str = "given",
                   description: str | None = None) -> "Cooccurrence":
        """Use a given list of unordered pairs (for example the authors' 1,019) instead of deriving them.

        Parameters
        ----------
        pairs : int array (K, 2) or iterable of (int, int)
            Unordered class-id pairs.
        source : str
            The name recorded in the outputs.
        description : str, optional
            The line recorded in the outputs (default ``"<source>: K pairs"``).

        Returns
        -------
        Cooccurrence
            The pairs with zero counts and no held-out files.
        """
        arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if arr.size and (arr.min() < 0 or arr.max() >= N_CLASSES):
            raise InvalidInputError(f"Co-occurrence pairs must hold class ids 0..{N_CLASSES - 1}.")
        lo, hi = np.minimum(arr[:, 0], arr[:, 1]), np.maximum(arr[:, 0], arr[:, 1])
        matrix = np.zeros((N_CLASSES, N_CLASSES), dtype=bool)
        matrix[lo, hi] = True
        matrix[hi, lo] = True
        matrix[np.arange(N_CLASSES), np.arange(N_CLASSES)] = False
        pa, pb = np.nonzero(np.triu(matrix, 1))
        matrix.flags.writeable = False
        return cls(np.zeros((N_CLASSES, N_CLASSES), dtype=np.int32), np.stack([pa, pb], 1).astype(np.int16),
                   matrix, {"kept_pairs": int(len(pa))}, 0, source,
                   description if description is not None else f"{source}: {len(pa)} pairs")


def derive_cooccurrence(superclasses: Superclasses, *, exclude: Iterable[str] = (),
                        include: Iterable[str] | None = None, min_count: int = 2,
                        real_labels: tuple[np.ndarray, np.ndarray] | None = None,
                        targets: np.ndarray | None = None) -> Cooccurrence:
    """Run the co-occurrence recipe.

    Parameters
    ----------
    superclasses : the superclasses used for the disjointness filter.
    exclude : validation file names to skip (the evaluation set of the Shankar source).
    include : if given, read only these validation files (the images held out of the evaluation); the
        others count as excluded.
    min_count : keep pairs seen in at least this many images (published: 2).
    real_labels, targets : the padded ReaL matrix and sizes, and the original labels; default: the
        package's ReaL labels and :func:`~errorscope.datasets.val_index` labels (row i = val image i + 1).

    Returns
    -------
    Cooccurrence
        Pair counts, the kept pairs and their symmetric matrix, with ``source="derived"`` and ``used`` = the
        images read. Classifying any of those images with these pairs is refused by :func:`check_held_out`.
    """
    from ..datasets._real import real_label_sets
    from ..datasets._index import val_index

    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise InvalidInputError(f"Expected `min_count` to be a positive integer, but got {min_count!r}.")
    labels, sizes = real_labels if real_labels is not None else real_label_sets()
    t = np.asarray(targets if targets is not None else val_index().labels).astype(np.int16)
    n = len(sizes)
    excluded = np.zeros(n, dtype=bool)
    exclude = list(exclude)
    if exclude:
        pos = val_index().positions(exclude)
        excluded[pos[pos >= 0]] = True
    if include is not None:
        include = list(include)
        pos = val_index().positions(include)
        if (pos < 0).any():
            bad = include[int(np.flatnonzero(pos < 0)[0])]
            raise InvalidInputError(f"Held-out image {bad!r} is not an ImageNet validation file name "
                                    "(expected names like 'ILSVRC2012_val_00000001.JPEG').")
        keep = np.zeros(n, dtype=bool)
        keep[pos] = True
        excluded |= ~keep
    empty = (sizes == 0) & ~excluded
    live = ~excluded & ~empty
    present = labels >= 0
    has_t = (labels == t[:, None]).any(axis=1)
    # the list with the original label appended where missing, as a padded matrix
    full = np.concatenate([labels, np.where(has_t, -1, t)[:, None].astype(np.int16)], axis=1)
    full_present = np.concatenate([present, ~has_t[:, None]], axis=1)
    n_labels = full_present.sum(axis=1)
    single = live & (n_labels == 1)
    contributing = live & (n_labels >= 2)
    rows = full[contributing]
    ok = full_present[contributing]
    k = rows.shape[1]
    ia, ib = np.triu_indices(k, 1)
    a, b = rows[:, ia], rows[:, ib]
    valid = ok[:, ia] & ok[:, ib] & (a != b)
    lo, hi = np.minimum(a, b)[valid].astype(np.int64), np.maximum(a, b)[valid].astype(np.int64)
    # one count per image and unordered pair (duplicated labels within a list are counted once)
    img = np.broadcast_to(np.arange(len(rows))[:, None], a.shape)[valid]
    key = np.unique(img.astype(np.int64) * N_CLASSES * N_CLASSES + lo * N_CLASSES + hi)
    flat = key % (N_CLASSES * N_CLASSES)
    counts = np.bincount(flat, minlength=N_CLASSES * N_CLASSES).reshape(N_CLASSES, N_CLASSES).astype(np.int32)
    counts = counts + counts.T
    upper = np.triu(counts > 0, 1)
    disjoint = upper & ~superclasses.same
    kept = disjoint & (counts >= min_count)
    pa, pb = np.nonzero(kept)
    pairs = np.stack([pa, pb], axis=1).astype(np.int16)
    matrix = kept | kept.T
    matrix.flags.writeable = False
    steps = {
        "excluded": int(excluded.sum()), "empty": int(empty.sum()), "single_label": int(single.sum()),
        "contributing": int(contributing.sum()), "pair_occurrences": int(len(key)),
        "distinct_pairs": int(upper.sum()), "disjoint_pairs": int(disjoint.sum()), "kept_pairs": int(kept.sum()),
    }
    used = ~excluded
    used.flags.writeable = False
    what = f"{int(used.sum())} held-out images" if include is not None else f"{int(used.sum())} images"
    return Cooccurrence(counts, pairs, matrix, steps, int(excluded.sum()), "derived",
                        f"derived: {int(kept.sum())} pairs from the ReaL labels of {what} (min count {min_count})",
                        used)


def check_held_out(cooccurrence: Cooccurrence, file_names: np.ndarray, *, source: str = "") -> None:
    """Refuse derived pairs learnt on any of the evaluated images.

    Parameters
    ----------
    cooccurrence : the pairs.
    file_names : the evaluated images (validation file names; other names, e.g. ImageNet-A, never overlap).
    source : the multi-label source's name, for the message.

    Raises
    ------
    InvalidInputError
        If a file the recipe read is among ``file_names``.
    """
    if cooccurrence.used is None or not len(file_names):
        return
    from ..datasets._index import val_index

    pos = val_index().positions([str(f).rsplit("/", 1)[-1] for f in file_names])
    pos = pos[pos >= 0]
    overlap = cooccurrence.used[pos] if len(pos) else np.zeros(0, dtype=bool)
    if overlap.any():
        first = val_index().file_names[pos[int(np.flatnonzero(overlap)[0])]]
        raise InvalidInputError(
            f"The co-occurrence pairs were derived on {int(overlap.sum())} of the images being classified "
            f"(label source {source!r}; first: {first!r}). Pairs learnt on the evaluated images inflate the "
            "spurious-correlation share. Use the published pairs (pairs='published', the default), or derive "
            "them from images held out of the evaluation (load_cooccurrence('derived', held_out=...), CLI "
            "`--pairs derived --pairs-held-out FILE`), which leaves those images out of the evaluation.")
