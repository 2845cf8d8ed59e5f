"""The per-image long table of a :class:`~.engine.TaxonomyResult` (written as ``per_image.parquet``).

Columns: ``model``, ``file_name``, ``target``, ``predicted_class``, ``problematic``, ``category`` (category
name of the first label), ``label`` (its exact label string), ``category2`` (the category that ended the
procedure after a problematic-only first label, else empty), and the details: ``superclasses`` (``[S(p)]`` for
fine-grained and OOV-similar-to-target rows), ``shared_superclass_labels`` (ids c in M with same(c, p)),
``cooccurring_labels`` (ids c in M with cooc(c, p)), ``oov_detail`` (the CLIP top-5 string), then
``label_source``, ``cooccurrence_source`` (``published`` / ``derived``), ``clip_step``, and the known label
errors: ``label_error`` (cleanlab's MTurk study confirmed the original label as wrong, Northcutt et al. 2021) and
``real_rejects_label`` (the image has ReaL labels and none is the original label); both False outside the
validation set. Rows whose model has no prediction are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import categories as cat
from .knowledge import NONE

if TYPE_CHECKING:
    from .engine import TaxonomyResult
    from .labels import MultiLabels
    from .superclasses import Superclasses

__all__ = ["per_image_frame", "superclass_strings"]


def superclass_strings(superclasses: Superclasses) -> np.ndarray:
    """``"[name, name]"`` of S(c) for each class c (object array, 1000)."""
    return np.array(["[" + ", ".join(superclasses.of(c)) + "]" for c in range(superclasses.membership.shape[0])],
                    dtype=object)


def _joined(mask: np.ndarray, m_pad: np.ndarray) -> list[str]:
    return [",".join(str(int(x)) for x in row[sel]) for row, sel in zip(m_pad, mask)]


def per_image_frame(result: TaxonomyResult, *, errors_only: bool = False) -> pd.DataFrame:
    """One row per (model, image) with a prediction (only rows with p != t when ``errors_only``)."""
    kn = result.knowledge
    labels = kn.labels
    codes, codes2, preds = result.codes, result.codes2, result.preds
    keep = codes >= 0
    if errors_only:
        keep &= preds != labels.targets[None, :]
    mi, ci = np.nonzero(keep)
    c1 = codes[mi, ci]
    c2 = codes2[mi, ci]
    p = preds[mi, ci].astype(np.int64)
    final = np.where(c2 == cat.NO_CODE, c1, c2)
    names = np.array([cat.BY_CODE[c].name for c in sorted(cat.BY_CODE)], dtype=object)
    label_str = np.array([cat.BY_CODE[c].label for c in sorted(cat.BY_CODE)], dtype=object)
    frame = pd.DataFrame({
        "model": pd.Categorical.from_codes(mi, categories=result.models),
        "file_name": pd.Categorical.from_codes(ci, categories=pd.Index(labels.file_names.astype(str))),
        "target": labels.targets[ci],
        "predicted_class": p.astype(np.int16),
        "problematic": kn.problematic[ci],
        "category": pd.Categorical.from_codes(c1.astype(np.int64), categories=names),
        "label": pd.Categorical.from_codes(c1.astype(np.int64), categories=label_str),
        "category2": pd.Categorical.from_codes(np.where(c2 == cat.NO_CODE, -1, c2).astype(np.int64),
                                               categories=names),
    })
    fg_code = cat.BY_NAME["same_superclass"].code
    sim_code = cat.BY_NAME["OOV_similar_to_target"].code
    sc_code = cat.BY_NAME["common_co_occurrences"].code
    oov_code = cat.BY_NAME["OOV_detected_by_clip"].code
    sstr = superclass_strings(kn.superclasses)
    need = np.isin(final, (fg_code, sim_code))
    uniq, inverse = np.unique(np.append(sstr, ""), return_inverse=True)
    sup = pd.Categorical.from_codes(np.where(need, inverse[np.minimum(p, len(sstr) - 1)], inverse[-1]),
                                    categories=pd.Index(uniq))
    shared = np.full(len(frame), "", dtype=object)
    rows = np.flatnonzero(final == fg_code)
    if len(rows):
        mr = kn.m_pad[ci[rows]]
        shared[rows] = _joined(kn.same_flat[mr * (NONE + 1) + p[rows, None]] & (mr != NONE), mr)
    cooc = np.full(len(frame), "", dtype=object)
    rows = np.flatnonzero(final == sc_code)
    if len(rows):
        mr = kn.m_pad[ci[rows]]
        cooc[rows] = _joined(kn.cooc_flat[mr * (NONE + 1) + p[rows, None]] & (mr != NONE), mr)
    oov = np.full(len(frame), "", dtype=object)
    rows = np.flatnonzero(final == oov_code)
    for r in rows:
        oov[r] = result.oov_details.get((int(ci[r]), int(p[r])), "")
    frame["superclasses"] = sup
    frame["shared_superclass_labels"] = shared
    frame["cooccurring_labels"] = cooc
    frame["oov_detail"] = oov
    frame["label_source"] = pd.Categorical([labels.source] * len(frame))
    frame["cooccurrence_source"] = pd.Categorical([kn.cooccurrence.source] * len(frame))
    frame["clip_step"] = pd.Categorical([result.clip_step] * len(frame))
    le, rej = _label_flags(labels)
    frame["label_error"] = le[ci]
    frame["real_rejects_label"] = rej[ci]
    return frame


def _label_flags(labels: MultiLabels) -> tuple[np.ndarray, np.ndarray]:
    """Known label errors of the labelled rows (cleanlab confirmed, ReaL rejects); False off the val set."""
    from ..datasets._index import VAL_INDEX, val_index
    from ..datasets._label_errors import cleanlab_label_errors, real_rejects_label

    n = len(labels.file_names)
    if labels.index_name != VAL_INDEX:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    pos = val_index().positions(labels.file_names)
    return cleanlab_label_errors().mask[pos], real_rejects_label()[pos]
