"""Helpers of the taxonomy tests: hand-built label sets and populations, the slow loop reference of §9."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from errorscope.datasets._index import ImageIndex
from errorscope.predictions import Population, Predictions
from errorscope.taxonomy.labels import MultiLabels

DATA = Path(os.environ.get("ERRORSCOPE_DATA_DIR", "../shared/data"))
ETH = DATA / "eth_error_analysis"


def real_model_files() -> list[Path]:
    """The 4 ImageNet-X CSVs and the 15 Shavit CSVs of the data mirror."""
    files = sorted((DATA / "imagenetx/model_predictions/base").glob("*.csv"))
    files += sorted((DATA / "predictions/shavit_analysing_relations").glob("*.csv"))
    return files


def make_labels(rows: list[tuple[str, int, list[int], bool]], *, source: str = "test",
                imagenet_m: list[bool] | None = None) -> MultiLabels:
    """MultiLabels from (file, t, M, problematic) tuples."""
    n = len(rows)
    k = max(1, max(len(r[2]) for r in rows))
    labels = np.full((n, k), -1, dtype=np.int16)
    for i, r in enumerate(rows):
        labels[i, : len(r[2])] = r[2]
    return MultiLabels(source, "test", np.array([r[0] for r in rows], dtype=object),
                       np.array([r[1] for r in rows], dtype=np.int16), labels,
                       np.array([len(r[2]) for r in rows], dtype=np.int16), np.array([r[3] for r in rows]),
                       np.array(imagenet_m if imagenet_m is not None else [False] * n), imagenet_m is not None)


def make_population(labels: MultiLabels, preds: dict[str, list[int]]) -> Population:
    """A population on an index of exactly the labelled files."""
    index = ImageIndex("test", labels.file_names.copy(), labels.targets.copy())
    return Population.from_predictions([Predictions.from_arrays(m, np.array(p), index=index)
                                        for m, p in preds.items()])


def reference_classify(t: int, M: list[int], problematic: bool, p: int, file_name: str, *, same, cooc, collapsed,
                       nonproto: frozenset, oov=None) -> list[str]:
    """Slow, literal transcription of the decision procedure (spec §9), one row at a time; category names.

    ``collapsed`` maps a target to the predictions forgiven for it (spec §6 table).
    """
    out: list[str] = []
    C = collapsed.get(t, ())
    if not M:
        if p == t:
            out.append("empty_multi_label_correct")
        elif p in C:
            out.append("empty_multi_label_correct_collapsed_mapping")
        else:
            out.append("empty_multi_label_wrong")
    elif p == t:
        if t in M:
            return ["correct"]
        out.append("correct_but_wrong_label")
    else:
        if p in C:
            return ["correct_collapsed_mapping"]
        if p in M:
            return ["correct_multi_label"]
    fg = [c for c in M if same[c, p]]
    if fg:
        return out + ["same_superclass"]
    if t not in M:
        if p == t or same[t, p]:
            return out + ["OOV_similar_to_target"]
        if cooc[t, p]:
            return out + ["common_co_occurrences_with_target"]
    if oov is not None and oov(file_name, t, p):
        return out + ["OOV_detected_by_clip"]
    if any(cooc[c, p] for c in M):
        return out + ["common_co_occurrences"]
    if file_name.rsplit("/", 1)[-1] in nonproto:
        return out + ["non_prototypical"]
    return out + ["not_classified"]
