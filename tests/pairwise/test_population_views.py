"""Hard images, label-error summaries and per-class views against independent loops on the 15 timm models."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

SHAVIT = "predictions/shavit_analysing_relations"


@pytest.fixture(scope="module")
def pop(data_dir):
    from errorscope.readers import read_population

    return read_population(data_dir / SHAVIT)


@pytest.fixture(scope="module")
def mturk(data_dir):
    return json.load(open(data_dir / "cleanlab_label_errors" / "imagenet_mturk.json"))


def test_hard_images_against_loop(pop):
    from errorscope.pairwise import hard_images

    res = hard_images(pop, threshold=0.6, taxonomy=False)
    t = pop.index.labels
    want = []
    for j in range(0, 50000):
        wrong = sum(1 for i in range(len(pop)) if pop.top1[i, j] != t[j])
        if wrong / len(pop) > 0.6:
            want.append((j, wrong))
    assert len(res.table) == len(want)
    got = set(res.table["file_name"])
    assert got == {f"ILSVRC2012_val_{j + 1:08d}.JPEG" for j, _ in want}
    hard = np.zeros(50000, dtype=bool)
    hard[[j for j, _ in want]] = True
    m = 3
    errors = [j for j in range(50000) if pop.top1[m, j] != t[j]]
    share = sum(hard[j] for j in errors) / len(errors)
    assert res.per_model["hard_share"].iloc[m] == pytest.approx(share)


def test_label_error_summary_against_loop(pop, mturk):
    from errorscope.pairwise import label_error_summary

    row = label_error_summary(pop).iloc[5]
    i = 5
    t = pop.index.labels
    confirmed = {e["id"] - 1: e["our_guessed_label"] for e in mturk if e["mturk"]["given"] < 3}
    errors = [j for j in range(50000) if pop.top1[i, j] != t[j]]
    on_le = sum(1 for j in errors if j in confirmed)
    kept = [j for j in range(50000) if j not in confirmed]
    acc_without = sum(1 for j in kept if pop.top1[i, j] == t[j]) / len(kept)
    corrected = sum(1 for j in range(50000)
                    if pop.top1[i, j] == t[j] or (j in confirmed and pop.top1[i, j] == confirmed[j])) / 50000
    assert (int(row.errors), int(row.errors_on_label_errors)) == (len(errors), on_le)
    assert row.n_without_label_errors == 50000 - 2916
    assert row.top1_without_label_errors == pytest.approx(acc_without)
    assert row.top1_corrected == pytest.approx(corrected)


def test_per_class_and_confusions(pop):
    from errorscope.pairwise import per_class_accuracy, top_confusions, worst_classes

    pc = per_class_accuracy(pop)
    t = pop.index.labels
    i, c = 2, 638
    imgs = [j for j in range(50000) if t[j] == c]
    k = sum(1 for j in imgs if pop.top1[i, j] == c)
    row = pc[(pc.model == pop.models[i]) & (pc.class_id == c)].iloc[0]
    assert (row.correct, row.total, row.class_name) == (k, 50, "maillot (n03710637)")
    z = 1.959963984540054
    n = 50
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    assert row.ci_low == pytest.approx(centre - half) and row.ci_high == pytest.approx(centre + half)
    worst = worst_classes(pc, k=1)
    for m, g in pc.groupby("model"):
        assert worst[worst.model == m].accuracy.iloc[0] == g.accuracy.min()
    conf = top_confusions(pop, k=3)
    first = conf[conf.model == pop.models[0]].iloc[0]
    pairs = {}
    for j in range(50000):
        p = int(pop.top1[0, j])
        if p != t[j]:
            pairs[(int(t[j]), p)] = pairs.get((int(t[j]), p), 0) + 1
    best = max(pairs.values())
    assert first["count"] == best
    assert (int(first.target), int(first.predicted)) == min(k for k, v in pairs.items() if v == best)
    maillot = conf[(conf.target == 638) & (conf.predicted == 639)]
    assert len(maillot) and (maillot.target_name != maillot.predicted_name).all()


def test_taxonomy_per_image_table_flags_the_label_errors(pop, mturk):
    from errorscope.results._schema import PER_IMAGE
    from errorscope.taxonomy import classify

    res = classify(pop.select(pop.models[:2]), "real")
    frame = PER_IMAGE.validate(res.per_image_frame())
    confirmed = {f"ILSVRC2012_val_{e['id']:08d}.JPEG" for e in mturk if e["mturk"]["given"] < 3}
    for m, g in frame.groupby("model", observed=True):
        flagged = set(g.loc[g["label_error"], "file_name"].astype(str))
        assert flagged == confirmed
    errors = res.per_image_frame(errors_only=True)
    assert errors["label_error"].sum() < 2 * 2916
    assert errors["real_rejects_label"].any()


def test_most_common_errors_flag_label_errors(pop, mturk):
    from errorscope.taxonomy import classify
    from errorscope.taxonomy.most_common import most_common

    res = classify(pop, "real")
    confirmed = {f"ILSVRC2012_val_{e['id']:08d}.JPEG" for e in mturk if e["mturk"]["given"] < 3}
    entries = most_common(res, "fg", top=200)
    assert entries and all(e["label_error"] == (e["file_name"] in confirmed) for e in entries)
    assert any(e["label_error"] for e in entries)
