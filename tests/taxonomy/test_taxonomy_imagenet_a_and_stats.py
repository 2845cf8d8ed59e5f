"""ImageNet-A support on a synthetic population, and the stats layout against the published files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errorscope.exceptions import InvalidInputError
from errorscope.predictions import Population, Predictions
from errorscope.taxonomy import classify
from errorscope.datasets import imagenet_a_classes, imagenet_a_index
from errorscope.taxonomy.imagenet_a import subset_200_accuracy
from errorscope.taxonomy.wordnet import class_groups
from errorscope.datasets._index import class_info
from .taxonomy_helpers import ETH

EXTRA = ["label_source", "superclass_source", "mla_all_shankar", "cooccurrence_source", "cooccurrence_pairs", "clip_step", "num_missing"]


@pytest.fixture(scope="module")
def index_a():
    wnids = class_info().wnids
    classes = imagenet_a_classes()
    names = [f"{wnids[c]}/{i:04d}.jpg" for i, c in enumerate(np.resize(classes, 7500))]
    return imagenet_a_index(names)


def test_imagenet_a_index(index_a, tmp_path):
    assert len(index_a) == 7500 and index_a.name == "imagenet-a"
    assert set(np.unique(index_a.labels)) == set(imagenet_a_classes().tolist())
    folder = tmp_path / "imagenet-a"
    for name in index_a.file_names[:5]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    assert imagenet_a_index(folder).file_names.tolist() == sorted(index_a.file_names[:5].tolist())
    with pytest.raises(InvalidInputError, match="not one of the 200"):
        imagenet_a_index([f"{class_info().wnids[0]}/x.jpg"])  # tench is not an ImageNet-A class


def test_imagenet_a_population(index_a, real_population):
    rng = np.random.default_rng(1)
    t = index_a.labels.astype(int)
    preds = np.where(rng.random(7500) < 0.3, t, rng.integers(0, 1000, 7500))
    scores = rng.normal(size=(7500, 1000))
    scores[np.arange(7500), preds] += 10
    pop = Population.from_predictions([Predictions.from_arrays("val_model", preds, index=index_a)])
    acc200 = subset_200_accuracy(scores, index_a)
    assert acc200 >= 100 * np.mean(preds == t)
    ref_pop = real_population.select(["ResNet50"])
    pop = Population(["ResNet50"], pop.top1, None, index_a)
    imagenet = classify(ref_pop, "real")
    res = classify(pop, subset_200_acc=[acc200])
    assert res.label_source == "imagenet-a"
    st = res.stats("all", imagenet_reference=imagenet)
    published = pd.read_csv(ETH / "stats-imagenet-a/non_problematic_stats_all.csv", nrows=1)
    assert list(st.columns) == list(published.columns) + EXTRA
    row = st.iloc[0]
    assert row.num_ambiguous == 0 and row.num_non_prototypical == 0 and row.num_all_samples == 7500
    assert row.top1_val_acc == pytest.approx(100 * row.num_group_correct / 7500)
    assert row.top1_val_acc_subset_200 == pytest.approx(acc200)
    assert row.imagenet_top1_val_acc == pytest.approx(76.13)
    assert row.imagenet_mla_val_acc == pytest.approx(imagenet.stats("all").mla_all[0])
    # mla_all averages over the 200 classes present
    per_class = pd.Series(preds == t).groupby(t).mean()
    assert len(per_class) == 200
    assert row.mla_all == pytest.approx(100 * per_class.mean() + 0, abs=100 * 0.03)  # + collapsed mappings
    groups = class_groups()
    for g in ("organism", "artifact", "other"):
        sg = res.stats(g).iloc[0]
        assert sg.num_group_samples == int(groups[g][t].sum())
    with pytest.raises(InvalidInputError):
        classify(pop, "real")


def test_stats_columns_follow_the_published_imagenet_layout(real_population):
    st = classify(real_population.select(["DINO"]), "real").stats("organism")
    published = pd.read_csv(ETH / "stats-imagenet/non_problematic_stats_organism.csv", nrows=1)
    no_m = [c for c in published.columns if "imagenet-m" not in c]
    assert list(st.columns) == no_m + EXTRA  # ReaL has no ImageNet-M split


def test_metadata_columns_come_from_models_summary():
    from errorscope.datasets._index import val_index

    pop = Population.from_predictions([Predictions.from_arrays("timm/resnet50.a1_in1k", val_index().labels)])
    st = classify(pop, "real").stats("all")
    row = st.iloc[0]
    assert row.model_dir_id == "timm--resnet50.a1_in1k"
    published = pd.read_csv(ETH / "stats-imagenet/non_problematic_stats_all.csv").set_index("model_dir_id")
    expected = published.loc["timm--resnet50.a1_in1k"]
    assert row.num_params == expected.num_params and row.training_data == "ImageNet-1k (1.2M)"
    assert row.arch == "resnet" and row.arch_group == "ResNet" and row.extra_annotations == "[]"
    assert row.mla_all == pytest.approx(100.0) and row.num_group_top1_errors == 0
    # a bare name that is unique among the 962 maps too; an unknown one stays empty
    pop = Population.from_predictions([Predictions.from_arrays("resnet50.a1_in1k", val_index().labels),
                                       Predictions.from_arrays("my_model", val_index().labels)])
    st = classify(pop, "real").stats("all").set_index("model_dir_id")
    assert st.loc["resnet50.a1_in1k", "arch"] == "resnet" and pd.isna(st.loc["my_model", "arch"])


def test_mla_paper_vs_mla_shankar_on_real_predictions():
    """mla_all forgives collapsed mappings; mla_all_shankar (p in M, image mean) does not: independent loop."""
    import numpy as np

    from errorscope.readers import read_population
    from errorscope.taxonomy import classify
    from errorscope.taxonomy.collapsed import collapsed_matrix
    from errorscope.taxonomy.labels import real_multilabels

    from .taxonomy_helpers import DATA

    pop = read_population([DATA / "predictions/shavit_analysing_relations/topk_ids_vgg11.csv"])
    st = classify(pop, "real").stats("all")
    ml = real_multilabels()
    p = pop.top1[0]
    hits = n = forgiven = 0
    coll = collapsed_matrix()
    for i in np.flatnonzero(~ml.problematic):
        m = set(ml.label_set(i))
        n += 1
        hits += int(p[i]) in m
        forgiven += int(p[i]) not in m and bool(coll[ml.targets[i], p[i]])
    assert n == 42164 and st["mla_all_shankar"][0] == pytest.approx(100.0 * hits / n, abs=1e-9)
    assert forgiven > 0  # collapsed mappings outside M exist, so the two definitions differ
    assert st["mla_all"][0] != pytest.approx(st["mla_all_shankar"][0], abs=0.01)
