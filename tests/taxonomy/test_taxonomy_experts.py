"""Agreement with the imagenet-mistakes expert categories."""

from __future__ import annotations

import numpy as np

from errorscope.datasets._index import val_index
from errorscope.predictions import Population, Predictions
from errorscope.taxonomy import classify
from errorscope.taxonomy.experts import agreement_summary, expert_agreement
from errorscope.taxonomy.nonproto import expert_mistakes, non_prototypical_files


def test_a_model_predicting_the_experts_choices_is_compared_on_every_entry():
    preds = val_index().labels.copy()
    soups = expert_mistakes("greedy_soups")
    pos = val_index().positions(list(soups))
    preds[pos] = [v["top_prediction"] for v in soups.values()]
    res = classify(Population.from_predictions([Predictions.from_arrays("soups_like", preds)]), "real")
    frame = expert_agreement(res)
    mine = frame[frame.expert_model == "greedy_soups"]
    assert len(mine) == len(soups) == 249
    # ViT-3B entries are compared only where its prediction happens to equal this model's
    vit = expert_mistakes("vit3b")
    shared = [f for f in vit if f in soups and vit[f]["top_prediction"] == soups[f]["top_prediction"]]
    assert (frame.expert_model == "vit3b").sum() == len(shared)
    # a non-prototypical file whose error survives the earlier steps is non-prototypical for us too
    nonproto = mine[mine.expert_category == "Non-prototypical"]
    assert set(nonproto.file_name) <= non_prototypical_files()
    later = nonproto[nonproto.category.isin(["non_prototypical", "not_classified"])]
    assert (later.category == "non_prototypical").all()
    summary = agreement_summary(frame)
    assert summary.loc["Fine-grained error", "matches"] == (
        (~frame.problematic) & (frame.expert_category == "Fine-grained error")).sum()
    assert np.all((summary.agreement >= 0) & (summary.agreement <= 1))
