"""Agreement with the expert categories of the imagenet-mistakes metadata (Vasudevan et al. 2022).

The experts reviewed the mistakes of two models (Greedy Soups, ViT-3B) and gave each a ``failure category``.
Where one of our models predicts exactly the experts' ``top_prediction`` for the image, the expert category and
ours describe the same error and can be compared. Expert categories map to ours as follows (the spelling
variants of the files are merged): ``Fine-grained error`` -> same superclass; ``Fine-grained error with OOV``
and ``Fine-grained with OOV`` -> fine-grained OOV; ``Spurious Correlation`` -> common co-occurrences;
``Non-prototypical`` -> non-prototypical; ``Fine-grained with Multilabel Options`` -> same superclass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import categories as cat
from .nonproto import MISTAKE_FILES, expert_mistakes

if TYPE_CHECKING:
    from .engine import TaxonomyResult

__all__ = ["EXPERT_TO_CATEGORY", "expert_agreement", "agreement_summary"]

EXPERT_TO_CATEGORY = {
    "Fine-grained error": "same_superclass",
    "Fine-grained with Multilabel Options": "same_superclass",
    "Fine-grained error with OOV": "OOV_detected_by_clip",
    "Fine-grained with OOV": "OOV_detected_by_clip",
    "Spurious Correlation": "common_co_occurrences",
    "Non-prototypical": "non_prototypical",
}


def expert_agreement(result: TaxonomyResult) -> pd.DataFrame:
    """One row per (model, expert file, image) where the model's prediction equals the experts'.

    Columns: ``model``, ``expert_model``, ``file_name``, ``problematic``, ``pred``, ``expert_category``, ``expected`` (our
    category name for it), ``category`` (ours), ``agree``. Summaries: ``frame.groupby("expert_category").agree.mean()``.
    """
    kn = result.knowledge
    pos_of = {str(f).rsplit("/", 1)[-1]: i for i, f in enumerate(kn.labels.file_names)}
    final = result.final_codes()
    rows = []
    for expert in MISTAKE_FILES:
        for name, entry in expert_mistakes(expert).items():
            i = pos_of.get(name)
            if i is None:
                continue
            pred = int(entry["top_prediction"])
            match = np.flatnonzero(result.preds[:, i] == pred)
            expected = EXPERT_TO_CATEGORY.get(entry.get("failure category", ""), "")
            for m in match:
                ours = cat.BY_CODE[int(final[m, i])].name
                rows.append((result.models[m], expert, name, bool(kn.problematic[i]), pred,
                             entry.get("failure category", ""), expected, ours, ours == expected))
    return pd.DataFrame(rows, columns=["model", "expert_model", "file_name", "problematic", "pred", "expert_category",
                                       "expected", "category", "agree"])


def agreement_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per expert category, over non-problematic rows: matches, agreement, and agreement among the rows our
    label source still counts as errors (not multi-label correct)."""
    rows = frame[~frame["problematic"]]
    errors = rows[~rows["category"].isin(["correct_multi_label", "correct_collapsed_mapping"])]
    return pd.DataFrame({"matches": rows.groupby("expert_category").size(),
                         "agreement": rows.groupby("expert_category")["agree"].mean(),
                         "matches_still_errors": errors.groupby("expert_category").size(),
                         "agreement_on_errors": errors.groupby("expert_category")["agree"].mean()}).fillna(0)
