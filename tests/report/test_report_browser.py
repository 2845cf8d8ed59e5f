"""Open the demo report in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Checks: no console errors, no network request, every section present, sorting, filtering, hover tooltips.
Saves ``artifacts/report.png`` (and section screenshots) at the repository root.

CI needs: ``apt-get install -y chromium`` and ``pip install playwright`` (never ``playwright install``).
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ERRORSCOPE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("headless browser test needs Chromium: apt-get install -y chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser test needs `pip install playwright`")

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SECTIONS = ["summary", "factors", "metaclasses", "taxonomy", "comparison", "mistakes", "examples", "about"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (persistent context) shared by the pages of this module."""
    with sync_api.sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                   viewport={"width": 1300, "height": 900})
        yield ctx
        ctx.close()


def open_page(browser, path):
    events = {"console": [], "requests": []}
    pg = browser.new_page()
    pg.on("console", lambda m: events["console"].append((m.type, m.text)))
    pg.on("pageerror", lambda e: events["console"].append(("pageerror", str(e))))
    pg.on("request", lambda r: events["requests"].append(r.url))
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    return pg, events


@pytest.fixture(scope="module")
def page(browser, demo_dir):
    pg, events = open_page(browser, demo_dir / "report.html")
    yield pg, events
    pg.close()


def column(pg, table_id, col):
    return pg.eval_on_selector_all(
        f"#{table_id} tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{col}].getAttribute('data-value'))")


@pytest.mark.slow
def test_loads_without_errors_or_network(page):
    pg, events = page
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "report.png"))
    errors = [e for e in events["console"] if e[0] in ("error", "pageerror")]
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in events["requests"]), events["requests"]
    for s in SECTIONS:
        assert pg.locator(f"section#{s}").count() == 1
        assert pg.locator(f"section#{s} h2").is_visible()
    # every embedded figure decoded
    widths = pg.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths and min(widths) > 0


@pytest.mark.slow
def test_sorting_changes_order(page):
    pg, _ = page
    before = column(pg, "mistakes-table", 4)
    header = pg.locator("#mistakes-table thead th").nth(4)  # "images"
    header.click()
    asc = [int(v) for v in column(pg, "mistakes-table", 4)]
    assert asc == sorted(asc) and asc != [int(v) for v in before]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    desc = [int(v) for v in column(pg, "mistakes-table", 4)]
    assert desc == sorted(desc, reverse=True)
    # text column sorts alphabetically
    pg.locator("#factor-table thead th").nth(2).click()
    factors = column(pg, "factor-table", 2)
    assert factors == sorted(factors, key=str.lower)


@pytest.mark.slow
def test_filters_hide_rows(page):
    pg, _ = page
    total = pg.locator("#factor-table tbody tr").count()
    pg.select_option('select.table-select[data-table="factor-table"][data-col="0"]', "ViT")
    shown = column(pg, "factor-table", 0)
    assert 0 < len(shown) < total and set(shown) == {"ViT"}
    pg.fill('input.table-filter[data-table="factor-table"]', "texture")
    rows = column(pg, "factor-table", 2)
    assert rows == ["texture"] * 3  # class, real_class, metaclass
    assert pg.locator('.count[data-table="factor-table"]').inner_text() == f"3 of {total} rows"
    pg.fill('input.table-filter[data-table="factor-table"]', "")
    pg.select_option('select.table-select[data-table="factor-table"][data-col="0"]', "")
    assert len(column(pg, "factor-table", 0)) == total


@pytest.mark.slow
def test_hover_shows_tooltip_and_model_switch(page):
    pg, _ = page
    pg.locator("#factors").scroll_into_view_if_needed()
    bars = pg.locator("#er-chart rect.bar")
    assert bars.count() == 16
    bars.nth(0).hover()
    tip = pg.locator("#tooltip")
    assert tip.is_visible()
    text_dino = tip.inner_text()
    assert "error ratio" in text_dino and "images" in text_dino
    pg.screenshot(path=str(ARTIFACTS / "report_factors_hover.png"))
    pg.select_option("#er-model", "ViT")
    pg.locator("#er-chart rect.bar").nth(15).hover()
    assert "texture" in tip.inner_text()  # ViT's most susceptible factor (ER 2.04)
    pg.mouse.move(5, 5)
    pg.locator("#er-chart").hover(position={"x": 2, "y": 2})
    assert not tip.is_visible()


@pytest.mark.slow
def test_taxonomy_section_filters_by_group(page):
    pg, _ = page
    pg.locator("#taxonomy").scroll_into_view_if_needed()
    assert pg.locator("#taxonomy-table").is_visible() and pg.locator("#taxonomy-share-table").is_visible()
    assert "CLIP step: skipped" in pg.locator("#taxonomy").inner_text()
    total = pg.locator("#taxonomy-table tbody tr").count()
    assert total == 16  # 4 models x (all, organism, artifact, other)
    pg.select_option('select.table-select[data-table="taxonomy-table"][data-col="1"]', "organism")
    assert column(pg, "taxonomy-table", 1) == ["organism"] * 4
    pg.screenshot(path=str(ARTIFACTS / "report_taxonomy.png"))
    pg.select_option('select.table-select[data-table="taxonomy-table"][data-col="1"]', "")
    assert len(column(pg, "taxonomy-table", 1)) == total


@pytest.fixture(scope="module")
def page100(browser, tmp_path_factory):
    """A report on 100 synthetic models (the published ViT predictions, 2-30 % of the images given a random class)."""
    import numpy as np
    import pandas as pd

    from errorscope.cli.main import main
    from errorscope.resources import resource_path

    root = tmp_path_factory.mktemp("many")
    base = pd.read_csv(resource_path("imagenetx/model_predictions/base/ViT.csv"))
    rng = np.random.default_rng(12)
    for i in range(100):
        pred = base["predicted_class"].to_numpy().copy()
        flip = rng.random(pred.size) < rng.uniform(0.02, 0.3)
        pred[flip] = rng.integers(0, 1000, int(flip.sum()))
        base.assign(predicted_class=pred).to_csv(root / f"model{i:03d}.csv", index=False)
    assert main(["report", str(root), "--out", str(root.parent / "report")]) == 0
    html = root.parent / "report" / "report.html"
    pg, events = open_page(browser, html)
    yield pg, events, html
    pg.close()


@pytest.mark.slow
def test_hundred_models_page_table_picker_and_no_errors(page100):
    pg, events, html = page100
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "report_100_models.png"))
    assert [e for e in events["console"] if e[0] in ("error", "pageerror")] == []
    assert all(u.startswith(("file:", "data:")) for u in events["requests"]), events["requests"]
    assert html.stat().st_size < 5e6
    # one sortable headline table, no card per model
    assert pg.locator(".card").count() == 0
    assert pg.locator("#summary-table tbody tr").count() == 100
    # no per-model matplotlib panel repeated for every model
    assert pg.locator("img").count() <= 3 + 2  # + the diff and error-consistency figures, one per report
    # the tables built from JSON hold every model's rows
    assert pg.locator("#factor-table tbody tr").count() == 100 * 16 * 3 + 100 * 3  # 16 factors + average, 3 error types
    assert pg.locator("#metaclass-table tbody tr").count() == 100 * 17
    # the picker shows one model in every per-model table and in the chart
    pg.select_option("#model-pick", "model042")
    for table in ("factor-table", "metaclass-table", "mistakes-table", "comparison-table"):
        shown = column(pg, table, 0)
        assert shown and set(shown) == {"model042"}, table
    assert pg.locator("#er-model").input_value() == "model042"
    assert pg.locator("#er-chart rect.bar").count() == 16
    pg.select_option("#model-pick", "")
    assert len(column(pg, "metaclass-table", 0)) == 100 * 17


@pytest.mark.slow
def test_metaclass_cells_coloured_only_when_interval_excludes_one(page100):
    pg, _, _ = page100
    cells = pg.eval_on_selector_all(
        "#metaclass-table tbody td[title]",
        "tds => tds.map(t => [t.title, t.style.background !== '', t.querySelector('small.n').textContent])")
    assert cells
    import re

    for title, coloured, n in cells:
        lo, hi = (float(x) for x in re.search(r"\[([-\d.]+), ([-\d.]+)\]", title).groups())
        if 1.0 not in (lo, hi):  # the title rounds to 3 decimals
            assert coloured == ((hi < 1 or lo > 1) and int(n[2:].replace(",", "")) >= 30), title
        assert n.startswith("n=")
    # cells backed by 1-2 images exist (some with an interval clear of 1) and none of them is coloured
    few = [c for c in cells if c[2] in ("n=1", "n=2")]
    assert few and not any(c[1] for c in few)
