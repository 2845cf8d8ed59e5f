"""The error taxonomy in the report and the demo: numbers equal ``classify(...).stats(group)``."""

import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("jinja2", reason="reports need the 'report' extra (jinja2)")

from errorscope.cli.main import main  # noqa: E402
from errorscope.report import ReportContext, build_report  # noqa: E402
from errorscope.report import tables as T  # noqa: E402
from errorscope.resources import resource_path  # noqa: E402

COUNTS = ["num_group_samples", "num_group_top1_errors", "num_collapsed_mappings", "num_ambiguous",
          "num_same_superclass", "num_OOV_clip", "num_common_co_occ", "num_non_prototypical", "num_not_classified"]
MLA = ["mla_group", "mla_group_minor_error", "mla_group_explainable_error"]


@pytest.fixture(scope="module")
def reference(population):
    """The taxonomy computed directly with the taxonomy API (ReaL labels, no CLIP)."""
    from errorscope.taxonomy import classify, load_multilabels

    result = classify(population, load_multilabels("real"))
    return result, {g: result.stats(g).set_index("model_dir_id") for g in ("all", "organism", "artifact", "other")}


@pytest.fixture(scope="module")
def context(population):
    return ReportContext.from_population(population, figures=False, comparison=False)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The data-value of every cell of an HTML table of the report."""
    body = html.split(f'<table id="{table_id}"', 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r'data-value="([^"]*)"', row) for row in body.split("<tr>")[2:]]


def section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def test_taxonomy_table_equals_classify_stats(context, reference):
    _, stats = reference
    html = build_report(context)
    rows = table_rows(html, "taxonomy-table")
    assert len(rows) == 4 * 4  # 4 models x (all, organism, artifact, other)
    header = ["model", "group"] + COUNTS[:2] + MLA + COUNTS[2:]
    seen = set()
    for row in rows:
        rec = dict(zip(header, row))
        ref = stats[rec["group"]].loc[rec["model"]]
        for c in COUNTS:
            assert int(rec[c]) == int(ref[c]), (rec["model"], rec["group"], c)
        for c in MLA:
            assert float(rec[c]) == pytest.approx(float(ref[c]), rel=1e-5)
        seen.add((rec["model"], rec["group"]))
    assert len(seen) == 16
    # the seven categories account for every top-1 error of the group
    vit = stats["all"].loc["ViT"]
    assert sum(int(vit[c]) for c in COUNTS[2:]) == int(vit["num_group_top1_errors"])


def test_share_table_is_count_over_errors(context, reference):
    _, stats = reference
    rows = table_rows(build_report(context), "taxonomy-share-table")
    cats = COUNTS[2:]
    for row in rows:
        model, group, *shares = row
        ref = stats[group].loc[model]
        want = [int(ref[c]) / int(ref["num_group_top1_errors"]) for c in cats]  # fractions, one unit everywhere
        assert [float(s) for s in shares] == pytest.approx(want, rel=1e-5)
        assert sum(float(s) for s in shares) == pytest.approx(1.0, abs=1e-5)


def test_headline_mla_equals_stats(context, reference):
    _, stats = reference
    s = context.summary.set_index("model")
    for m in s.index:
        assert s.loc[m, "mla"] == pytest.approx(stats["all"].loc[m, "mla_all"] / 100, rel=1e-12)
        assert s.loc[m, "mla_minor"] == pytest.approx(stats["all"].loc[m, "mla_all_minor_error"] / 100, rel=1e-12)
        assert s.loc[m, "mla_explainable"] == pytest.approx(stats["all"].loc[m, "mla_all_explainable_error"] / 100,
                                                            rel=1e-12)
    html = build_report(context)
    summary = {r[0]: r for r in table_rows(html, "summary-table")}
    assert float(summary["ViT"][4]) == pytest.approx(stats["all"].loc["ViT", "mla_all"] / 100, rel=1e-5)
    card = section(html, "summary").split("<h4>ViT</h4>", 1)[1].split("</dl>", 1)[0]
    assert f"<dt>MLA</dt><dd>{stats['all'].loc['ViT', 'mla_all']:.2f}%</dd>" in card
    assert "n/a" not in card.split("<dt>MLA</dt>", 1)[1]


def test_section_states_label_source_and_clip(context):
    text = section(build_report(context), "taxonomy")
    assert "Label source: ReaL (errorscope extension" in text
    assert "CLIP step: skipped" in text
    assert "not computed" not in text


def test_headline_note_states_coverage_rule(context):
    text = section(build_report(context), "summary")
    assert "counts as wrong" not in text
    assert "over the images a model has a prediction for" in text


def test_top1_excludes_missing_predictions(population):
    """A model without a prediction for some images: its top-1 is over the images it covers."""
    from errorscope.predictions import Population

    top1 = population.top1[[population.models.index("ViT")]].copy()
    labels = population.index.labels
    top1[0, :10000] = -1
    pop = Population(["ViT_part"], top1, None, population.index)
    ctx = ReportContext.from_population(pop, figures=False, comparison=False, taxonomy_labels=None)
    covered = top1[0] >= 0
    assert ctx.summary.loc[0, "top1"] == pytest.approx(float((top1[0][covered] == labels[covered]).mean()))
    assert ctx.summary.loc[0, "n_covered"] == 40000


def test_no_taxonomy(population):
    ctx = ReportContext.from_population(population.select(["ViT"]), figures=False, comparison=False,
                                        taxonomy_labels=None)
    html = build_report(ctx)
    assert "Error taxonomy: not computed" in section(html, "taxonomy")
    assert ctx.taxonomy is None and np.isnan(ctx.summary["mla"]).all()


def test_category_images_match_counts(reference):
    result, stats = reference
    frame = T.category_images(result)
    assert set(frame.columns) == {"model", "file_name", "category", "true_name", "predicted_name"}
    counts = frame.groupby(["model", "category"]).size()
    for col, name in T.TAXONOMY_CATEGORIES.items():
        for m in result.models:
            assert counts.get((m, name), 0) == int(stats["all"].loc[m, col]), (m, name)
    # within a category the image most models put there comes first
    fg = frame[frame["category"] == "fine-grained"]
    n = fg.groupby("file_name").size()
    assert n[fg["file_name"].iloc[0]] == n.max()


def test_category_thumbnails_from_image_folder(population, tmp_path):
    from PIL import Image

    from errorscope.datasets._index import class_info

    result_frame = T.category_images(T.taxonomy_tables(population.select(["ViT"]))[1])
    first = result_frame.groupby("category", sort=False).head(1)
    wnids = class_info().wnids
    from errorscope.datasets import distinct_class_names

    names = list(distinct_class_names())  # the report's names: the wnid appended where two classes share one
    for _, r in first.iterrows():
        d = tmp_path / "val" / wnids[names.index(r["true_name"])]
        d.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), (20, 90, 200)).save(d / r["file_name"])
    ctx = ReportContext.from_population(population.select(["ViT"]), images_dir=tmp_path / "val", figures=False,
                                        comparison=False)
    groups = set(ctx.examples["group"])
    assert {f"category: {c}" for c in first["category"]} <= groups
    html = build_report(ctx)
    assert "category: fine-grained" in section(html, "examples")


def test_report_cli_labels_and_no_taxonomy(tmp_path, capsys):
    f = str(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    out = tmp_path / "r"
    assert main(["report", f, "--out", str(out), "--no-figures", "--no-taxonomy"]) == 0
    assert "Error taxonomy: not computed" in (out / "report.html").read_text(encoding="utf-8")
    assert main(["report", f, "--out", str(out), "--no-figures", "--labels", "real"]) == 0
    assert 'id="taxonomy-table"' in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()
    from errorscope.taxonomy.labels import shankar_available

    if not shankar_available():  # the optional Shankar et al. file: a clean error naming the fix
        assert main(["report", f, "--out", str(out), "--no-figures", "--labels", "shankar"]) == 1
        assert "--labels real" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_report_shows_taxonomy(demo_dir, reference):
    _, stats = reference
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    text = section(html, "taxonomy")
    assert 'id="taxonomy-table"' in text and "CLIP step: skipped" in text and 'id="fig-error_categories_relative"' in text
    saved = pd.read_csv(demo_dir / "tables" / "taxonomy_stats.csv")
    got = saved[saved["group"] == "organism"].set_index("model_dir_id")
    for c in COUNTS + MLA:
        np.testing.assert_allclose(got[c].to_numpy(float), stats["organism"].loc[got.index, c].to_numpy(float),
                                   rtol=1e-9)
    summary = pd.read_csv(demo_dir / "tables" / "summary.csv").set_index("model")
    np.testing.assert_allclose(summary["mla"], stats["all"].loc[summary.index, "mla_all"] / 100, rtol=1e-12)
