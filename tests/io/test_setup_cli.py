"""Set-up and CLI polish: plots --list, a relative ERRORSCOPE_DATA_DIR, the taxonomy summary, --quiet."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from errorscope.cli.main import main


def test_plots_list_needs_no_out(capsys):
    from errorscope.plots import FIGURES

    assert main(["plots", "--list"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == len(FIGURES) and all(name in out for name in FIGURES)
    assert main(["plots"]) == 1
    assert "--out is required" in capsys.readouterr().err


def test_relative_data_dir_resolves_or_names_the_folder(tmp_path, monkeypatch):
    from errorscope.exceptions import ResourceError
    from errorscope.resources import data_dir

    (tmp_path / "mirror").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERRORSCOPE_DATA_DIR", "mirror")
    assert (Path.cwd() / data_dir()).resolve() == (tmp_path / "mirror").resolve()
    monkeypatch.setenv("ERRORSCOPE_DATA_DIR", "../nowhere/data")
    with pytest.raises(ResourceError, match=r"names the folder .*nowhere/data \(relative to the current folder "
                                            r".*\), which does not exist"):
        data_dir()
    assert main(["data", "list"]) == 1
    monkeypatch.setenv("ERRORSCOPE_DATA_DIR", "")
    assert data_dir() is None


def test_taxonomy_prints_a_summary_table(tmp_path, capsys, imagenetx_dir):
    assert main(["taxonomy", str(imagenetx_dir), "--labels", "real", "--out", str(tmp_path), "--per-image",
                 "none"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split()[:5] == ["n_images", "errors", "top1", "mla", "mla_shankar"]
    stats = pd.read_csv(tmp_path / "stats_all.csv").set_index("model_dir_id")
    for model in ("DINO", "ResNet50", "SimCLR", "ViT"):
        row = next(ln.split() for ln in lines if ln.startswith(model + " "))
        assert int(row[1]) == stats.loc[model, "num_all_samples"]
        assert int(row[2]) == stats.loc[model, "num_all_top1_errors"]
        assert float(row[3]) == pytest.approx(stats.loc[model, "top1_val_acc"] / 100, abs=5e-5)
        # the seven category shares partition the model's top-1 errors
        assert sum(float(v) for v in row[6:13]) == pytest.approx(1.0, abs=4e-4)
    assert main(["taxonomy", str(imagenetx_dir), "--labels", "real", "--out", str(tmp_path / "q"), "--per-image",
                 "none", "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_analyze_quiet_prints_the_headline_only(capsys, imagenetx_dir):
    assert main(["analyze", str(imagenetx_dir / "ViT.csv")]) == 0
    loud = capsys.readouterr().out
    assert main(["analyze", str(imagenetx_dir / "ViT.csv"), "--quiet"]) == 0
    quiet = capsys.readouterr().out
    assert "most susceptible" in loud and "most susceptible" not in quiet
    assert "ViT" in quiet and "78.01" in quiet and "CC BY-NC 4.0" in quiet
    assert len(quiet.splitlines()) < len(loud.splitlines())
