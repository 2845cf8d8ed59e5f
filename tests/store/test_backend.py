"""The results store: add, replace, remove, read back, metric versions, integrity."""

import numpy as np
import pandas as pd
import pytest

from errorscope.constants import METACLASSES
from errorscope.exceptions import InvalidInputError
from errorscope.predictions import Predictions
from errorscope.store import ModelInfo, ResultStore, StoreError, parse_tags

from .conftest import top1_suite


@pytest.fixture()
def store(tmp_path, base_predictions):
    with ResultStore(tmp_path / "s.duckdb") as s:
        s.add(base_predictions, info={"ViT": ModelInfo(architecture="vit_b16", n_params=86_000_000,
                                                       tags={"team": "x"})}, tags={"batch": "1"})
        yield s


def test_add_then_read_back_exactly(store, base_predictions):
    assert store.model_names() == ["DINO", "ResNet50", "SimCLR", "ViT"]
    pop = store.population()
    for p in base_predictions:
        i = pop.models.index(p.model)
        assert np.array_equal(pop.top1[i], p.top1)
        np.testing.assert_allclose(pop.prob[i], p.prob, rtol=6e-4)
    assert store.check() == []


def test_metadata_model_type_and_tags(store):
    listing = store.list().set_index("model")
    assert listing.loc["DINO", "model_type"] == "Self-supervised"  # from the ImageNet-X map
    # the paper's base models: SimCLR self-supervised, ResNet-50 on ImageNet-1K, the ViT trained on ImageNet-21k
    assert listing.loc["SimCLR", "model_type"] == "Self-supervised"
    assert listing.loc["ResNet50", "model_type"] == "Supervised on ImageNet-1K"
    assert listing.loc["ViT", "model_type"] == "Supervised on more data"
    assert listing.loc["ViT", "tags"] == "batch=1;team=x" and listing.loc["DINO", "tags"] == "batch=1"
    assert listing["coverage"].tolist() == [1.0] * 4 and listing["top5"].isna().all()  # the CSVs have no top-5
    assert listing.loc["ViT", "architecture"] == "vit_b16" and listing.loc["ViT", "n_params"] == 86_000_000
    assert listing.loc["ViT", "top1"] == pytest.approx(0.78006)
    assert (listing["stored_bytes"] < 120_000).all()
    assert store.show("ViT")["tags"] == {"batch": "1", "team": "x"}
    assert store.show("DINO")["tags"] == {"batch": "1"}


def test_derived_rows_per_model(store, base_population):
    from errorscope.imagenetx import count_factor_sets
    from errorscope.results import tidy_factor_frame

    f = store.factor_table()
    want = pd.concat([tidy_factor_frame(c) for c in count_factor_sets(base_population).values()])
    assert f.groupby("model").size().to_dict() == want.groupby("model").size().to_dict()
    assert set(f["metaclass"]) == {"all", *METACLASSES}  # the per-metaclass rows are kept
    s = store.derived("summary", ["SimCLR"])
    assert s["model"].tolist() == ["SimCLR"]  # one summary row per model


def test_readd_replaces_atomically(store, base_predictions):
    vit = base_predictions[3]
    worse = vit.top1.copy()
    worse[:10000] = (worse[:10000] + 1) % 1000
    store.add(Predictions.from_arrays("ViT", worse), tags={"batch": "2"})
    assert len(store) == 4
    assert np.array_equal(store.predictions("ViT").top1, worse)
    assert store.population(["ViT"]).prob is None  # the new version has no probabilities
    assert store.show("ViT")["tags"] == {"batch": "2"}
    s = store.derived("summary", ["ViT"])
    assert s["top1"].iloc[0] == pytest.approx(np.mean(worse == vit.index.labels))
    assert store.check() == []


def test_remove(store):
    assert store.remove(["ViT", "DINO"]) == ["ViT", "DINO"]
    assert store.model_names() == ["ResNet50", "SimCLR"]
    assert store.check() == []
    assert set(store.derived("factors")["model"]) == {"ResNet50", "SimCLR"}
    with pytest.raises(StoreError, match="no model named 'ViT'"):
        store.remove("ViT")


def test_failed_metric_writes_nothing(tmp_path, base_predictions):
    from errorscope.store import MetricSuite

    def broken(pop):
        raise RuntimeError("boom")

    with ResultStore(tmp_path / "b.duckdb", suite=MetricSuite("broken", "1", broken)) as s:
        with pytest.raises(RuntimeError):
            s.add(base_predictions[:1])
        assert len(s) == 0 and s.check() == []


def test_metric_version_change_refreshes(tmp_path, base_predictions):
    path = tmp_path / "v.duckdb"
    with ResultStore(path, suite=top1_suite("1")) as s:
        s.add(base_predictions[:2])
    with ResultStore(path, suite=top1_suite("2")) as s:
        assert s.stale_models() == ["DINO", "ResNet50"]
        assert s.refresh() == ["DINO", "ResNet50"]
        assert s.stale_models() == []
        assert set(s.list()["metric_version"]) == {"top1-test/2"}
        acc = s.derived("acc").set_index("model")["top1"]
        assert acc["DINO"] == pytest.approx(0.76754)
        assert s.check() == []
    with ResultStore(path, suite=top1_suite("3")) as s:  # partial refresh: only the stale models' rows
        s.add(base_predictions[2])
        assert s.stale_models() == ["DINO", "ResNet50"]
        assert s.refresh() == ["DINO", "ResNet50"]
        assert set(s.list()["metric_version"]) == {"top1-test/3"}
        assert sorted(s.derived("acc")["model"]) == ["DINO", "ResNet50", "SimCLR"]
        assert s.check() == []


def test_reopen_read_only_and_errors(tmp_path, base_predictions):
    path = tmp_path / "r.duckdb"
    with ResultStore(path, suite=top1_suite()) as s:
        s.add(base_predictions[0])
    with ResultStore(path, suite=top1_suite(), read_only=True) as s:
        assert s.model_names() == ["DINO"]
        with pytest.raises(StoreError, match="read-only"):
            s.remove("DINO")
    with pytest.raises(StoreError, match="no such store"):
        ResultStore(tmp_path / "absent.duckdb", read_only=True)
    with pytest.raises(StoreError, match="no model named 'nope'"):
        with ResultStore(path, suite=top1_suite()) as s:
            s.show("nope")


def test_index_mismatch_is_refused(tmp_path):
    from errorscope.datasets._index import ImageIndex

    idx = ImageIndex("tiny", np.array(["a.JPEG", "b.JPEG"], dtype=object), np.array([1, 2], dtype=np.int16))
    with ResultStore(tmp_path / "t.duckdb", suite=top1_suite(), index=idx) as s:
        s.add(Predictions.from_arrays("m", np.array([1, 3]), index=idx))
        assert s.derived("acc")["top1"].iloc[0] == 0.5
    with pytest.raises(StoreError, match="not on 'imagenet-val'"):
        ResultStore(tmp_path / "t.duckdb", suite=top1_suite())


def test_parse_tags_and_info_validation():
    assert parse_tags(["a=1", "b.c=x=y"]) == {"a": "1", "b.c": "x=y"}
    with pytest.raises(InvalidInputError, match="key=value"):
        parse_tags(["novalue"])
    with pytest.raises(InvalidInputError, match="n_params"):
        ModelInfo(n_params=-3)
