"""Reference populations: inventory, typing, and a round trip through the store."""

import numpy as np
import pandas as pd
import pytest

from errorscope.constants import FACTORS
from errorscope.store import ResultStore
from errorscope.taxonomy._published import ETH_CATEGORIES, eth_reference
from errorscope.imagenetx._published import imagenetx_reference
from errorscope.store.reference import eth_wide, imagenetx_wide, load_reference

from .conftest import published, top1_suite

# spec section 6 inventory: models per group (class tables)
INVENTORY = {"base": 4, "imagenet_testbed": 335, "modelvshuman": 54, "crop": 1272, "colorjitter": 664,
             "gaussian_blur": 161, "colorjitter_crop": 12, "adaptive_colorjitter": 8}


def test_imagenetx_inventory_and_values():
    wide = imagenetx_wide(which="top", error_type="class")
    assert wide.groupby("group").size().to_dict() == INVENTORY
    assert len(wide) == 2510 and wide["model"].nunique() == 2501
    vit = wide[(wide.group == "base") & (wide.model == "ViT")].iloc[0]
    assert vit["average"] == pytest.approx(0.767599, abs=5e-7)
    assert vit["worst_factor"] == pytest.approx(0.524823, abs=5e-7)
    real = imagenetx_wide(which="top", error_type="real_class", groups=["base"]).set_index("model")
    assert real.loc["human", "average"] == pytest.approx(0.835220, abs=5e-7)
    assert real.loc["human", "model_type"] == "Original validation annotations"
    for c in FACTORS + ["average"]:
        assert wide[c].dtype == np.float64


def test_imagenetx_metaclass_tidy_matches_file():
    long = imagenetx_reference(groups=["base"], whiches=["top"], error_types=["class"], metaclass=True)
    mc = long[long.metaclass != "all"]
    pub = published("top", "base", "class", "accuracies_per_factor_metaclass.csv")
    assert len(mc) == len(pub) * 18  # 16 factors, worst_factor, average
    got = mc[(mc.model == "ViT") & (mc.metaclass == "dog") & (mc.factor == "pose")]["accuracy"].iloc[0]
    want = pub[(pub.model == "ViT") & (pub.metaclass == "dog")]["pose"].iloc[0]
    assert got == want
    # dog has no 'shape' top-factor images: NaN, not a string or 0
    nan = mc[(mc.model == "ViT") & (mc.metaclass == "dog") & (mc.factor == "shape")]["accuracy"].iloc[0]
    assert np.isnan(nan)


def test_eth_reference_join_and_types():
    eth = eth_reference()
    assert len(eth) == 4 * 962 and eth["model_id"].nunique() == 962
    assert set(eth["prefix"]) == {"timm", "torchvision", "facebook"}
    assert (eth[ETH_CATEGORIES].sum(axis=1) == eth["num_group_top1_errors"]).all()
    assert eth["num_params"].dtype == np.int64 and eth["top1"].dtype == np.float64
    row = eth[(eth.subset == "all") & (eth.model_id == "convnext-base-224")].iloc[0]
    assert row["top1"] == pytest.approx(0.83826) and row["num_ambiguous"] == 948
    assert row["source"] == "huggingface" or isinstance(row["source"], str)


def test_load_reference_into_store_round_trip(tmp_path):
    with ResultStore(tmp_path / "ref.duckdb", suite=top1_suite()) as store:
        n = load_reference(store, "imagenetx", metaclass=False)
        assert n == (2510 * 6 + 8 * 2) * 19  # + a human row in each real_class table (8 groups x top, multi)
        from_store = imagenetx_wide(which="multi", error_type="real_class", store=store)
        from_files = imagenetx_wide(which="multi", error_type="real_class")
        pd.testing.assert_frame_equal(from_store, from_files, check_dtype=False)
        load_reference(store, "eth")
        e1 = eth_wide(store=store, subset="organism").sort_values("model").reset_index(drop=True)
        e2 = eth_wide(subset="organism").sort_values("model").reset_index(drop=True)
        np.testing.assert_array_equal(e1["num_ambiguous"], e2["num_ambiguous"])
        assert store.check() == []


def test_eth_model_info():
    from errorscope.store.reference import eth_model_info

    info = eth_model_info("convnext-base-224")
    assert info.architecture == "convnext" and info.training_data == "ImageNet-1k (1.2M)"
    assert info.n_params == 88591464 and info.tags["eth.arch_group"] == "ConvNeXt"
    assert eth_model_info("not_a_model") is None
