"""The report's tables (from analyze()) against the published ImageNet-X tables and slow reference loops."""

import collections

import numpy as np
import pytest
from scipy import stats

from errorscope.constants import FACTORS
from errorscope.datasets._index import class_info
from errorscope.imagenetx._published import published_table
from errorscope.report import tables as T


@pytest.fixture(scope="module")
def tables(population):
    return T.report_tables(population)


@pytest.fixture(scope="module")
def factors(tables):
    return tables[1]


@pytest.mark.parametrize("error_type", ["class", "real_class", "metaclass"])
def test_factor_tables_equal_published(factors, error_type):
    wide = T.wide_factor_table(factors, error_type=error_type)
    pub = published_table("base", error_type=error_type)
    np.testing.assert_allclose(wide.to_numpy(float), pub.loc[wide.index, wide.columns].to_numpy(float),
                               rtol=0, atol=1e-12)
    meta = T.wide_metaclass_table(factors, error_type=error_type).set_index(["model", "metaclass"])
    pm = published_table("base", error_type=error_type, metaclass=True)
    pm = pm[pm.model != "human"].set_index(["model", "metaclass"])
    np.testing.assert_allclose(meta.loc[pm.index].to_numpy(float), pm[meta.columns].to_numpy(float),
                               rtol=0, atol=1e-12)


def test_summary_matches_spec_top1(tables, population):
    s = tables[0].set_index("model")
    assert s.loc["ViT", "top1"] == pytest.approx(0.78006) and s.loc["SimCLR", "top1"] == pytest.approx(0.68142)
    assert s["top5"].isna().all() and s["mla"].isna().all()
    # ReaL: slow loop over the non-empty label sets
    from errorscope.datasets._real import real_label_sets

    labels, sizes = real_label_sets()
    pred = population.top1[population.models.index("ViT")]
    hits = [int(pred[i]) in set(labels[i, : sizes[i]].tolist()) for i in range(50000) if sizes[i] > 0]
    assert s.loc["ViT", "real"] == pytest.approx(np.mean(hits))


def test_wilson_interval_matches_scipy():
    from errorscope.metrics import wilson_interval

    lo, hi = wilson_interval([3, 40, 0], [10, 47, 5])
    for k, n, a, b in zip([3, 40, 0], [10, 47, 5], lo, hi):
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        assert (a, b) == pytest.approx((ci.low, ci.high))


def test_error_ratio_and_interval_relations(factors):
    vit = factors[(factors.model == "ViT") & (factors.error_type == "class") & (factors.metaclass == "all")].set_index("factor")
    assert vit.loc["texture", "error_ratio"] == pytest.approx(2.0446, abs=1e-4)
    avg = vit.loc["average", "accuracy"]
    f = vit.loc[FACTORS]
    np.testing.assert_allclose(f["er_low"], (1 - f["ci_high"]) / (1 - avg))
    assert (f["er_low"] <= f["error_ratio"]).all() and (f["error_ratio"] <= f["er_high"]).all()
    assert vit.loc["pose", "total"] == 15064


def test_top_mistakes_against_counter(population):
    names = class_info().names
    counts = collections.Counter(names)
    names = [f"{n} ({w})" if counts[n] > 1 else n for n, w in zip(names, class_info().wnids)]
    top = T.top_mistakes(population, k=5)
    i = population.models.index("ResNet50")
    labels, pred = population.index.labels, population.top1[i]
    c = collections.Counter((int(t), int(p)) for t, p in zip(labels, pred) if t != p)
    ref = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    got = top[top.model == "ResNet50"]
    assert list(zip(got.true_id, got.predicted_id, got["count"])) == [(t, p, n) for (t, p), n in ref]
    assert got.true_name.iloc[0] == names[ref[0][0][0]]
    assert got["share_of_errors"].iloc[0] == pytest.approx(ref[0][1] / sum(c.values()))
    # every confusion names two different classes: no "maillot -> maillot"
    assert (top.true_name != top.predicted_name).all()
    import json
    import os

    mturk = json.load(open(os.path.join(os.environ["ERRORSCOPE_DATA_DIR"], "cleanlab_label_errors",
                                        "imagenet_mturk.json")))
    le = {e["id"] - 1 for e in mturk if e["mturk"]["given"] < 3}
    (t0, p0), _ = ref[0]
    want = sum(1 for j, (t, p) in enumerate(zip(labels, pred)) if (t, p) == (t0, p0) and j in le)
    assert got["label_errors"].iloc[0] == want


def test_population_comparison_percentiles(factors):
    pop = published_table("imagenet_testbed")
    comp = T.population_comparison(factors, pop)
    row = comp[(comp.model == "ViT") & (comp.factor == "texture")].iloc[0]
    er = ((1 - pop["texture"]) / (1 - pop["average"])).drop("human", errors="ignore").dropna()
    assert row["pop_median"] == pytest.approx(er.median())
    assert row["percentile"] == pytest.approx(100 * sum(v < row["value"] for v in er) / len(er))
    avg = comp[(comp.model == "ViT") & (comp.factor == "average")].iloc[0]
    assert avg["value"] == pytest.approx(0.767599, abs=1e-6)


def test_accuracy_comparison_against_eth_population(population):
    from errorscope.taxonomy._published import eth_stats

    eth = eth_stats("imagenet", ("all",))["all"]
    comp = T.accuracy_comparison(T.report_tables(population)[0], eth).set_index("model")
    ref = eth["top1_val_acc"].to_numpy() / 100
    assert comp.loc["ViT", "population"] == "ETH error-analysis models (962)"
    assert comp.loc["ViT", "percentile"] == pytest.approx(100 * sum(r < 0.78006 for r in ref) / 962)
    assert comp.loc["SimCLR", "pop_median"] == pytest.approx(float(np.median(ref)))


def test_wide_table_carries_worst_100_classes(tables):
    """The figures' user table has the published tables' worst_100_classes (spec values for the base models)."""
    summary, factors = tables
    wide = T.wide_factor_table(factors, summary=summary)
    assert wide.loc["ViT", "worst_100_classes"] == pytest.approx(0.418727, abs=1e-6)
    assert wide.loc["DINO", "worst_100_classes"] == pytest.approx(0.373740, abs=1e-6)
    real = T.wide_factor_table(factors, summary=summary, error_type="real_class")
    assert real.loc["ViT", "worst_100_classes"] == pytest.approx(0.485155, abs=1e-6)
