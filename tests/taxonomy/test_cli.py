"""``errorscope taxonomy`` end to end on two real models."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from errorscope.cli.main import main
from errorscope.taxonomy.listing import parse_listing
from taxonomy_helpers import DATA, ETH

FILES = [str(DATA / "imagenetx/model_predictions/base/DINO.csv"), str(DATA / "imagenetx/model_predictions/base/ViT.csv")]


def test_cli_writes_per_image_and_stats(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real", "--out", str(tmp_path)]) == 0
    per_image = pd.read_parquet(tmp_path / "per_image.parquet")
    assert len(per_image) == 2 * 50000
    for col in ("model", "file_name", "target", "predicted_class", "category", "superclasses",
                "shared_superclass_labels", "cooccurring_labels", "label_source", "clip_step"):
        assert col in per_image.columns
    assert set(per_image.label_source) == {"real"} and set(per_image.clip_step) == {"skipped"}
    published = pd.read_csv(ETH / "stats-imagenet/non_problematic_stats_all.csv", nrows=1).columns
    for g in ("all", "organism", "artifact", "other"):
        st = pd.read_csv(tmp_path / f"stats_{g}.csv")
        assert list(st.columns[:28]) == [c for c in published if "imagenet-m" not in c]
        assert list(st.model_dir_id) == ["DINO", "ViT"]
        counts = per_image[(per_image.model == "DINO") & ~per_image.problematic]
        if g == "all":
            assert st.num_same_superclass[0] == (counts.category == "same_superclass").sum()
            assert st.num_group_correct[0] == (counts.category == "correct").sum()
    meta = json.loads((tmp_path / "taxonomy.json").read_text())
    assert meta["label_source"] == "real" and meta["clip_step"] == "skipped"
    assert "CLIP OOV step: skipped" in capsys.readouterr().err


def test_cli_most_common(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real", "--most-common", "fg", "--top", "20"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "l.txt"
    path.write_text(out)
    entries = parse_listing(path)
    assert 0 < len(entries) <= 20 and all(e.count <= 2 for e in entries)


def test_cli_errors(tmp_path, capsys):
    assert main(["taxonomy", *FILES, "--labels", "real"]) == 1
    assert "Nothing to do" in capsys.readouterr().err
    assert main(["taxonomy", *FILES, "--labels", "real", "--most-common", "nonsense"]) == 1
    assert "Unknown error category" in capsys.readouterr().err
    assert main(["taxonomy", *FILES, "--labels", "shankar", "--out", str(tmp_path)]) == 1
    assert "--labels real" in capsys.readouterr().err
