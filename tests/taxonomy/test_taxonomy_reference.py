"""The vectorised engine against the slow loop reference on every real model of the data mirror (19 models,
50,000 images each, ReaL labels), and the partition identities of the statistics."""

from __future__ import annotations

import numpy as np
import pytest

from errorscope.taxonomy import categories as cat
from errorscope.taxonomy import classify
from errorscope.taxonomy.collapsed import COLLAPSED_MAPPINGS
from errorscope.taxonomy.nonproto import non_prototypical_files
from errorscope.taxonomy.wordnet import GROUPS, class_groups
from .taxonomy_helpers import reference_classify


@pytest.fixture(scope="module")
def result(real_population):
    return classify(real_population, "real")


@pytest.mark.slow
def test_engine_equals_loop_reference_on_every_real_model(result):
    kn = result.knowledge
    same, cooc = kn.superclasses.same, kn.cooccurrence.matrix
    labels = kn.labels
    sets = [labels.label_set(i) for i in range(len(labels))]
    t = labels.targets.tolist()
    prob = labels.problematic.tolist()
    names = labels.file_names.tolist()
    nonproto = non_prototypical_files()
    collapsed = {k: set(v) for k, v in COLLAPSED_MAPPINGS.items()}
    code_of = {c.name: c.code for c in cat.CATEGORIES}
    for m, model in enumerate(result.models):
        preds = result.preds[m].tolist()
        first = np.empty(len(t), dtype=np.int8)
        second = np.full(len(t), cat.NO_CODE, dtype=np.int8)
        for i in range(len(t)):
            ref = reference_classify(t[i], sets[i], prob[i], preds[i], names[i], same=same, cooc=cooc,
                                     collapsed=collapsed, nonproto=nonproto)
            first[i] = code_of[ref[0]]
            if len(ref) > 1:
                second[i] = code_of[ref[1]]
        assert np.array_equal(first, result.codes[m]), f"{model}: first labels differ"
        assert np.array_equal(second, result.codes2[m]), f"{model}: second labels differ"


def test_categories_partition_each_models_errors(result):
    kn = result.knowledge
    nonprob = ~kn.problematic
    errors = (result.preds != kn.labels.targets[None, :]) & nonprob[None, :]
    codes = result.codes
    # every non-problematic error gets exactly one of the seven error categories, never a problematic-only one
    assert np.isin(codes[errors], cat.ERROR_CODES).all()
    assert (codes[~errors & nonprob[None, :]] == 0).all()
    assert (result.codes2[:, nonprob] == cat.NO_CODE).all()
    for g in GROUPS:
        st = result.stats(g)
        cols = ["num_collapsed_mappings", "num_ambiguous", "num_same_superclass", "num_common_co_occ",
                "num_non_prototypical", "num_OOV_clip", "num_not_classified"]
        assert (st[cols].sum(axis=1) == st["num_group_top1_errors"]).all()
        assert (st["num_group_samples"] == st["num_group_correct"] + st["num_group_top1_errors"]).all()
        assert (st["num_OOV_clip"] == 0).all() and (st["clip_step"] == "skipped").all()
        assert (st["label_source"] == "real").all()


def test_group_membership_and_counts(result):
    kn = result.knowledge
    nonprob = ~kn.problematic
    groups = class_groups()
    st = {g: result.stats(g) for g in GROUPS}
    for g in GROUPS:
        expected = sum(any(groups[g][c] for c in kn.labels.label_set(i)) for i in np.flatnonzero(nonprob))
        assert (st[g]["num_group_samples"] == expected).all()
        assert (st[g]["num_all_samples"] == 42164).all()
    # groups overlap: the three sum to more than all
    total = sum(int(st[g]["num_group_samples"][0]) for g in ("organism", "artifact", "other"))
    assert total > 42164


def test_mla_matches_a_loop(result):
    kn = result.knowledge
    m = 0
    codes = result.codes[m]
    t = kn.labels.targets
    rows = np.flatnonzero(~kn.problematic)
    for column, allowed in (("mla_all", cat.NO_ERROR_CODES), ("mla_all_minor_error", cat.MINOR_CODES),
                            ("mla_all_explainable_error", cat.EXPLAINABLE_CODES)):
        per_class: dict[int, list[bool]] = {}
        for i in rows:
            per_class.setdefault(int(t[i]), []).append(int(codes[i]) in allowed)
        expected = 100 * np.mean([np.mean(v) for v in per_class.values()])
        got = result.stats("all").set_index("model_dir_id").loc[result.models[m].replace("/", "--"), column]
        assert got == pytest.approx(expected, rel=1e-12)


def test_top1_val_acc_is_over_all_50000_images(result, real_population):
    st = result.stats("all").set_index("model_dir_id")
    for m, model in enumerate(real_population.models):
        acc = 100 * np.mean(real_population.top1[m] == real_population.index.labels)
        assert st.loc[model, "top1_val_acc"] == pytest.approx(acc)
    # DINO's published ImageNet-X accuracy is 76.75 % (PROVENANCE)
    assert st.loc["DINO", "top1_val_acc"] == pytest.approx(76.754)
