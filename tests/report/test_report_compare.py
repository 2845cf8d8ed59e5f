"""The report's image-by-image sections: diff of a chosen pair, error consistency, hard images, label errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from errorscope.cli.main import main


def section(html: str, name: str) -> str:
    m = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert m, f"no section {name}"
    return m.group(1)


def test_report_compare_sections(population, tmp_path):
    from errorscope.report import ReportContext, build_report

    ctx = ReportContext.from_population(population, figures=True, comparison=False, compare=True,
                                        diff_pair=("ResNet50", "ViT"))
    v = ctx.compare
    row = v.diff_summary.iloc[0]
    t = population.index.labels
    a, b = population.top1[population.models.index("ResNet50")], population.top1[population.models.index("ViT")]
    assert (row.model_a, row.model_b) == ("ResNet50", "ViT")
    assert row.fixed == int(((a != t) & (b == t)).sum()) and row.broken == int(((a == t) & (b != t)).sum())
    assert {"diff_factors", "consistency_heatmap"} <= set(v.figures) <= set(ctx.figures)
    assert len(v.consistency) == 6 and v.consistency_n == 50000
    html = build_report(ctx)
    d = section(html, "diff")
    assert "ResNet50" in d and f"{int(row.fixed):,}" in d
    assert "Error consistency" in section(html, "consistency")
    assert 'id="fig-consistency_heatmap"' in html and 'id="fig-diff_factors"' in html
    assert 'href="#hard-images"' in html
    hard = section(html, "hard-images")
    assert "hard images" in hard
    assert "2,916" in section(html, "label-errors")
    assert "Worst classes" in section(html, "per-class")
    # every hard image listed is wrong for more than half of the 4 models
    first = v.hard.iloc[0]
    j = int(first.file_name[15:23]) - 1
    assert (population.top1[:, j] != t[j]).sum() > 2


def test_report_cli_diff_pair_and_unknown(tmp_path, capsys, base_dir):
    files = [str(base_dir / f"{m}.csv") for m in ("DINO", "ViT", "SimCLR")]
    assert main(["report", *files, "--out", str(tmp_path / "r"), "--no-figures", "--no-taxonomy",
                 "--diff", "ViT", "SimCLR"]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    d = section(html, "diff")
    assert "ViT" in d and "SimCLR" in d
    assert main(["report", *files, "--out", str(tmp_path / "r2"), "--no-figures", "--no-taxonomy",
                 "--diff", "ViT", "nosuch"]) == 1
    assert "nosuch" in capsys.readouterr().err


def test_hard_image_thumbnails_and_pair_cap(population, tmp_path):
    from PIL import Image

    from errorscope.report.compare import compare_views

    folder = tmp_path / "val"
    folder.mkdir()
    plain = compare_views(population, figures=False)
    first = plain.hard["file_name"].head(2).tolist()
    for f in first:
        Image.new("RGB", (40, 30), (200, 30, 30)).save(folder / f)
    views = compare_views(population, figures=False, images_dir=folder, max_pairs=2)
    assert views.examples["file_name"].tolist() == first
    assert (views.examples["group"] == "hard images").all()
    assert views.examples["src"].str.startswith("data:image/jpeg;base64,").all()
    # 6 pairs of 4 models, capped to the 2 most and 2 least consistent
    assert views.consistency_pairs == 6 and len(views.consistency) == 4
    k = views.consistency["kappa"].to_numpy()
    assert k[0] == plain.consistency["kappa"].max() and k[-1] == plain.consistency["kappa"].min()
