"""Group statistics against the values of spec section 8 and independent recomputation."""

import numpy as np
import pytest
from scipy import stats

from errorscope.constants import FACTORS
from errorscope.imagenetx._tables import error_ratios
from errorscope.imagenetx._model_types import MODEL_TYPE_ORDER
from errorscope.imagenetx._groups import AUGMENTATIONS, highlevel_population, parse_augmentation_hparams
from errorscope.store.groupstats import augmentation_effect_table, model_type_error_ratios
from errorscope.store.reference import imagenetx_wide

# spec section 8 item 8: the three highest and three lowest significant effects (top, class)
SPEC_EFFECTS = {
    "crop": [("pose", 33.7), ("pattern", 20.0), ("partial_view", 11.1),
             ("subcategory", -15.0), ("background", -21.3), ("smaller", -31.6)],
    "color": [("color", 26.7), ("darker", 7.9), ("larger", 6.4),
              ("background", -3.4), ("smaller", -8.5), ("pose", -18.1)],
    "smoothing": [("subcategory", 19.9), ("color", 15.1), ("texture", 15.1),
                  ("brighter", -2.5), ("background", -2.6), ("pose", -15.7)],
}


@pytest.mark.parametrize("kind", ["crop", "color", "smoothing"])
def test_augmentation_effects_match_spec(kind):
    table = imagenetx_wide(groups=[AUGMENTATIONS[kind][0]])
    eff = augmentation_effect_table(table, kind)
    sig = eff[eff["p_value"] < 0.05]
    picked = list(sig.head(3).itertuples()) + list(sig.tail(3).itertuples())
    assert [(r.factor, round(r.effect, 1)) for r in picked] == SPEC_EFFECTS[kind]


def test_crop_effect_by_hand_welch():
    table = imagenetx_wide(groups=["crop"])
    hp = parse_augmentation_hparams(table["model"], "crop")
    er = (1 - table["pose"]) / (1 - table["average"])
    eff = augmentation_effect_table(table, "crop").set_index("factor").loc["pose"]
    lo, hi = eff["low_strength"], eff["high_strength"]
    a = er[hp["Crop strength"] == lo].dropna()
    b = er[hp["Crop strength"] == hi].dropna()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    assert eff["effect"] == pytest.approx(t, rel=1e-10)


def test_parse_hparams():
    hp = parse_augmentation_hparams(
        ["eval_resnet50_crop8.0_wd1e-05_color100.0_smoothing0.0_id1662471601",
         "eval_resnet50_crop0.2_wd0.0001_id1660252539", "no_numbers"], "color")
    assert hp.loc[0, ["crop", "wd", "id", "color"]].tolist() == [8.0, 1e-05, 1662471601.0, 100.0]
    assert hp.loc[0, "Color strength"] == 100.0
    assert np.isnan(hp.loc[2, "crop"]) and np.isnan(hp.loc[1, "color"])
    crop = parse_augmentation_hparams(["eval_resnet50_crop0.2_wd0.0001_id1"], "crop")
    assert crop.loc[0, "Crop strength"] == pytest.approx(99.8)
    strengths = parse_augmentation_hparams(imagenetx_wide(groups=["gaussian_blur"])["model"], "smoothing")
    counts = strengths["Smoothing strength"].value_counts()
    assert sorted(counts.index[counts > 4]) == [1, 10, 19, 28, 37, 46, 82, 91]


def test_highlevel_population_counts():
    tables = imagenetx_wide(groups=["imagenet_testbed", "modelvshuman", "base"])
    h = highlevel_population(tables)
    assert len(h) == 209
    assert h["model_type"].value_counts().to_dict() == {
        "Supervised on ImageNet-1K": 83, "Robustness intervention": 70, "Supervised on more data": 43,
        "Self-supervised": 13}


def test_model_type_alexander_govern_by_hand():
    h = highlevel_population(imagenetx_wide(groups=["imagenet_testbed", "modelvshuman", "base"]))
    out = model_type_error_ratios(h)
    assert len(out) == 16 * 4
    er = error_ratios(h, keep_columns=True)
    for f in ["texture", "pose", "multiple_objects"]:
        samples = [er.loc[er["model_type"] == t, f].to_numpy() for t in MODEL_TYPE_ORDER]
        ref = stats.alexandergovern(*samples)
        row = out[out["factor"] == f].iloc[0]
        assert row["statistic"] == pytest.approx(ref.statistic) and row["p_value"] == pytest.approx(ref.pvalue)
        means = out[out["factor"] == f].set_index("model_type")["mean"]
        for t, s in zip(MODEL_TYPE_ORDER, samples):
            assert means[t] == pytest.approx(s.mean())
    # factors ordered by mean error ratio, ascending
    order = list(dict.fromkeys(out["factor"].astype(str)))
    assert order == list(er[FACTORS].mean().sort_values(kind="stable").index)
    sig = out.drop_duplicates("factor").set_index("factor")["significant"]
    # paper: texture, subcategory and the colour-related factors differ across training regimes
    assert sig[["texture", "subcategory", "darker", "color", "pose"]].all()
    assert not sig[["pattern", "partial_view", "multiple_objects", "brighter"]].any()


def test_error_ratio_spec_values():
    base = imagenetx_wide(groups=["base"]).set_index("model")
    er = error_ratios(base, keep_columns=True).loc["ViT"]
    assert er["pose"] == pytest.approx(0.7407, abs=5e-5)
    assert er["texture"] == pytest.approx(2.0446, abs=5e-5)
    assert er["subcategory"] == pytest.approx(2.0154, abs=5e-5)


def test_paper_qualitative_findings_hold_on_published_tables():
    """ImageNet-X findings, checked on the 209 models of the paper's main figures (see docs/store.md)."""
    h = highlevel_population(imagenetx_wide(groups=["imagenet_testbed", "modelvshuman", "base"]))
    # 1. factor accuracy tracks overall accuracy
    corr = h[FACTORS].corrwith(h["average"])
    assert corr.min() > 0.8 and (corr > 0.9).sum() == 13  # lowest: style 0.83, multiple_objects, brighter
    # 2. the same factors are hard for every model: texture, subcategory and occlusion are worst, pose easiest
    mean_er = error_ratios(h, keep_columns=True)[FACTORS].mean().sort_values()
    assert list(mean_er.index[-4:]) == ["person_blocking", "object_blocking", "subcategory", "texture"]
    assert list(mean_er.index[:3]) == ["pose", "pattern", "brighter"] and (mean_er.iloc[:3] < 1).all()
    by_type = model_type_error_ratios(h).astype({"factor": str, "model_type": str}).pivot(
        index="factor", columns="model_type", values="mean")
    assert (by_type.loc["texture"] > 1.9).all() and (by_type.loc["pose"] < 0.8).all()


def test_group_stats_from_stored_models(tmp_path, base_predictions):
    """Stored models go through the same statistics; crop-sweep names give crop strengths."""
    from errorscope.store import ModelInfo, ResultStore
    from errorscope.store.groupstats import stored_table

    names = {"DINO": "eval_resnet50_crop8.0_wd1e-05_id1", "ResNet50": "eval_resnet50_crop8.0_wd1e-05_id2",
             "SimCLR": "eval_resnet50_crop50.0_wd1e-05_id3", "ViT": "eval_resnet50_crop50.0_wd1e-05_id4"}
    preds = [p.renamed(names[p.model]) for p in base_predictions]
    info = {names["DINO"]: ModelInfo(model_type="A"), names["ResNet50"]: ModelInfo(model_type="A"),
            names["SimCLR"]: ModelInfo(model_type="B"), names["ViT"]: ModelInfo(model_type="B")}
    with ResultStore(tmp_path / "g.duckdb") as store:
        store.add(preds, info=info)
        table = stored_table(store)
    assert table.set_index("model").loc[names["ViT"], "texture"] == pytest.approx(0.524823, abs=5e-7)
    out = model_type_error_ratios(table, order=["A", "B"])
    er = error_ratios(table, keep_columns=True)
    a = er.loc[table["model_type"] == "A", "pose"].to_numpy()
    b = er.loc[table["model_type"] == "B", "pose"].to_numpy()
    row = out[out["factor"] == "pose"].set_index("model_type")
    assert row.loc["A", "mean"] == pytest.approx(a.mean()) and row.loc["B", "n"] == 2
    assert row.loc["A", "p_value"] == pytest.approx(stats.alexandergovern(a, b).pvalue)
    hp = parse_augmentation_hparams(table["model"], "crop")
    assert sorted(hp["Crop strength"]) == [50.0, 50.0, 92.0, 92.0]
