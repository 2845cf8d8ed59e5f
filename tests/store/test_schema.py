"""The store keeps the results schema: analyze()'s summary, the tidy factor table, top-k, tags, model types."""

import io

import numpy as np
import pandas as pd
import pytest

from errorscope.predictions import Population, Predictions
from errorscope.store import ResultStore

from .conftest import top1_suite

N_PARTIAL = 10_000


@pytest.fixture(scope="module")
def partial_vit(tmp_path_factory):
    """The first 10,000 rows of the published ViT predictions: 40,000 images not covered."""
    from errorscope.readers import read_predictions
    from errorscope.resources import resource_path

    rows = pd.read_csv(resource_path("imagenetx/model_predictions/base/ViT.csv")).head(N_PARTIAL)
    path = tmp_path_factory.mktemp("partial") / "vit_partial.csv"
    rows.to_csv(path, index=False)
    return read_predictions(path)


def with_top5(pred: Predictions, name: str) -> Predictions:
    """ResNet50's top-1 as the first column and four more classes, the label among them for every third
    image the top-1 gets wrong."""
    labels = pred.index.labels
    n = labels.size
    topk = np.stack([pred.top1] + [(pred.top1.astype(np.int32) + j) % 1000 for j in range(1, 5)], axis=1)
    third = (np.arange(n) % 3 == 0) & (pred.top1 != labels)
    topk[third, 3] = labels[third]
    return Predictions.from_arrays(name, pred.top1, pred.prob, topk.astype(np.int16), source=pred.source)


@pytest.fixture(scope="module")
def stored(tmp_path_factory, partial_vit, base_predictions):
    full = with_top5(base_predictions[1], "resnet_top5")
    path = tmp_path_factory.mktemp("schema") / "s.duckdb"
    with ResultStore(path) as store:
        store.add([partial_vit, full], tags={"sweep": "schema"})
    store = ResultStore(path, read_only=True)
    yield store, partial_vit, full
    store.close()


def test_summary_equals_analyze(stored):
    from errorscope.results import analyze

    store, partial, full = stored
    ours = store.summary()
    theirs = analyze(Population.from_predictions([partial, full])).summary  # no common top-k: top5 NaN
    assert set(theirs.columns) == set(ours.columns)  # one schema: the stored summary has analyze()'s columns
    for col in theirs.columns:
        if col == "top5":
            continue
        if not pd.api.types.is_numeric_dtype(theirs[col]):
            assert ours[col].tolist() == theirs.loc[ours.index, col].tolist(), col
        else:
            np.testing.assert_allclose(ours[col].to_numpy(np.float64),
                                       theirs.loc[ours.index, col].to_numpy(np.float64), rtol=0, atol=1e-12,
                                       err_msg=col)
    top5 = analyze(Population.from_predictions([full])).summary.loc["resnet_top5", "top5"]
    labels = full.index.labels
    loop = sum(int(labels[i] in full.topk[i]) for i in range(labels.size)) / labels.size
    assert ours.loc["resnet_top5", "top5"] == pytest.approx(top5, abs=1e-15) == pytest.approx(loop, abs=1e-15)
    assert np.isnan(ours.loc["vit_partial", "top5"])
    # uncovered images are left out: the old store counted them as wrong (mean over all 50,000 images)
    covered = partial.top1 >= 0
    assert ours.loc["vit_partial", "n_covered"] == N_PARTIAL and ours.loc["vit_partial", "coverage"] == 0.2
    want = float(np.mean(partial.top1[covered] == labels[covered]))
    assert ours.loc["vit_partial", "top1"] == pytest.approx(want, abs=1e-15)
    assert ours.loc["vit_partial", "top1"] > 4 * float(np.mean(partial.top1 == labels))
    assert list(store.list().set_index("model").loc[["resnet_top5", "vit_partial"], "top1"]) == \
        pytest.approx(list(ours["top1"]), abs=1e-15)


def test_factor_table_equals_tidy_factor_frame(stored):
    from errorscope.imagenetx import count_factor_sets
    from errorscope.results import tidy_factor_frame

    store, partial, full = stored
    pop = Population.from_predictions([partial, full])
    want = pd.concat([tidy_factor_frame(c) for c in count_factor_sets(pop).values()], ignore_index=True)
    got = store.factor_table()
    assert list(got.columns) == list(want.columns)
    key = ["model", "which", "error_type", "metaclass", "factor"]
    got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=0, atol=1e-13)
    # the partial model lacks some (metaclass, factor) groups: only groups with images have rows
    assert (got["total"] > 0).all()
    assert (got["model"] == "vit_partial").sum() < (got["model"] == "resnet_top5").sum()


def test_published_tables_equal_the_counts_builders(stored):
    from errorscope.imagenetx import accuracy_table, count_factors, metaclass_table

    store, partial, full = stored
    pop = Population.from_predictions([partial, full])
    for which, error_type in [("top", "class"), ("multi", "real_class")]:
        counts = count_factors(pop, which=which, error_type=error_type)
        pd.testing.assert_frame_equal(store.published_table(which=which, error_type=error_type),
                                      accuracy_table(counts), check_names=False, rtol=0, atol=1e-13)
        mc = store.published_table(which=which, error_type=error_type, metaclass=True)
        pd.testing.assert_frame_equal(mc, metaclass_table(counts), rtol=0, atol=1e-13)


def test_topk_is_stored_and_read_back(stored, partial_vit):
    store, partial, full = stored
    back = store.predictions("resnet_top5")
    assert back.topk.dtype == np.int16 and np.array_equal(back.topk, full.topk)
    assert store.predictions("vit_partial").topk is None
    assert store.population().topk is None  # not every model has top-k
    one = store.population(["resnet_top5"])
    assert one.topk.shape == (1, 50_000, 5) and np.array_equal(one.topk[0], full.topk)
    assert store.check() == []


def test_refresh_recomputes_from_stored_topk(tmp_path, stored):
    _, partial, full = stored
    path = tmp_path / "r.duckdb"
    with ResultStore(path) as store:
        store.add([partial, full])
        before = store.summary()
        assert store.refresh(force=True) == ["resnet_top5", "vit_partial"]
        after = store.summary()
    assert after.loc["resnet_top5", "top5"] == before.loc["resnet_top5", "top5"]  # top-k came back from the store
    np.testing.assert_allclose(after["ece"], before["ece"], atol=2e-4)  # probabilities are stored as float16
    pd.testing.assert_frame_equal(after.drop(columns="ece"), before.drop(columns="ece"))


def test_schema_1_store_is_upgraded_and_refreshed(tmp_path, base_predictions):
    """A store written before top-k was kept opens read-only as it is and is upgraded when opened to write."""
    path = tmp_path / "old.duckdb"
    with ResultStore(path, suite=top1_suite("1")) as store:
        store.add(base_predictions[0])
        con = store.connection
        con.execute("ALTER TABLE predictions DROP COLUMN topk")
        con.execute("ALTER TABLE predictions DROP COLUMN topk_codec")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with ResultStore(path, suite=top1_suite("1"), read_only=True) as store:
        assert store.population().topk is None and store.check() == []
        assert store.list()["stored_bytes"].iloc[0] > 0
    with ResultStore(path, suite=top1_suite("2")) as store:
        assert store.meta()["schema_version"] == "2"
        assert store.stale_models() == ["DINO"] and store.refresh() == ["DINO"]
        store.add(with_top5(base_predictions[1], "r5"))
        assert store.predictions("r5").topk.shape == (50_000, 5) and store.check() == []


def test_list_shows_tags_without_mixed_missing_markers(stored, capsys):
    from errorscope.cli.main import main

    store, _, _ = stored
    assert main(["store", "list", "--store", store.path]) == 0
    table = capsys.readouterr().out
    assert "sweep=schema" in table and "None" not in table and "<NA>" not in table and "NaN" not in table
    assert main(["store", "list", "--store", store.path, "--format", "csv"]) == 0
    listing = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("model")
    assert listing["tags"].tolist() == ["sweep=schema", "sweep=schema"]
    assert listing.loc["vit_partial", "coverage"] == 0.2 and np.isnan(listing.loc["vit_partial", "top5"])
    assert listing["architecture"].isna().all()  # empty cells, not the strings None / <NA>


def test_paper_base_models_are_typed():
    from errorscope.imagenetx import model_type

    assert [model_type(m) for m in ["DINO", "SimCLR", "ResNet50", "ViT"]] == [
        "Self-supervised", "Self-supervised", "Supervised on ImageNet-1K", "Supervised on more data"]
    assert model_type("vit_base_patch16_224") == "Supervised on more data"  # the package's own map first


def test_plots_store_inputs_are_the_stored_models_own_tables(stored):
    """`errorscope plots --store` hands the figures the stored models' own per-metaclass rows."""
    import argparse

    from errorscope.cli.commands.plots import _store_inputs

    store, _, _ = stored
    args = argparse.Namespace(store=store.path, models=None, which="top", error_type="class")
    out = _store_inputs(args)
    meta = out["user_metaclass_factors"]
    assert set(meta["model"]) == {"resnet_top5", "vit_partial"}
    stored = store.factor_table(which="top", error_type="class")
    stored = stored[stored["metaclass"] != "all"]
    got = meta[(meta["metaclass"] != "all") & (meta["factor"] != "average")]
    key = ["model", "metaclass", "factor"]
    pd.testing.assert_frame_equal(got.sort_values(key)[key + ["total", "accuracy"]].reset_index(drop=True),
                                  stored.sort_values(key)[key + ["total", "accuracy"]].reset_index(drop=True),
                                  check_dtype=False)
    assert list(out["user_table"].index) == ["resnet_top5", "vit_partial"]
    factors = out["user_factors"]
    assert set(factors["metaclass"]) == {"all"} and len(factors) == 2 * 16
    assert {"error_ratio", "er_low", "er_high", "ci_low", "ci_high"} <= set(factors.columns)
