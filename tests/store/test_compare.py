"""Accuracy-regression comparison against a hand computation and on published models (leave-one-out)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from errorscope.constants import FACTORS
from errorscope.exceptions import InvalidInputError
from errorscope.store.compare import accuracy_regression, holm
from errorscope.store.reference import eth_wide, imagenetx_wide


def hand_interval(x, y, x0, y0, level=0.95):
    """Prediction interval of OLS y ~ 1 + x at x0 via numpy lstsq and the hat-matrix formula."""
    X = np.column_stack([np.ones_like(x), x])
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    n = len(x)
    s2 = rss[0] / (n - 2)
    v0 = np.array([1.0, x0])
    h0 = v0 @ np.linalg.inv(X.T @ X) @ v0
    se = np.sqrt(s2 * (1 + h0))
    yhat = v0 @ beta
    q = stats.t.ppf(0.5 + level / 2, n - 2)
    t = (y0 - yhat) / se
    return yhat, yhat - q * se, yhat + q * se, t, 2 * stats.t.sf(abs(t), n - 2)


@pytest.fixture(scope="module")
def testbed():
    return imagenetx_wide(groups=["imagenet_testbed"])


def logit(v):
    v = np.clip(v, 1e-4, 1 - 1e-4)  # the documented clipping (some testbed factors are exactly 1.0)
    return np.log(v / (1 - v))


@pytest.mark.parametrize("scale", ["linear", "logit"])
def test_matches_hand_computation(testbed, scale):
    target = pd.Series({"average": 0.80, "pose": 0.90, "texture": 0.40})
    out = accuracy_regression(testbed, target, columns=["pose", "texture"], scale=scale)
    g = (lambda v: v) if scale == "linear" else logit
    inv = (lambda v: v) if scale == "linear" else (lambda v: 1 / (1 + np.exp(-v)))
    for f in ["pose", "texture"]:
        d = testbed[["average", f]].dropna()
        yhat, lo, hi, t, p = hand_interval(g(d["average"].to_numpy()), g(d[f].to_numpy()), g(0.80), g(target[f]))
        row = out.loc[f]
        assert row["expected"] == pytest.approx(inv(yhat), rel=1e-10)
        assert row["pi_low"] == pytest.approx(inv(lo), rel=1e-10)
        assert row["pi_high"] == pytest.approx(inv(hi), rel=1e-10)
        assert row["t"] == pytest.approx(t, rel=1e-9)
        assert row["p_value"] == pytest.approx(p, rel=1e-8, abs=1e-300)
        assert row["n_reference"] == len(d)


def test_leave_one_out_published_model_lies_in_band(testbed):
    name = "resnet50"
    row = testbed.set_index("model").loc[name]
    out = accuracy_regression(testbed, row, columns=FACTORS, exclude=name)
    assert out["n_reference"].max() == len(testbed) - 1
    assert out["observed"].to_numpy() == pytest.approx(row[FACTORS].to_numpy(dtype=float))
    # an ordinary ImageNet-1k ResNet-50 is mostly as expected for its accuracy
    assert (out["direction"] == "as expected").sum() >= 12
    inside = (out["observed"] >= out["pi_low"]) & (out["observed"] <= out["pi_high"])
    assert (inside == ~out["significant"]).all()


def test_perturbed_model_is_flagged(testbed):
    row = testbed.set_index("model").loc["resnet50"].copy()
    row["texture"] -= 0.25
    row["pose"] = min(0.999, row["pose"] + 0.08)
    out = accuracy_regression(testbed, row, columns=FACTORS, exclude="resnet50")
    assert out.loc["texture", "direction"] == "worse" and out.loc["texture", "significant"]
    assert out.loc["pose", "direction"] == "better"


def test_eth_categories_leave_one_out():
    eth = eth_wide(subset="all")
    shares = [c for c in eth.columns if c.startswith("share_")]
    row = eth.set_index("model").loc["resnet50.a1_in1k"] if "resnet50.a1_in1k" in set(eth["model"]) else \
        eth.set_index("model").iloc[0]
    out = accuracy_regression(eth, row, columns=shares, x="top1", exclude=row.name,
                              direction_labels=("higher", "lower"))
    assert out["n_reference"].max() == len(eth) - 1 == 961
    assert set(out["direction"]) <= {"higher", "lower", "as expected"}


def test_holm_against_loop():
    p = np.array([0.01, 0.2, np.nan, 0.003, 0.04])
    ok = [0, 1, 3, 4]
    order = sorted(ok, key=lambda i: p[i])
    expect, best = {}, 0.0
    for rank, i in enumerate(order):
        best = max(best, min(1, (len(ok) - rank) * p[i]))
        expect[i] = best
    got = holm(p)
    assert np.isnan(got[2])
    assert all(got[i] == pytest.approx(expect[i]) for i in ok)


def test_errors():
    ref = pd.DataFrame({"average": [0.5, 0.6, 0.7], "pose": [0.4, 0.5, 0.6]})
    with pytest.raises(InvalidInputError, match="no column"):
        accuracy_regression(ref, {"average": 0.5}, columns=["nope"])
    with pytest.raises(InvalidInputError, match="overall accuracy"):
        accuracy_regression(ref, {"pose": 0.5}, columns=["pose"])
    with pytest.raises(InvalidInputError, match="scale"):
        accuracy_regression(ref, {"average": 0.5, "pose": 0.5}, columns=["pose"], scale="probit")


def test_compare_model_stored_eth_shares_and_imagenetx(tmp_path, base_predictions):
    """A stored model is compared through its derived tables; a published one is left out."""
    from errorscope.store import MetricSuite, ResultStore
    from errorscope.store.compare import ETH_SHARES_TABLE, compare_model
    from errorscope.store.metrics import imagenetx_factor_metrics

    eth = eth_wide(subset="all")
    shares = [c for c in eth.columns if c.startswith("share_")]
    published_row = eth.set_index("model").loc["resnet50"]

    def suite(pop):
        out = imagenetx_factor_metrics(pop, whiches=["top"], error_types=["class"])
        out[ETH_SHARES_TABLE] = pd.DataFrame([{"model": m, "subset": "all", "top1": published_row["top1"],
                                               **{c: published_row[c] for c in shares}} for m in pop.models])
        return out

    with ResultStore(tmp_path / "c.duckdb", suite=MetricSuite("t", "1", suite)) as store:
        store.add(base_predictions[3].renamed("my_vit"))
        got = compare_model("my_vit", population="eth", store=store)
        assert got.origin == "store" and got.n_reference == 962
        # shares of the multi-label errors, computed here from the counts (no CLIP step recorded: all five kept)
        mle = eth["num_group_top1_errors"] - eth["num_collapsed_mappings"] - eth["num_ambiguous"]
        cats = ["same_superclass", "OOV_clip", "common_co_occ", "non_prototypical", "not_classified"]
        ref = eth.assign(**{f"mle_share_{c}": eth[f"num_{c}"] / mle for c in cats})
        row = ref.set_index("model").loc["resnet50"]
        want = accuracy_regression(ref, row, columns=[f"mle_share_{c}" for c in cats], x="top1",
                                   direction_labels=("higher", "lower"))
        pd.testing.assert_frame_equal(got.table, want)
        vit = compare_model("my_vit", population="imagenetx", store=store, groups=["imagenet_testbed"])
        assert vit.origin == "store" and vit.n_reference == 335
        assert vit.overall == pytest.approx(0.767599, abs=5e-7)
        loo = compare_model("ViT", population="imagenetx", store=store, groups=["base", "imagenet_testbed"])
        assert loo.origin == "published" and loo.n_reference == 338
        assert "ViT (published)" in loo.header
