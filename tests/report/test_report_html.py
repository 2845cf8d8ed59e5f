"""HTML rendering: sections, escaping, self-containment, validation."""

import re

import pandas as pd
import pytest

pytest.importorskip("jinja2", reason="reports need the 'report' extra (jinja2)")

from errorscope.constants import FACTORS  # noqa: E402
from errorscope.exceptions import InvalidInputError  # noqa: E402
from errorscope.report import ReportContext, build_report, write_report  # noqa: E402
from errorscope.report import tables as T  # noqa: E402

SECTIONS = ["summary", "factors", "metaclasses", "taxonomy", "comparison", "mistakes", "examples", "about"]


@pytest.fixture(scope="module")
def context(population):
    return ReportContext.from_population(population, figures=False)


def test_report_has_every_section_and_numbers(context):
    html = build_report(context)
    for s in SECTIONS:
        assert f'<section id="{s}">' in html
    assert "78.01%" in html and "83.99%" in html  # ViT top-1 and ReaL
    assert 'id="taxonomy-table"' in html  # computed by default (ReaL labels)
    assert html.count('<table id="') == 7  # summary, factors, metaclass, taxonomy x 2, comparison, mistakes
    assert "CC BY-NC 4.0" in html


def test_report_is_self_contained(context):
    html = build_report(context)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert "default-src 'none'" in html


def test_text_is_escaped(population):
    ctx = ReportContext.from_population(population.select(["ViT"]), figures=False, comparison=False,
                                        title="<b>bold</b> & co")
    evil = "<script>alert(1)</script>"
    ctx.summary = ctx.summary.assign(model=evil)
    ctx.factors = ctx.factors.assign(model=evil)
    ctx.mistakes = ctx.mistakes.assign(true_name='"><img src=x onerror=alert(1)>')
    html = build_report(ctx)
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    # JSON data in a script element cannot close it
    data = html.split('id="er-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data


def test_taxonomy_section_with_stats(population, tmp_path):
    stats = pd.DataFrame({"model_dir_id": ["ViT"], "num_group_samples": [18692], "num_group_top1_errors": [3000],
                          "num_collapsed_mappings": [100], "num_ambiguous": [900], "num_same_superclass": [700],
                          "num_OOV_clip": [0], "num_common_co_occ": [120], "num_non_prototypical": [9],
                          "num_not_classified": [1171]})
    ctx = ReportContext.from_population(population.select(["ViT"]), taxonomy=stats, figures=False, comparison=False)
    html = build_report(ctx)
    assert 'id="taxonomy-table"' in html and "not computed" not in html.split('id="taxonomy"')[1].split("</section>")[0]
    assert "1,171" in html
    path = write_report(ctx, tmp_path / "r.html")
    assert path.read_text(encoding="utf-8") .startswith("<!DOCTYPE html>")
    assert oct(path.stat().st_mode & 0o044) != "0o0"


def test_thumbnails_from_image_folder(population, tmp_path):
    from PIL import Image

    from errorscope.imagenetx._annotations import load_factor_annotations
    from errorscope.datasets._index import class_info

    ann = load_factor_annotations("top", "val")
    pred = population.top1[population.models.index("ViT")][ann.positions]
    texture = FACTORS.index("texture")
    wrong = [i for i in range(len(ann)) if ann.factors[i, texture] and pred[i] != ann.labels[i]][:3]
    wnids = class_info().wnids
    for i in wrong:
        d = tmp_path / "val" / wnids[ann.labels[i]]
        d.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (300, 200), (200, 30, 30)).save(d / ann.file_names[i])
    per_image = pd.DataFrame({"model": ["ViT"], "file_name": [ann.file_names[wrong[0]]], "category": ["model failure"],
                              "true_name": ["a"], "predicted_name": ["b"]})
    ctx = ReportContext.from_population(population.select(["ViT"]), images_dir=tmp_path / "val", figures=False,
                                        comparison=False, taxonomy_images=per_image)
    assert set(ctx.examples["group"]) == {"factor: texture", "category: model failure"}
    assert len(ctx.examples) == 4 and ctx.examples["src"].str.startswith("data:image/jpeg;base64,").all()
    html = build_report(ctx)
    assert html.count('class="thumb"') == 4 and "factor: texture" in html


def test_context_validation(context):
    with pytest.raises(InvalidInputError, match="factors"):
        ReportContext(summary=context.summary, factors=pd.DataFrame({"model": []}), mistakes=context.mistakes)
    with pytest.raises(InvalidInputError, match="data: URIs"):
        ReportContext(summary=context.summary, factors=context.factors, mistakes=context.mistakes,
                      figures={"x": "http://example.com/a.png"})


def test_report_works_without_analysis_fallback_columns(population):
    """A context built from hand-made tables (any producer) renders."""
    f = T.report_tables(population.select(["SimCLR"]), error_types=("class",))[1]
    ctx = ReportContext(summary=pd.DataFrame({"model": ["SimCLR"], "top1": [0.68142]}), factors=f,
                        mistakes=T.top_mistakes(population.select(["SimCLR"]), k=3))
    html = build_report(ctx)
    assert "68.14%" in html and html.count("<tr>") > 3


def test_missing_jinja2_names_the_extra(context, monkeypatch):
    import sys

    from errorscope.exceptions import MissingDependencyError

    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(MissingDependencyError, match=r"errorscope\[report\]"):
        build_report(context)
