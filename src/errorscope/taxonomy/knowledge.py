"""Class and image knowledge the decision procedure looks up, as dense NumPy tables.

:class:`Knowledge` bundles the per-class tables (same superclass, co-occurrence, collapsed mapping: each a
(1001, 1001) bool matrix whose last row and column stand for "no class", so padded label sets and missing
predictions need no masking) and the per-image tables of one :class:`~.labels.MultiLabels` (targets, padded
label sets, problematic and non-prototypical masks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import N_CLASSES
from .collapsed import collapsed_matrix
from .cooccurrence import Cooccurrence, derive_cooccurrence
from .labels import MultiLabels
from .nonproto import non_prototypical_files
from .superclasses import Superclasses, load_superclasses

__all__ = ["Knowledge", "build_knowledge", "NONE"]

#: Index of the "no class" row/column of the extended class tables.
NONE = N_CLASSES


def _extend(mat: np.ndarray) -> np.ndarray:
    out = np.zeros((N_CLASSES + 1, N_CLASSES + 1), dtype=bool)
    out[:N_CLASSES, :N_CLASSES] = mat
    return out


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything the label-only steps need.

    Attributes
    ----------
    labels : the multi-label source.
    superclasses : superclass definitions.
    cooccurrence : the derived co-occurrence pairs.
    same, cooc, collapsed : bool (1001, 1001), flattened copies in ``*_flat`` for fast gathers.
    t : int32 (n,) targets.
    m_pad : int32 (n, k) label sets with ``NONE`` padding.
    t_in_m, problematic, nonproto : bool (n,)
    cooc_excluded : how the co-occurrence pairs were derived (files held out).
    """

    labels: MultiLabels
    superclasses: Superclasses
    cooccurrence: Cooccurrence
    same: np.ndarray
    cooc: np.ndarray
    collapsed: np.ndarray
    t: np.ndarray
    m_pad: np.ndarray
    t_in_m: np.ndarray
    problematic: np.ndarray
    nonproto: np.ndarray
    cooc_excluded: str

    @property
    def same_flat(self) -> np.ndarray:
        """``same`` flattened, for gathers at ``a * 1001 + b``."""
        return self.same.reshape(-1)

    @property
    def cooc_flat(self) -> np.ndarray:
        """``cooc`` flattened, for gathers at ``a * 1001 + b``."""
        return self.cooc.reshape(-1)

    @property
    def collapsed_flat(self) -> np.ndarray:
        """``collapsed`` flattened, for gathers at ``a * 1001 + b``."""
        return self.collapsed.reshape(-1)


def build_knowledge(labels: MultiLabels, *, superclasses: Superclasses | str | Path | None = None,
                    cooccurrence: Cooccurrence | None = None) -> Knowledge:
    """Build the lookup tables for ``labels``.

    Co-occurrence pairs are derived with :func:`~errorscope.taxonomy.derive_cooccurrence` (docs/taxonomy.md).
    Held-out files: the evaluation set itself for the
    ``shankar`` source (as the authors did); for ``imagenet-a`` the Shankar files when that file is on this
    machine (the authors reuse the ImageNet pairs), else none; for ``real`` none (see the module docs of
    :mod:`.cooccurrence`).

    Parameters
    ----------
    labels : MultiLabels
        The multi-label source.
    superclasses : Superclasses, str, Path or None
        Superclass definitions, a file of them, or None for the package's own.
    cooccurrence : Cooccurrence, optional
        Pairs to use instead of deriving them.

    Returns
    -------
    Knowledge
        The lookup tables.
    """
    sc = superclasses if isinstance(superclasses, Superclasses) else load_superclasses(superclasses)
    if cooccurrence is None:
        exclude: list[str] = []
        how = "none held out"
        if labels.source == "shankar":
            exclude, how = list(labels.file_names), f"{len(labels)} Shankar et al. files held out"
        elif labels.source == "imagenet-a":
            from .labels import load_multilabels, shankar_available

            if shankar_available():
                exclude = list(load_multilabels("shankar").file_names)
                how = f"{len(exclude)} Shankar et al. files held out"
        cooccurrence = derive_cooccurrence(sc, exclude=exclude)
    else:
        how = f"given ({cooccurrence.n_excluded_files} files held out)"
    m_pad = labels.labels.astype(np.int32)
    m_pad[m_pad < 0] = NONE
    t = labels.targets.astype(np.int32)
    nonproto_files = non_prototypical_files()
    nonproto = np.array([str(f).rsplit("/", 1)[-1] in nonproto_files for f in labels.file_names], dtype=bool)
    if labels.source == "imagenet-a":
        nonproto[:] = False  # the rule is about ImageNet validation files only
    return Knowledge(labels, sc, cooccurrence, _extend(sc.same), _extend(cooccurrence.matrix),
                     _extend(collapsed_matrix()), t, m_pad, (m_pad == t[:, None]).any(axis=1),
                     labels.problematic.copy(), nonproto, how)
