"""Images most often put in one category across a population (the authors' ``--list_most_common_errors``).

Over all models, count each (image, target, prediction) whose label list contains the category; sort by count
(descending, ties in image order); look at the ``top`` most frequent keys and list each image once, at its
first key. The output has the format of the published ``common_error_samples/most_common_<category>.txt``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import InvalidInputError
from . import categories as cat
from .listing import format_entry
from .wordnet import wordnet

if TYPE_CHECKING:
    from .engine import TaxonomyResult

__all__ = ["most_common", "format_most_common", "count_spurious_pairs"]


def most_common(result: TaxonomyResult, category: str, *, top: int = 1000, include_problematic: bool = False) -> list[dict]:
    """Entries ``{count, row, file_name, target, labels, pred, detail, label_error, real_rejects_label}`` in listing order.

    ``label_error`` and ``real_rejects_label`` flag known label errors (cleanlab's MTurk-confirmed ones, ReaL
    rejections); they are not part of the published text format.

    Parameters
    ----------
    result : a :class:`~.engine.TaxonomyResult`.
    category : a category name, CLI name (``fg``, ``fg-OOV``, ``spurious_correlation`` ...) or label string.
    top : how many of the most frequent (image, target, prediction) keys to look at (published: 1000).
    include_problematic : also count problematic images (off: the published listings have t in M throughout).
    """
    if not isinstance(top, int) or top < 1:
        raise InvalidInputError(f"Expected `top` to be a positive integer, but got {top!r}.")
    code = cat.get_category(category).code
    kn = result.knowledge
    hit = (result.codes == code) | (result.codes2 == code)
    if not include_problematic:
        hit &= ~kn.problematic[None, :]
    mi, ci = np.nonzero(hit)
    if not len(mi):
        return []
    key = ci.astype(np.int64) * 1001 + result.preds[mi, ci]
    uniq, counts = np.unique(key, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:top]
    from .frames import _label_flags

    label_error, rejects = _label_flags(kn.labels)
    seen: set[int] = set()
    out = []
    for k in order:
        row, pred = int(uniq[k] // 1001), int(uniq[k] % 1001)
        if row in seen:
            continue
        seen.add(row)
        detail = ""
        if code == cat.BY_NAME["OOV_detected_by_clip"].code:
            detail = repr([cat.BY_CODE[code].label, result.oov_details.get((row, pred), "")])
        out.append({"count": int(counts[k]), "row": row, "file_name": str(kn.labels.file_names[row]),
                    "target": int(kn.labels.targets[row]), "labels": kn.labels.label_set(row), "pred": pred,
                    "detail": detail, "label_error": bool(label_error[row]),
                    "real_rejects_label": bool(rejects[row])})
    return out


def format_most_common(entries: list[dict]) -> str:
    """The listing text (blocks separated by blank lines)."""
    wn = wordnet()

    def describe(c: int) -> str:
        w = wn.class_wnids[c]
        return f"{w}: " + ", ".join(lem.replace("_", " ") for lem in wn.lemmas[w])

    blocks = []
    for i, e in enumerate(entries, 1):
        name = e["file_name"].rsplit("/", 1)[-1]
        blocks.append(format_entry(i, e["count"], wn.class_wnids[e["target"]], name, e["target"], e["labels"],
                                   e["pred"], describe, e["detail"]))
    return "\n".join(blocks)


def count_spurious_pairs(result: TaxonomyResult) -> np.ndarray:
    """Distinct unordered pairs (c, p), c in M with cooc(c, p), over all non-problematic spurious rows.

    The authors' ``--count_spurious_correlation_pairs``; returns an int16 (K, 2) array, a < b, sorted.
    """
    from .knowledge import NONE

    kn = result.knowledge
    code = cat.BY_NAME["common_co_occurrences"].code
    mi, ci = np.nonzero((result.codes == code) & ~kn.problematic[None, :])
    if not len(mi):
        return np.zeros((0, 2), dtype=np.int16)
    p = result.preds[mi, ci].astype(np.int64)
    m = kn.m_pad[ci].astype(np.int64)
    hit = kn.cooc_flat[m * (NONE + 1) + p[:, None]] & (m != NONE)
    a = np.broadcast_to(p[:, None], m.shape)[hit]
    b = m[hit]
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    return pairs.astype(np.int16)
