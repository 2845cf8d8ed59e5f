"""The `errorscope store` and `errorscope compare` commands end to end."""

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from errorscope.cli.main import main
from errorscope.resources import resource_path


def csv_of(model):
    return str(resource_path(f"imagenetx/model_predictions/base/{model}.csv"))


@pytest.fixture(scope="module")
def store_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "runs.duckdb")
    assert main(["store", "add", csv_of("ViT"), csv_of("SimCLR"), "--store", path, "--tag", "sweep=base",
                 "--arch", "mixed"]) == 0
    return path


def test_add_list_show(store_file, capsys):
    assert main(["store", "list", "--store", store_file, "--format", "csv"]) == 0
    listing = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert listing["model"].tolist() == ["SimCLR", "ViT"]
    assert listing.set_index("model").loc["SimCLR", "top1"] == pytest.approx(0.68142)
    assert main(["store", "show", "ViT", "--store", store_file]) == 0
    out = capsys.readouterr().out
    head = json.loads(out[: out.index("\n}") + 2])
    assert head["tags"] == {"sweep": "base"} and head["model"]["architecture"] == "mixed"
    assert "texture" in out and "0.524823" in out  # ViT's published worst factor


def test_compare_stored_and_published(store_file, tmp_path, capsys):
    out = tmp_path / "cmp.csv"
    assert main(["compare", "ViT", "--store", store_file, "--save", str(out)]) == 0
    table = pd.read_csv(out).set_index("factor")
    assert len(table) == 16 and (table["n_reference"] == 392).all()  # testbed + modelvshuman + base - ViT
    assert table.loc["texture", "observed"] == pytest.approx(0.524823, abs=5e-7)
    assert "ViT (store)" in capsys.readouterr().err
    assert main(["compare", "resnet50", "--population", "eth", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    eth = pd.read_csv(__import__("io").StringIO(captured.out))
    assert len(eth) == 5 and eth["factor"].str.startswith("mle_share_").all() and (eth["n_reference"] == 961).all()
    assert "resnet50 (published)" in captured.err


def test_compare_unknown_model_is_a_clean_error(store_file, capsys):
    assert main(["compare", "resnet5", "--store", store_file]) == 1
    err = capsys.readouterr().err
    assert "No model 'resnet5'" in err and "resnet50" in err


def test_export_and_read_with_duckdb(store_file, tmp_path):
    out = tmp_path / "export"
    assert main(["store", "export", "--store", store_file, "--out", str(out)]) == 0
    # the documented query
    acc = duckdb.sql(
        f"SELECT p.model, avg((p.top1 = i.label)::INT) AS top1_acc "
        f"FROM read_parquet('{out}/predictions/*/*.parquet', hive_partitioning = true) p "
        f"JOIN '{out}/images.parquet' i USING (image) GROUP BY p.model ORDER BY p.model").fetchall()
    assert [(m, round(a, 5)) for m, a in acc] == [("SimCLR", 0.68142), ("ViT", 0.78006)]
    import pyarrow.dataset as ds

    table = ds.dataset(out / "predictions", format="parquet", partitioning="hive").to_table().to_pandas()
    assert len(table) == 2 * 50_000 and set(table["model"]) == {"SimCLR", "ViT"}
    vit = table[table["model"] == "ViT"].sort_values("image")
    from errorscope.readers import read_predictions

    orig = read_predictions(csv_of("ViT"))
    assert np.array_equal(vit["top1"].to_numpy(), orig.top1)
    np.testing.assert_allclose(vit["prob"].to_numpy(), orig.prob, rtol=6e-4)
    models = pd.read_parquet(out / "models.parquet")
    assert models["model"].tolist() == ["SimCLR", "ViT"]
    assert main(["store", "export", "--store", store_file, "--out", str(out)]) == 1  # exists, no --overwrite


def test_remove_check_refresh(tmp_path, capsys):
    path = str(tmp_path / "r.duckdb")
    assert main(["store", "add", csv_of("DINO"), "--name", "dino_run", "--store", path]) == 0
    assert main(["store", "check", "--store", path]) == 0
    assert main(["store", "refresh", "--store", path]) == 0
    assert "0 model(s)" in capsys.readouterr().out
    assert main(["store", "remove", "dino_run", "--store", path]) == 0
    assert main(["store", "remove", "dino_run", "--store", path]) == 1
    assert "no model named 'dino_run'" in capsys.readouterr().err


def test_groupstats_cli(capsys):
    assert main(["store", "groupstats", "augmentation", "--augmentation", "crop", "--format", "csv"]) == 0
    eff = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out)).set_index("factor")
    assert round(eff.loc["pose", "effect"], 1) == 33.7
    assert main(["store", "groupstats", "model-types", "--format", "csv"]) == 0
    mt = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert mt.groupby("model_type")["n"].first().to_dict() == {
        "Robustness intervention": 70, "Self-supervised": 13, "Supervised on ImageNet-1K": 83,
        "Supervised on more data": 43}


def test_bad_tag_and_missing_store(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ERRORSCOPE_STORE", raising=False)
    assert main(["store", "add", csv_of("DINO"), "--tag", "oops", "--store", str(tmp_path / "x.duckdb")]) == 1
    assert "Expected a tag as key=value" in capsys.readouterr().err
    assert main(["store", "list"]) == 1
    assert "No store given" in capsys.readouterr().err


def test_add_fills_eth_metadata(tmp_path):
    from errorscope.store import ResultStore

    path = str(tmp_path / "e.duckdb")
    assert main(["store", "add", csv_of("ResNet50"), "--name", "resnet50", "--store", path]) == 0
    assert main(["store", "add", csv_of("DINO"), "--name", "resnet18", "--store", path, "--no-eth-metadata",
                 "--arch", "mine"]) == 0
    with ResultStore(path, read_only=True) as store:
        listing = store.list().set_index("model")
        assert listing.loc["resnet50", "architecture"] == "resnet"  # ETH `arch`
        assert listing.loc["resnet50", "n_params"] == 25557032
        assert listing.loc["resnet50", "training_data"] == "ImageNet-1k (1.2M)"
        assert listing.loc["resnet50", "model_type"] == "Supervised on ImageNet-1K"
        assert store.show("resnet50")["tags"]["eth.source"] == "torchvision.models"
        assert listing.loc["resnet18", "architecture"] == "mine" and store.show("resnet18")["tags"] == {}


def test_groupstats_on_stored_models(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ERRORSCOPE_STORE", raising=False)
    path = str(tmp_path / "g.duckdb")
    for model, kind in [("DINO", "ssl"), ("SimCLR", "ssl"), ("ViT", "sup"), ("ResNet50", "sup")]:
        assert main(["store", "add", csv_of(model), "--store", path, "--model-type", kind]) == 0
    capsys.readouterr()
    assert main(["store", "groupstats", "model-types", "--source", "stored", "--store", path,
                 "--format", "csv"]) == 0
    out = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert set(out["model_type"]) == {"ssl", "sup"} and (out["n"] == 2).all()
    assert out["p_value"].notna().all()
    assert main(["store", "groupstats", "model-types", "--source", "stored"]) == 1
    assert "--source stored needs --store" in capsys.readouterr().err
