"""`errorscope report`, `errorscope plots` and `errorscope demo` end to end."""

import pytest

pytest.importorskip("jinja2", reason="reports need the 'report' extra (jinja2)")
pytest.importorskip("matplotlib", reason="figures need the 'plot' extra (matplotlib)")

from errorscope.cli.main import main  # noqa: E402
from errorscope.resources import resource_path  # noqa: E402


@pytest.mark.slow
def test_demo_writes_report_figures_and_tables(demo_dir):
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    for m in ("DINO", "ResNet50", "SimCLR", "ViT"):
        assert m in html
    assert html.count("data:image/png;base64,") >= 7  # scatter, error ratios, 4 metaclass panels, taxonomy
    figs = {p.stem for p in (demo_dir / "figures").glob("*.png")}
    assert {"highlevel_scatter_plot", "spearman_val_correlation_heatmap", "augment_effect", "model_error_ratios",
            "model_metaclasses_ViT", "error_categories_relative", "factor_distribution_comparison"} <= figs
    assert len(figs) == 17
    import pandas as pd

    table = pd.read_csv(demo_dir / "tables" / "accuracies_per_factor.csv", index_col="model")
    assert table.loc["ViT", "average"] == pytest.approx(0.767599, abs=1e-6)


def test_report_command(tmp_path, capsys):
    files = [str(resource_path(f"imagenetx/model_predictions/base/{m}.csv")) for m in ("ViT", "SimCLR")]
    assert main(["report", *files, "--out", str(tmp_path), "--no-figures", "--title", "two models"]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<title>two models</title>" in html and "SimCLR" in html
    assert "wrote" in capsys.readouterr().out


def test_report_command_bad_input(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_plots_command_subset_with_user_models(tmp_path, capsys):
    f = str(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    assert main(["plots", "--out", str(tmp_path), "--predictions", f, "--only", "model_metaclasses",
                 "highlevel_scatter_plot", "--figure-format", "png", "svg", "--dpi", "40"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["highlevel_scatter_plot.png", "highlevel_scatter_plot.svg", "model_metaclasses_ViT.png",
                     "model_metaclasses_ViT.svg"]
    assert main(["plots", "--out", str(tmp_path), "--list"]) == 0
    assert "spearman_val_correlation_heatmap" in capsys.readouterr().out


@pytest.mark.slow
def test_report_and_plots_from_a_store(tmp_path, capsys):
    """`report --store` reports the stored models (same numbers as from their files); `plots --store` draws the
    stored models and never the paper's ViT as their metaclass figure."""
    import re

    store = str(tmp_path / "runs.duckdb")
    files = [str(resource_path(f"imagenetx/model_predictions/base/{m}.csv")) for m in ("ViT", "SimCLR")]
    assert main(["store", "add", *files, "--store", store]) == 0
    out = tmp_path / "r"
    assert main(["report", "--store", store, "--models", "SimCLR", "--out", str(out), "--no-figures",
                 "--no-taxonomy"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "68.14%" in html and "1 model: SimCLR" in html  # SimCLR top-1 (spec), the stored predictions
    assert main(["report", "--store", store, "--models", "nope", "--out", str(out)]) == 1
    assert "no stored model(s) ['nope']" in capsys.readouterr().err
    assert main(["report", *files, "--store", store, "--out", str(out)]) == 1
    assert "one of them" in capsys.readouterr().err
    figs = tmp_path / "figs"
    assert main(["plots", "--store", store, "--out", str(figs), "--only", "model_metaclasses",
                 "model_error_ratios", "--dpi", "40"]) == 0
    # the store keeps per-metaclass rows: each stored model gets its own metaclass figure, named after it
    assert sorted(p.name for p in figs.iterdir()) == ["model_error_ratios.png", "model_metaclasses_SimCLR.png",
                                                      "model_metaclasses_ViT.png"]
    assert not re.search(r"no\s+per-metaclass figure", capsys.readouterr().err)
