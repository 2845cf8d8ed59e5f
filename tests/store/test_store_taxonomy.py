"""The store's error taxonomy (derived table ``error_categories``), ``compare --population eth`` for stored
models and ``plots --store``."""

import io

import numpy as np
import pandas as pd
import pytest

from errorscope.cli.main import main
from errorscope.resources import resource_path

#: in the taxonomy's decision order (the order `compare` prints)
SHARES = ["share_collapsed_mappings", "share_ambiguous", "share_same_superclass", "share_OOV_clip",
          "share_common_co_occ", "share_non_prototypical", "share_not_classified"]
#: share column -> category code of the taxonomy (see errorscope.taxonomy.categories)
CODES = {"share_collapsed_mappings": 1, "share_ambiguous": 2, "share_same_superclass": 3, "share_OOV_clip": 4,
         "share_common_co_occ": 5, "share_non_prototypical": 6, "share_not_classified": 7}


def csv_of(model):
    return str(resource_path(f"imagenetx/model_predictions/base/{model}.csv"))


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("tax") / "runs.duckdb")
    assert main(["store", "add", csv_of("ViT"), csv_of("SimCLR"), "--store", path]) == 0
    return path


@pytest.fixture(scope="module")
def hand_shares():
    """Shares computed by hand from the per-image codes of the taxonomy engine: for every model, the
    non-problematic images where the prediction differs from the original label, split by category."""
    from errorscope.readers import read_population
    from errorscope.taxonomy import classify, load_multilabels

    pop = read_population([csv_of("ViT"), csv_of("SimCLR")])
    res = classify(pop, load_multilabels("real"))
    keep = ~res.knowledge.problematic
    out = {}
    for i, m in enumerate(res.models):
        codes = res.codes[i][keep]
        errors = res.preds[i][keep] != res.labels.targets[keep]
        n = int(errors.sum())
        out[m] = {c: float(np.sum(errors & (codes == code))) / n for c, code in CODES.items()}
        out[m]["top1"] = float(np.mean(pop.top1[i] == pop.index.labels))
    return out


def test_default_suite_writes_error_categories(store_file, hand_shares):
    from errorscope.store import ResultStore

    with ResultStore(store_file, read_only=True) as store:
        assert set(store.list()["metric_version"]) == {"imagenetx-factors/4"}
        table = store.derived("error_categories")
    assert sorted(table["subset"].unique()) == ["all", "artifact", "organism", "other"]
    assert len(table) == 8 and set(table["label_source"]) == {"real"} and set(table["clip_step"]) == {"skipped"}
    rows = table[table["subset"] == "all"].set_index("model")
    for m, ref in hand_shares.items():
        assert rows.loc[m, "top1"] == pytest.approx(ref["top1"], abs=1e-12)
        for c in SHARES:
            assert rows.loc[m, c] == pytest.approx(ref[c], abs=1e-12), (m, c)
        assert rows.loc[m, SHARES].sum() == pytest.approx(1.0)
    assert rows.loc["ViT", "share_OOV_clip"] == 0.0  # CLIP step skipped


def test_compare_eth_for_stored_model(store_file, hand_shares, capsys):
    assert main(["compare", "ViT", "--population", "eth", "--store", store_file, "--format", "csv"]) == 0
    captured = capsys.readouterr()
    table = pd.read_csv(io.StringIO(captured.out)).set_index("factor")
    # like for like: shares of the multi-label errors; fine-grained OOV left out (the CLIP step did not run)
    mle_cats = ["share_same_superclass", "share_common_co_occ", "share_non_prototypical", "share_not_classified"]
    assert list(table.index) == ["mle_" + c for c in mle_cats] and (table["n_reference"] == 962).all()
    h = hand_shares["ViT"]
    mle = 1.0 - h["share_collapsed_mappings"] - h["share_ambiguous"]
    for c in mle_cats:
        assert table.loc["mle_" + c, "observed"] == pytest.approx(h[c] / mle, abs=1e-9)
    assert "ViT (store), overall accuracy 0.7801" in captured.err
    assert "real labels" in captured.err and "CLIP step skipped (fine-grained OOV not computed" in captured.err
    assert "Shankar et al. labels, 18,692 images, CLIP step run" in captured.err


def test_compare_eth_subset(store_file, capsys):
    from errorscope.store import ResultStore

    with ResultStore(store_file, read_only=True) as store:
        row = store.derived("error_categories", ["SimCLR"]).set_index("subset").loc["organism"]
    assert main(["compare", "SimCLR", "--population", "eth", "--subset", "organism", "--store", store_file,
                 "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("factor")
    mle = row["num_group_top1_errors"] - row["num_collapsed_mappings"] - row["num_ambiguous"]
    assert table.loc["mle_share_same_superclass", "observed"] == pytest.approx(row["num_same_superclass"] / mle,
                                                                             abs=1e-12)


def test_taxonomy_metrics_chunking_and_suite_versions(base_population):
    from errorscope.store.metrics import imagenetx_suite, taxonomy_metrics

    a = taxonomy_metrics(base_population)["error_categories"]
    b = taxonomy_metrics(base_population, chunk=1)["error_categories"]
    key = ["model", "subset"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True))
    assert imagenetx_suite().tag == "imagenetx-factors/4"
    assert imagenetx_suite(taxonomy="shankar").tag == "imagenetx-factors/4-shankar"
    old = imagenetx_suite(taxonomy=None)
    assert old.tag == "imagenetx-factors/4-no-taxonomy"
    assert "error_categories" not in old.compute(base_population.select(["ViT"]))


def test_eth_stats_from_categories_round_trip(base_population):
    from errorscope.store.metrics import eth_stats_from_categories, taxonomy_metrics
    from errorscope.taxonomy import classify, load_multilabels

    stats = eth_stats_from_categories(taxonomy_metrics(base_population)["error_categories"])
    ref = classify(base_population, load_multilabels("real")).stats("artifact").set_index("model_dir_id")
    got = stats["artifact"].set_index("model_dir_id").loc[ref.index]
    for c in ["imagenet_top1_val_acc", "imagenet_mla_val_acc", "num_group_top1_errors", "num_same_superclass",
              "mla_group_minor_error"]:
        np.testing.assert_allclose(got[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12)


@pytest.mark.slow
def test_plots_from_store(store_file, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="figures need the 'plot' extra (matplotlib)")
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    out = tmp_path / "figs"
    assert main(["plots", "--store", store_file, "--out", str(out), "--dpi", "40", "--only",
                 "highlevel_scatter_plot", "model_error_ratios", "error_categories_relative",
                 "error_categories_mla"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["error_categories_mla.png", "error_categories_relative.png",
                                                     "highlevel_scatter_plot.png", "model_error_ratios.png"]
    assert "2 stored model(s)" in capsys.readouterr().err
    assert main(["plots", "--store", store_file, "--out", str(out), "--models", "nope"]) == 1
    assert "no stored model(s) ['nope']" in capsys.readouterr().err


def test_plot_inputs_from_store(store_file):
    """What ``plots --store`` overlays: the stored factor table and error ratios equal the analysis'."""
    import argparse

    from errorscope.results._analyze import analyze
    from errorscope.cli.commands.plots import _store_inputs
    from errorscope.readers import read_population

    args = argparse.Namespace(store=store_file, models=["ViT"], which="top", error_type="class")
    got = _store_inputs(args)
    pop = read_population([csv_of("ViT")])
    ref = analyze(pop, which=("top",), error_types=("class",)).factors
    ref = ref[ref["metaclass"] == "all"].set_index("factor")
    mine = got["user_factors"].set_index("factor").loc[ref.index]
    for c in ["accuracy", "error_ratio", "er_low", "er_high"]:
        np.testing.assert_allclose(mine[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12)
    assert got["user_table"].loc["ViT", "texture"] == pytest.approx(0.524823, abs=5e-7)  # published
    assert set(got["user_eth_stats"]) == {"all", "organism", "artifact", "other"}
