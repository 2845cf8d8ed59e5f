"""Statistics behind the figures, against published numbers (spec B, spec A) and slow reference code."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from errorscope.imagenetx._annotations import load_factor_annotations
from errorscope.constants import FACTORS
from errorscope.exceptions import InvalidInputError
from errorscope.imagenetx._tables import error_ratios
from errorscope.imagenetx._model_types import MODEL_TYPE_ORDER, model_types
from errorscope.plots import data as D
from errorscope.imagenetx._groups import (
    augmentation_curves,
    augmentation_effects,
    augmentation_points,
    augmentation_strength,
    group_comparison,
)
from errorscope.taxonomy._published import eth_stats
from errorscope.imagenetx._published import published_table


def test_factor_shares_and_active_counts_match_spec_counts():
    top, multi = load_factor_annotations("top", "val"), load_factor_annotations("multi", "val")
    shares = D.factor_shares({"val top factor": top, "val all factors": multi})
    got = shares[shares["set"] == "val top factor"].set_index(shares["factor"].astype(str)[shares["set"] == "val top factor"])
    spec_top = {"pose": 15064, "background": 14751, "color": 6150, "pattern": 5972, "smaller": 1450, "style": 43,
                "multiple_objects": 40}
    for f, c in spec_top.items():
        assert got.loc[f, "count"] == c
        assert got.loc[f, "share"] == pytest.approx(c / 46110)
    # ranked by mean share, descending: pose and background first
    assert list(shares["factor"].cat.categories[:2]) == ["pose", "background"]
    counts = D.active_factor_counts({"val": multi}).set_index("n_active")["n_images"]
    assert counts.to_dict() == {0: 2, 1: 6382, 2: 18179, 3: 13091, 4: 6331, 5: 1692, 6: 358, 7: 56, 8: 11, 9: 4,
                                10: 3, 11: 1}


def test_error_ratios_match_published_vit_values():
    er = error_ratios(published_table("base")).loc["ViT"]
    spec = {"pose": 0.7407, "background": 1.0910, "pattern": 0.8625, "color": 1.1516, "smaller": 1.6440,
            "subcategory": 2.0154, "texture": 2.0446, "brighter": 0.7823, "multiple_objects": 1.6136}
    for f, v in spec.items():
        assert er[f] == pytest.approx(v, abs=1e-4)


def test_group_comparison_against_loop_and_alexandergovern():
    table = published_table("imagenet_testbed")
    types = model_types(list(table.index))
    keep = types.isin(MODEL_TYPE_ORDER)
    table, types = table.loc[keep.to_numpy()], types[keep.to_numpy()]
    comp = group_comparison(table, types, group_order=MODEL_TYPE_ORDER)
    assert len(comp) == 16 * len(set(types))
    # factor order: mean error ratio ascending
    er = (1 - table[FACTORS]).div(1 - table["average"], axis=0)
    assert list(pd.unique(comp["factor"])) == list(er.mean().sort_values(kind="stable").index)
    row = comp[(comp.factor == "texture") & (comp.group == "Supervised on ImageNet-1K")].iloc[0]
    vals = [er.loc[m, "texture"] for m in table.index if types[m] == "Supervised on ImageNet-1K"]
    assert row["mean"] == pytest.approx(np.mean(vals)) and row["std"] == pytest.approx(np.std(vals, ddof=1))
    assert row["n"] == len(vals)
    samples = [er.loc[(types == g).to_numpy(), "texture"].dropna() for g in MODEL_TYPE_ORDER if (types == g).any()]
    assert row["pvalue"] == pytest.approx(stats.alexandergovern(*samples).pvalue)
    assert row["significant"] == (row["pvalue"] < 0.05)


def test_model_types_lookup():
    t = model_types(["DINO", "resnet50", "human", "my_net"], mapping={"my_net": "Mine"})
    assert t.tolist() == ["Self-supervised", "Supervised on ImageNet-1K", "Original validation annotations", "Mine"]
    assert model_types(["nope"]).iloc[0] == "Other"


@pytest.mark.parametrize("kind,group,high,low", [
    ("crop", "crop", [("pose", 33.7), ("pattern", 20.0), ("partial_view", 11.1)],
     [("subcategory", -15.0), ("background", -21.3), ("smaller", -31.6)]),
    ("color", "colorjitter", [("color", 26.7), ("darker", 7.9), ("larger", 6.4)],
     [("background", -3.4), ("smaller", -8.5), ("pose", -18.1)]),
    ("smoothing", "gaussian_blur", [("subcategory", 19.9), ("color", 15.1), ("texture", 15.1)],
     [("brighter", -2.5), ("background", -2.6), ("pose", -15.7)]),
])
def test_augmentation_effects_reproduce_spec_selection(kind, group, high, low):
    pts = augmentation_points(published_table(group), kind)
    eff = augmentation_effects(pts)
    sig = eff[eff["pvalue"] < 0.05]
    got_high = [(f, round(t, 1)) for f, t in zip(sig["factor"].head(3), sig["effect"].head(3))]
    got_low = [(f, round(t, 1)) for f, t in zip(sig["factor"].tail(3), sig["effect"].tail(3))]
    assert got_high == high and got_low == low
    curves = augmentation_curves(pts, ["pose"])
    assert curves["strength"].min() == pts["strength"].min() and len(curves) == 50


def test_augmentation_strength_parsing():
    s = augmentation_strength(["eval_resnet50_crop0.2_wd0.0001_id1", "x_color97.0_wd1e-05", "plain"], "crop")
    assert s.iloc[0] == pytest.approx(99.8) and np.isnan(s.iloc[2])
    c = augmentation_strength(["eval_resnet50_crop8.0_wd1e-05_color97.0_smoothing0.0_id1"], "color")
    assert c.iloc[0] == 97.0
    with pytest.raises(InvalidInputError, match="kind"):
        augmentation_strength(["a"], "blur")


def _tidy(model, rows):
    """Hand-built tidy rows: (metaclass, factor, total, accuracy, error_ratio, er_low, er_high)."""
    return pd.DataFrame([dict(model=model, metaclass=m, factor=f, total=n, accuracy=a, error_ratio=e, er_low=lo,
                              er_high=hi) for m, f, n, a, e, lo, hi in rows])


def test_robust_susceptible_uses_the_interval_not_the_point_estimate():
    nan = np.nan
    rows = _tidy("m", [
        ("all", "pose", 5000, 0.9, 0.50, 0.45, 0.56),        # robust: interval below 1
        ("all", "smaller", 2, 1.0, 0.00, 0.00, 4.10),        # 2 images, ER 0: interval spans 1, never robust
        ("all", "texture", 800, 0.5, 2.04, 1.90, 2.18),      # susceptible
        ("all", "object_blocking", 1, 0.0, 12.9, 0.9, 40.0),  # 1 image, ER 12.9: never susceptible
        ("all", "shape", 1, 0.0, 13.4, 2.76, 13.4),          # 1 image, interval clear of 1: still not a finding
        ("all", "style", 29, 0.2, 3.0, 2.1, 3.6),            # 29 images < MIN_IMAGES: not a finding
        ("all", "brighter", 300, 0.8, 1.05, 0.92, 1.19),     # interval spans 1: neither
        ("all", "larger", 400, 0.85, 0.97, 0.99, nan),       # no upper bound: dropped
        ("all", "average", 46110, 0.8, nan, nan, nan),
    ])
    got = D.robust_susceptible(rows, k=3)
    assert got[["factor", "kind"]].values.tolist() == [["pose", "robust"], ["texture", "susceptible"]]
    assert got["total"].tolist() == [5000, 800]
    assert D.MIN_IMAGES == 30
    assert D.robust_susceptible(rows, min_images=1)["factor"].tolist() == ["pose", "texture", "style", "shape"]


def test_metaclass_panels_pick_weakest_metaclasses_and_mark_empty_panels():
    nan = np.nan
    rows = _tidy("m", [
        ("all", "average", 46110, 0.80, nan, nan, nan), ("all", "texture", 800, 0.5, 2.0, 1.8, 2.2),
        ("vessel", "average", 900, 0.55, nan, nan, nan), ("vessel", "smaller", 2, 0.0, 2.2, 0.6, 2.2),
        ("bird", "average", 3000, 0.70, nan, nan, nan), ("bird", "pose", 1500, 0.8, 0.66, 0.6, 0.73),
        ("dog", "average", 6000, 0.75, nan, nan, nan), ("dog", "pattern", 600, 0.6, 1.6, 1.4, 1.8),
        ("food", "average", 2000, 0.90, nan, nan, nan),
    ])
    panels = D.metaclass_panels(rows, "m", n_worst=2)
    assert list(pd.unique(panels["panel"])) == ["vessel", "bird", "dog", "overall"]
    vessel = panels[panels.panel == "vessel"]
    assert vessel["kind"].tolist() == ["none"]  # its only factor rests on 2 images: not a finding
    assert panels.loc[panels.panel == "bird", ["factor", "kind"]].values.tolist() == [["pose", "robust"]]
    assert panels.loc[panels.panel == "overall", "average"].iloc[0] == 0.80
    with pytest.raises(InvalidInputError, match="per-metaclass"):
        D.metaclass_panels(rows[rows.metaclass == "all"], "m")


def test_metaclass_panels_of_vit_from_its_predictions():
    from errorscope.plots.figure_set import _paper_model_factors

    rows = _paper_model_factors("ViT", "top", "class")
    panels = D.metaclass_panels(rows, "ViT")
    assert list(pd.unique(panels["panel"])) == ["vessel", "snake", "commodity", "dog", "overall"]
    overall = panels[panels.panel == "overall"]
    # the published ViT error ratios: texture 2.04 is the most susceptible factor, its interval clear of 1
    assert overall["factor"].iloc[-1] == "texture" and overall["error_ratio"].iloc[-1] == pytest.approx(2.0446, abs=1e-4)
    shown = panels[panels.kind != "none"]
    assert ((shown.kind == "robust") == (shown.er_high < 1)).all() and ((shown.kind == "susceptible") == (shown.er_low > 1)).all()


def test_eth_points_and_linear_fits():
    stats_ = eth_stats("imagenet", ("all",))
    pts = D.eth_points(stats_, relative="group_mle")
    assert set(pts["category"]) == {"fine-grained", "fine-grained OOV", "spurious correlation", "non-prototypical",
                                    "model failure"}
    row = pts[(pts.model == "facebook--convnext-base-224") & (pts.category == "fine-grained")].iloc[0]
    assert row["y"] == pytest.approx(100 * 599 / (2406 - 104 - 948)) and row["x"] == pytest.approx(83.826)
    absolute = D.eth_points(stats_)
    assert len(absolute) == 7 * 962
    fits = D.linear_fits(pts)
    f = fits[fits.category == "model failure"]
    sub = pts[pts.category == "model failure"]
    slope, intercept = np.polyfit(sub["x"], sub["y"], 1)
    assert f["slope"].iloc[0] == pytest.approx(slope) and f["intercept"].iloc[0] == pytest.approx(intercept)
    # band of the mean at x0 by the textbook formula
    x, y = sub["x"].to_numpy(), sub["y"].to_numpy()
    s = np.sqrt(((y - (intercept + slope * x)) ** 2).sum() / (len(x) - 2))
    x0 = f["x"].iloc[10]
    half = stats.t.ppf(0.975, len(x) - 2) * s * np.sqrt(1 / len(x) + (x0 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    assert f["hi"].iloc[10] - f["fit"].iloc[10] == pytest.approx(half)
    assert (f["lo"] < f["fit"]).all() and (f["fit"] < f["hi"]).all()


def test_input_validation_names_missing_columns():
    with pytest.raises(InvalidInputError, match="pose"):
        error_ratios(pd.DataFrame({"model": ["a"], "average": [0.5]}))
    with pytest.raises(InvalidInputError, match="relative"):
        D.eth_points(pd.DataFrame(), relative="bogus")
    with pytest.raises(InvalidInputError, match="num_OOV_clip"):
        D.eth_points(pd.DataFrame({"model_dir_id": ["a"], "imagenet_top1_val_acc": [1.0]}))
